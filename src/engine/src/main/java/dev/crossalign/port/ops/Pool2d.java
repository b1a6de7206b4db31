package dev.crossalign.port.ops;

import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.onnx.OnnxOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.port.codegen.Py;
import dev.crossalign.port.codegen.PyOp;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.SamePadding;
import java.util.List;
import java.util.Set;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * MAX_POOL_2D and AVERAGE_POOL_2D with TF's SAME rules. TF clips each window to the real input: for max that is
 * padding with -inf; for average it divides by the count of real elements under the window, which differs per
 * border position and, with asymmetric padding, per side. So the average is a window SUM over a zero-padded input
 * (avg_pool2d with divisor 1) divided by a count map computed once at prepare time.
 */
public final class Pool2d implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("MAX_POOL_2D", "AVERAGE_POOL_2D");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    OpOptions.Pool2D o = (OpOptions.Pool2D) ctx.op().options();
    FusedActivation.check(ctx, o.activation());
    OpConstants.requireFloat(ctx, 0);
    int[] in = ctx.input(0).shape();
    if (in.length != 4) {
      throw ctx.unsupported("expects a rank-4 input");
    }
    if (o.filterH() < 1 || o.filterW() < 1 || o.strideH() < 1 || o.strideW() < 1) {
      throw ctx.unsupported("filter and stride must be >= 1");
    }
    SamePadding ph = SamePadding.of(o.padding(), in[1], o.filterH(), o.strideH(), 1);
    SamePadding pw = SamePadding.of(o.padding(), in[2], o.filterW(), o.strideW(), 1);
    if (ph.out() < 1 || pw.out() < 1) {
      throw ctx.unsupported("filter larger than the input with VALID padding");
    }
    long[] kernel = {o.filterH(), o.filterW()};
    long[] stride = {o.strideH(), o.strideW()};
    long[] zero = {0, 0};
    boolean padded = ph.begin() + ph.end() + pw.begin() + pw.end() > 0;
    if (ctx.op().opName().equals("MAX_POOL_2D")) {
      return inputs -> {
        Tensor x = inputs[0].nchwTensor();
        if (padded) {
          x = torch.constant_pad_nd(
              x, new long[] {pw.begin(), pw.end(), ph.begin(), ph.end()}, new Scalar(Float.NEGATIVE_INFINITY));
        }
        // libtorch's CPU max-pool is ~3x faster on channels-last memory (0.2 vs 0.6 ms at 1x24x64x64, conversion
        // included); max is exact either way and the result keeps NCHW axes
        Tensor y = torch.max_pool2d(
            x.contiguous(torch.MemoryFormat.ChannelsLast), kernel, stride, zero, new long[] {1, 1}, false);
        return new PortValue[] {PortValue.nchw(FusedActivation.apply(y, o.activation()))};
      };
    }
    Tensor counts = padded ? countMap(ctx, in[1], in[2], o, ph, pw) : null;
    return inputs -> {
      Tensor x = inputs[0].nchwTensor();
      Tensor y;
      if (padded) {
        x = torch.constant_pad_nd(x, pw.begin(), pw.end(), ph.begin(), ph.end());
        y = torch.avg_pool2d(x, kernel, stride, zero, false, true, new LongOptional(1)).div(counts);
      } else {
        y = torch.avg_pool2d(x, kernel, stride, zero, false, true, new LongOptional());
      }
      return new PortValue[] {PortValue.nchw(FusedActivation.apply(y, o.activation()))};
    };
  }

  /** [1, 1, outH, outW]: how many real input pixels each output window covers. */
  private static Tensor countMap(
      LoweringContext ctx, int inH, int inW, OpOptions.Pool2D o, SamePadding ph, SamePadding pw) {
    return OpConstants.floats(ctx, countMap(inH, inW, o, ph, pw), 1, 1, ph.out(), pw.out());
  }

  /** [outH * outW]: how many real input pixels each output window covers (TF's divisor). */
  static float[] countMap(int inH, int inW, OpOptions.Pool2D o, SamePadding ph, SamePadding pw) {
    float[] c = new float[ph.out() * pw.out()];
    for (int oy = 0; oy < ph.out(); oy++) {
      int y0 = oy * o.strideH() - ph.begin();
      int rows = Math.min(y0 + o.filterH(), inH) - Math.max(y0, 0);
      for (int ox = 0; ox < pw.out(); ox++) {
        int x0 = ox * o.strideW() - pw.begin();
        int cols = Math.min(x0 + o.filterW(), inW) - Math.max(x0, 0);
        c[oy * pw.out() + ox] = Math.max(rows, 0) * Math.max(cols, 0);
      }
    }
    return c;
  }

  @Override
  public Set<String> pythonOps() {
    return opNames();
  }

  @Override
  public void emitPython(PyOp p) {
    OpOptions.Pool2D o = (OpOptions.Pool2D) p.op().options();
    FusedActivation.check(p, o.activation());
    OpConstants.requireFloat(p, 0);
    int[] in = p.inShape(0);
    if (in.length != 4) {
      throw p.unsupported("expects a rank-4 input");
    }
    if (o.filterH() < 1 || o.filterW() < 1 || o.strideH() < 1 || o.strideW() < 1) {
      throw p.unsupported("filter and stride must be >= 1");
    }
    SamePadding ph = SamePadding.of(o.padding(), in[1], o.filterH(), o.strideH(), 1);
    SamePadding pw = SamePadding.of(o.padding(), in[2], o.filterW(), o.strideW(), 1);
    if (ph.out() < 1 || pw.out() < 1) {
      throw p.unsupported("filter larger than the input with VALID padding");
    }
    boolean padded = ph.begin() + ph.end() + pw.begin() + pw.end() > 0;
    String k = Py.ints(o.filterH(), o.filterW());
    String s = Py.ints(o.strideH(), o.strideW());
    String pads = Py.ints(pw.begin(), pw.end(), ph.begin(), ph.end());
    String x = p.value(0);
    String y;
    if (p.opName().equals("MAX_POOL_2D")) {
      if (padded) {
        String t = p.temp("padded");
        p.line(t + " = F.pad(" + x + ", " + pads + ", \"constant\", float(\"-inf\"))  # TF SAME: windows clipped");
        x = t;
      }
      y = "torch.max_pool2d(" + x + ", " + k + ", " + s + ", [0, 0], [1, 1], False)";
    } else if (padded) {
      // TF divides by the real (unpadded) elements under each window: window sum / count map
      float[] c = countMap(in[1], in[2], o, ph, pw);
      String counts = p.table("counts", HostTensor.ofFloats(new int[] {1, 1, ph.out(), pw.out()}, Layout.ANY, c));
      String t = p.temp("padded");
      p.line(t + " = F.pad(" + x + ", " + pads + ")");
      y = "F.avg_pool2d(" + t + ", " + k + ", " + s + ") * " + Py.f32((float) o.filterH() * o.filterW()) + " / "
          + counts;
    } else {
      y = "F.avg_pool2d(" + x + ", " + k + ", " + s + ")";
    }
    p.line(p.out(0) + " = " + FusedActivation.py(p, y, o.activation(), true));
  }

  @Override
  public Set<String> onnxOps() {
    return opNames();
  }

  /**
   * MaxPool / AveragePool with TF SAME padding as asymmetric pads: MaxPool never picks a padded element (TF pads with
   * -inf), AveragePool with count_include_pad=0 divides by the real elements (as TF).
   */
  @Override
  public void exportOnnx(OnnxOp s) {
    String type = s.opName().equals("MAX_POOL_2D") ? "MaxPool" : "AveragePool";
    OpOptions.Pool2D o = s.options(OpOptions.Pool2D.class);
    int[] xs = s.inShape(0);
    if (xs.length != 4) {
      throw s.refuse("input of rank " + xs.length);
    }
    SamePadding ph = SamePadding.of(o.padding(), xs[1], o.filterH(), o.strideH(), 1);
    SamePadding pw = SamePadding.of(o.padding(), xs[2], o.filterW(), o.strideW(), 1);
    OnnxGraphBuilder.Attrs a = OnnxGraphBuilder.attrs()
        .putInts("kernel_shape", o.filterH(), o.filterW())
        .putInts("strides", o.strideH(), o.strideW())
        .putInts("pads", ph.begin(), pw.begin(), ph.end(), pw.end());
    if (type.equals("AveragePool")) {
      a.putInt("count_include_pad", 0);
    }
    s.node(type, List.of(s.x(0)), List.of(s.out(0, false, o.activation())), a);
  }
}
