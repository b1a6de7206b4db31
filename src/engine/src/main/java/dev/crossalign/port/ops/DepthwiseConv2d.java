package dev.crossalign.port.ops;

import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.onnx.OnnxOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.port.codegen.PyOp;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.SamePadding;
import java.util.Set;
import java.util.function.Supplier;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * DEPTHWISE_CONV_2D: filter [1, kh, kw, in * multiplier] becomes torch's [in * multiplier, 1, kh, kw] with groups =
 * in. TFLite's output channel {@code ic * multiplier + m} reads input channel {@code ic}, which is exactly torch's
 * grouping of consecutive output channels. The multiplier is taken from the filter shape (the option field is
 * advisory in newer converters). SAME padding as TF computes it, padded explicitly when the sides differ.
 */
public final class DepthwiseConv2d implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("DEPTHWISE_CONV_2D");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    OpOptions.DepthwiseConv2D o = (OpOptions.DepthwiseConv2D) ctx.op().options();
    FusedActivation.check(ctx, o.activation());
    OpConstants.requireFloat(ctx, 0, 1, 2);
    if (!ctx.isConstant(1)) {
      throw ctx.unsupported("filter computed at run time");
    }
    int[] in = ctx.input(0).shape();
    int[] ws = ctx.input(1).shape();
    String refusal = geometryRefusal(in, ws, o);
    if (refusal != null) {
      throw ctx.unsupported(refusal);
    }
    Supplier<Tensor> weight = ctx.preparedLater(1, w -> w.permute(3, 0, 1, 2));
    Supplier<Tensor> bias = null;
    if (ctx.hasInput(2)) {
      if (!ctx.isConstant(2)) {
        throw ctx.unsupported("bias computed at run time");
      }
      bias = ctx.preparedLater(2, b -> b);
    }
    // libtorch 2.10's CPU grouped conv with more than one output channel per group (a depthwise multiplier > 1)
    // returned wrong values on this project's AVX-512 AMD EPYC machines (max_abs 2-8 against the interpreter in
    // DepthwiseConv2dTest, in channels-last and NCHW memory alike). Repeating each input channel `multiplier` times
    // makes TFLite's output channel ic * m + k read expanded channel ic * m + k, a plain depthwise conv (one channel
    // per group), which is exact.
    int multiplier = ws[3] / in[3];
    int groups = ws[3];
    SamePadding ph = SamePadding.of(o.padding(), in[1], ws[1], o.strideH(), o.dilationH());
    SamePadding pw = SamePadding.of(o.padding(), in[2], ws[2], o.strideW(), o.dilationW());
    long[] stride = {o.strideH(), o.strideW()};
    long[] dilation = {o.dilationH(), o.dilationW()};
    Supplier<Tensor> fixedBias = bias;
    return inputs -> {
      TensorOptional b = fixedBias == null ? new TensorOptional() : new TensorOptional(fixedBias.get());
      Tensor x = inputs[0].nchwTensor();
      if (multiplier > 1) {
        x = x.repeat_interleave(multiplier, new LongOptional(1), new LongOptional());
      }
      x = x.contiguous(torch.MemoryFormat.ChannelsLast); // no-op when it already is
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

  @Override
  public Set<String> pythonOps() {
    return opNames();
  }

  @Override
  public void emitPython(PyOp p) {
    OpOptions.DepthwiseConv2D o = (OpOptions.DepthwiseConv2D) p.op().options();
    FusedActivation.check(p, o.activation());
    OpConstants.requireFloat(p, 0, 1, 2);
    HostTensor w = p.constant(1);
    if (w == null) {
      throw p.unsupported("filter computed at run time");
    }
    int[] in = p.inShape(0);
    int[] ws = p.inShape(1);
    String refusal = geometryRefusal(in, ws, o);
    if (refusal != null) {
      throw p.unsupported(refusal);
    }
    if (p.hasInput(2) && !p.isConstant(2)) {
      throw p.unsupported("bias computed at run time");
    }
    // [1, kh, kw, c*m] -> [c*m, 1, kh, kw], groups = c
    String weight = p.weight(1, "oihw", w.permute(new int[] {3, 0, 1, 2}, Layout.ANY), true);
    String bias = p.hasInput(2) ? p.value(2) : "None";
    int multiplier = ws[3] / in[3];
    String x = p.value(0);
    if (multiplier > 1) {
      // as the lowering: libtorch 2.10's CPU grouped conv with several output channels per group was wrong on
      // AVX-512 AMD EPYC; each input channel repeated `multiplier` times makes it a plain depthwise conv
      x = p.temp("repeated");
      p.line(x + " = " + p.value(0) + ".repeat_interleave(" + multiplier + ", 1)  # depthwise multiplier "
          + multiplier + ": output channel c*m+k reads input channel c");
    }
    Conv2d.emitConv(p, x, weight, bias, in, ws[1], ws[2], ws[3], o.padding(), o.strideH(), o.strideW(),
        o.dilationH(), o.dilationW(), o.activation());
  }

  /** Why the lowering and the code generation alike refuse this input/filter geometry, or null when they take it. */
  private static String geometryRefusal(int[] in, int[] ws, OpOptions.DepthwiseConv2D o) {
    if (in.length != 4 || ws.length != 4 || ws[0] != 1) {
      return "expects a rank-4 input and a [1, kh, kw, c*m] filter";
    }
    if (in[3] <= 0 || ws[3] % in[3] != 0) {
      return "filter channels " + ws[3] + " are not a multiple of input channels " + in[3];
    }
    if (o.strideH() < 1 || o.strideW() < 1 || o.dilationH() < 1 || o.dilationW() < 1) {
      return "stride and dilation must be >= 1";
    }
    return null;
  }

  @Override
  public Set<String> onnxOps() {
    return opNames();
  }

  /** ONNX Conv with group = C: filter [1, kh, kw, C*m] -> [C*m, 1, kh, kw], output channel ic*m + j reads ic. */
  @Override
  public void exportOnnx(OnnxOp s) {
    OpOptions.DepthwiseConv2D o = s.options(OpOptions.DepthwiseConv2D.class);
    Conv2d.onnxRequireRank4(s, 0);
    if (!s.isConst(1)) {
      throw s.refuse("non-constant filter");
    }
    HostTensor w = s.constFloat(1); // [1, kh, kw, C * m]
    int[] ws = w.shape();
    int c = s.inShape(0)[3];
    if (ws.length != 4 || ws[0] != 1 || c <= 0 || ws[3] % c != 0) {
      throw s.refuse("depthwise filter shape does not fit " + c + " input channels");
    }
    String wName = s.init(s.in(1).name() + "/oihw", w.permute(new int[] {3, 0, 1, 2}, Layout.ANY));
    Conv2d.onnxConv(s, wName, ws[1], ws[2], c, o.padding(), o.strideH(), o.strideW(), o.dilationH(),
        o.dilationW(), o.activation());
  }
}
