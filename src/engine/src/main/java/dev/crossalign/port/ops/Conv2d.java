package dev.crossalign.port.ops;

import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.OpView;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.onnx.OnnxOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.port.codegen.Py;
import dev.crossalign.port.codegen.PyOp;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.Activation;
import dev.crossalign.tflite.Padding;
import dev.crossalign.tflite.SamePadding;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * CONV_2D: filter [out, kh, kw, in] (OHWI) permuted once to OIHW; SAME padding as TF computes it, padded explicitly
 * when the two sides differ. Grouped convs (in channels a multiple of the filter's) use groups = C / filter_in.
 */
public final class Conv2d implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("CONV_2D");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    OpOptions.Conv2D o = (OpOptions.Conv2D) ctx.op().options();
    FusedActivation.check(ctx, o.activation());
    OpConstants.requireFloat(ctx, 0, 1, 2);
    checkOperands(ctx);
    int[] in = ctx.input(0).shape();
    int[] ws = ctx.input(1).shape();
    Supplier<Tensor> weight = ctx.preparedLater(1, PortValue::toNchw);
    Supplier<Tensor> bias = ctx.hasInput(2) ? ctx.preparedLater(2, b -> b) : null;
    int groups = in[3] / ws[3];
    SamePadding ph = SamePadding.of(o.padding(), in[1], ws[1], o.strideH(), o.dilationH());
    SamePadding pw = SamePadding.of(o.padding(), in[2], ws[2], o.strideW(), o.dilationW());
    long[] stride = {o.strideH(), o.strideW()};
    long[] dilation = {o.dilationH(), o.dilationW()};
    return inputs -> {
      // created per run: a native object made at prepare time would be freed with the preparation's PointerScope
      TensorOptional b = bias == null ? new TensorOptional() : new TensorOptional(bias.get());
      Tensor x = inputs[0].nchwTensor().contiguous(torch.MemoryFormat.ChannelsLast); // no-op when it already is
      Tensor y;
      if (ph.symmetric() && pw.symmetric()) {
        y = torch.conv2d(x, weight.get(), b, stride, new long[] {ph.begin(), pw.begin()}, dilation, groups);
      } else {
        Tensor padded = torch.constant_pad_nd(x, pw.begin(), pw.end(), ph.begin(), ph.end())
            .contiguous(torch.MemoryFormat.ChannelsLast);
        y = torch.conv2d(padded, weight.get(), b, stride, new long[] {0, 0}, dilation, groups);
      }
      return new PortValue[] {PortValue.nchw(FusedActivation.apply(y, o.activation()))};
    };
  }

  /** A constant rank-4 filter and bias, a rank-4 input: for the lowering and the code generation alike. */
  private static void checkOperands(OpView v) {
    if (!v.isConstant(1)) {
      throw v.unsupported("filter computed at run time");
    }
    if (v.input(0).shape().length != 4 || v.input(1).shape().length != 4) {
      throw v.unsupported("expects a rank-4 input and filter");
    }
    if (v.hasInput(2) && !v.isConstant(2)) {
      throw v.unsupported("bias computed at run time");
    }
  }

  @Override
  public Set<String> pythonOps() {
    return opNames();
  }

  @Override
  public void emitPython(PyOp p) {
    OpOptions.Conv2D o = (OpOptions.Conv2D) p.op().options();
    FusedActivation.check(p, o.activation());
    OpConstants.requireFloat(p, 0, 1, 2);
    checkOperands(p);
    HostTensor w = p.constant(1);
    int[] in = p.inShape(0);
    int[] ws = p.inShape(1);
    String weight = p.weight(1, "oihw", w.permute(Layout.nhwcToNchw(), Layout.ANY), true);
    String bias = p.hasInput(2) ? p.value(2) : "None";
    emitConv(p, weight, bias, in, ws[1], ws[2], in[3] / ws[3], o.padding(), o.strideH(), o.strideW(),
        o.dilationH(), o.dilationW(), o.activation());
  }

  /** torch.conv2d with TF's SAME padding: an explicit F.pad first when the two sides of an axis differ. */
  static void emitConv(PyOp p, String weight, String bias, int[] in, int kh, int kw, int groups, Padding padding,
      int sh, int sw, int dh, int dw, Activation act) {
    emitConv(p, p.value(0), weight, bias, in, kh, kw, groups, padding, sh, sw, dh, dw, act);
  }

  /** As above, on the expression {@code x} instead of the op's input 0. */
  static void emitConv(PyOp p, String x, String weight, String bias, int[] in, int kh, int kw, int groups,
      Padding padding, int sh, int sw, int dh, int dw, Activation act) {
    SamePadding ph = SamePadding.of(padding, in[1], kh, sh, dh);
    SamePadding pw = SamePadding.of(padding, in[2], kw, sw, dw);
    String pad;
    if (ph.symmetric() && pw.symmetric()) {
      pad = Py.ints(ph.begin(), pw.begin());
    } else {
      String t = p.temp("padded");
      p.line(t + " = F.pad(" + x + ", " + Py.ints(pw.begin(), pw.end(), ph.begin(), ph.end())
          + ")  # TF SAME: the odd pixel at the end");
      x = t;
      pad = "[0, 0]";
    }
    p.line(p.out(0) + " = " + FusedActivation.py(p, "torch.conv2d(" + x + ", " + weight + ", " + bias + ", "
        + Py.ints(sh, sw) + ", " + pad + ", " + Py.ints(dh, dw) + ", " + groups + ")", act, true));
  }

  @Override
  public Set<String> onnxOps() {
    return opNames();
  }

  /** ONNX Conv with TF's SAME padding as asymmetric pads (the odd pixel at the end), filter [O, kh, kw, I] -> OIHW. */
  @Override
  public void exportOnnx(OnnxOp s) {
    OpOptions.Conv2D o = s.options(OpOptions.Conv2D.class);
    onnxRequireRank4(s, 0);
    if (!s.isConst(1)) {
      throw s.refuse("non-constant filter");
    }
    HostTensor w = s.constFloat(1); // [O, kh, kw, I]
    int[] ws = w.shape();
    int[] xs = s.inShape(0);
    if (ws.length != 4 || ws[3] <= 0 || xs[3] % ws[3] != 0) {
      throw s.refuse("filter shape does not fit the input channels");
    }
    int group = xs[3] / ws[3];
    String wName = s.init(s.in(1).name() + "/oihw", w.permute(OnnxOp.TO_NCHW, Layout.ANY));
    onnxConv(s, wName, ws[1], ws[2], group, o.padding(), o.strideH(), o.strideW(), o.dilationH(), o.dilationW(),
        o.activation());
  }

  static void onnxRequireRank4(OnnxOp s, int i) {
    if (s.inShape(i).length != 4) {
      throw s.refuse("input '" + s.in(i).name() + "' has rank " + s.inShape(i).length + ", expected 4");
    }
  }

  /** The ONNX Conv node of CONV_2D and DEPTHWISE_CONV_2D (input 0, filter {@code w} already OIHW, bias input 2). */
  static void onnxConv(OnnxOp s, String w, int kh, int kw, int group, Padding padding, int sh, int sw, int dh,
      int dw, Activation act) {
    int[] xs = s.inShape(0);
    int dH = Math.max(dh, 1);
    int dW = Math.max(dw, 1);
    SamePadding ph = SamePadding.of(padding, xs[1], kh, sh, dH);
    SamePadding pw = SamePadding.of(padding, xs[2], kw, sw, dW);
    List<String> ins = new ArrayList<>(List.of(s.x(0), w));
    if (s.has(2)) {
      ins.add(s.x(2));
    }
    s.node("Conv", ins, List.of(s.out(0, false, act)), OnnxGraphBuilder.attrs()
        .putInts("kernel_shape", kh, kw)
        .putInts("strides", sh, sw)
        .putInts("dilations", dH, dW)
        .putInts("pads", ph.begin(), pw.begin(), ph.end(), pw.end())
        .putInt("group", group));
  }
}
