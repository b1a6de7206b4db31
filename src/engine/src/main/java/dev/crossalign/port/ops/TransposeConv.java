package dev.crossalign.port.ops;

import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.OpView;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.codegen.Py;
import dev.crossalign.port.codegen.PyOp;
import dev.crossalign.tflite.OpOptions;
import java.util.Set;
import java.util.function.Supplier;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.port.onnx.OnnxOp;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.SamePadding;
import java.util.ArrayList;
import java.util.List;

/**
 * TRANSPOSE_CONV: inputs (output_shape int32 [4], weights [out, kh, kw, in], input, optional bias). TF takes the
 * padding from the OUTPUT size as if it were a forward conv's input: pad_before = SAME total / 2 computed on
 * output_shape. The full transposed conv (size (in - 1) * stride + k) is then cropped from pad_before to the
 * requested size; when the requested size is larger than what the kernel reaches, the tail is zero (then bias).
 * torch's weight layout for conv_transpose2d is [in, out, kh, kw]; TF does not flip the kernel either.
 */
public final class TransposeConv implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("TRANSPOSE_CONV");
  }

  /**
   * Where a transposed conv finds its operands: TRANSPOSE_CONV and MediaPipe's custom Convolution2DTransposeBias
   * ({@link TransposeConvBias}) differ only here, and share every rule below.
   *
   * @param input the NHWC input's index
   * @param weights the [out, kh, kw, in] weights' index
   * @param bias the bias's index, or -1 for none
   * @param options padding, strides and fused activation
   */
  record Operands(int input, int weights, int bias, OpOptions.TransposeConv options) {
    boolean hasBias() {
      return bias >= 0;
    }

    /** The indices of the float operands present. */
    int[] floats() {
      return hasBias() ? new int[] {input, weights, bias} : new int[] {input, weights};
    }
  }

  /** TRANSPOSE_CONV's operands: output_shape 0, weights 1, input 2, an optional bias 3. */
  private static Operands operands(boolean hasBias, OpOptions.TransposeConv options) {
    return new Operands(2, 1, hasBias ? 3 : -1, options);
  }

  private static Operands operands(OpView v) {
    return operands(v.hasInput(3), (OpOptions.TransposeConv) v.op().options());
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    return lower(ctx, operands(ctx), OpConstants.ints(ctx, 0, "output_shape"));
  }

  /** The lowering for operands {@code k} and the requested output size {@code os} (NHWC). */
  static LoweredOp lower(LoweringContext ctx, Operands k, long[] os) {
    OpOptions.TransposeConv o = k.options();
    FusedActivation.check(ctx, o.activation());
    OpConstants.requireFloat(ctx, k.floats());
    if (!ctx.isConstant(k.weights())) {
      throw ctx.unsupported("weights computed at run time");
    }
    long[] crop = crop(ctx, k, os);
    Supplier<Tensor> weight = ctx.preparedLater(k.weights(), w -> w.permute(3, 0, 1, 2));
    Supplier<Tensor> bias = null;
    if (k.hasBias()) {
      if (!ctx.isConstant(k.bias())) {
        throw ctx.unsupported("bias computed at run time");
      }
      bias = ctx.preparedLater(k.bias(), b -> b.reshape(1, -1, 1, 1));
    }
    Supplier<Tensor> fixedBias = bias;
    long[] stride = {o.strideH(), o.strideW()};
    int in = k.input();
    return inputs -> {
      Tensor x = inputs[in].nchwTensor();
      Tensor y = torch.conv_transpose2d(
          x, weight.get(), new TensorOptional(), stride, new long[] {0, 0}, new long[] {0, 0}, 1, 1, 1);
      y = torch.constant_pad_nd(y, crop);
      if (fixedBias != null) {
        y = y.add(fixedBias.get());
      }
      return new PortValue[] {PortValue.nchw(FusedActivation.apply(y, o.activation()))};
    };
  }

  /**
   * Checks the geometry (for the lowering and the code generation alike) and returns torch's pad list for the full
   * transposed conv's W and H: negative = crop from pad_before, positive = zero tail.
   */
  private static long[] crop(OpView v, Operands k, long[] os) {
    OpOptions.TransposeConv o = k.options();
    int[] ws = v.input(k.weights()).shape();
    int[] in = v.input(k.input()).shape();
    if (os.length != 4 || ws.length != 4 || in.length != 4) {
      throw v.unsupported("expects a 4-value output_shape, rank-4 weights and input");
    }
    if (ws[3] != in[3] || os[3] != ws[0] || os[0] != in[0]) {
      throw v.unsupported("weights " + java.util.Arrays.toString(ws) + " do not match input and output_shape");
    }
    if (o.strideH() < 1 || o.strideW() < 1) {
      throw v.unsupported("stride must be >= 1");
    }
    if (os[1] < 1 || os[2] < 1 || os[1] > 1 << 16 || os[2] > 1 << 16) {
      throw v.unsupported("output_shape " + java.util.Arrays.toString(os) + " has a spatial size outside 1..65536");
    }
    int outH = (int) os[1];
    int outW = (int) os[2];
    // TF takes the padding from the OUTPUT size as if it were a forward conv's input
    SamePadding ph = SamePadding.of(o.padding(), outH, ws[1], o.strideH(), 1);
    SamePadding pw = SamePadding.of(o.padding(), outW, ws[2], o.strideW(), 1);
    int fullH = (in[1] - 1) * o.strideH() + ws[1];
    int fullW = (in[2] - 1) * o.strideW() + ws[2];
    return new long[] {-pw.begin(), outW + pw.begin() - fullW, -ph.begin(), outH + ph.begin() - fullH};
  }

  @Override
  public Set<String> pythonOps() {
    return opNames();
  }

  @Override
  public void emitPython(PyOp p) {
    emitPython(p, operands(p), p.ints(0, "output_shape"));
  }

  /** The PyTorch code for operands {@code k} and the requested output size {@code os} (NHWC). */
  static void emitPython(PyOp p, Operands k, long[] os) {
    OpOptions.TransposeConv o = k.options();
    FusedActivation.check(p, o.activation());
    OpConstants.requireFloat(p, k.floats());
    HostTensor w = p.constant(k.weights());
    if (w == null) {
      throw p.unsupported("weights computed at run time");
    }
    long[] crop = crop(p, k, os);
    if (k.hasBias() && !p.isConstant(k.bias())) {
      throw p.unsupported("bias computed at run time");
    }
    // weights [out, kh, kw, in] -> conv_transpose2d's [in, out, kh, kw]; TF does not flip the kernel either
    String weight = p.weight(k.weights(), "iohw", w.permute(new int[] {3, 0, 1, 2}, Layout.ANY), true);
    String full = p.temp("full");
    p.line(full + " = F.conv_transpose2d(" + p.value(k.input()) + ", " + weight + ", None, "
        + Py.ints(o.strideH(), o.strideW()) + ")  # the full transposed conv, (in - 1) * stride + k");
    // TF's SAME padding computed on output_shape: crop pad_before (negative pads), zeros where the kernel ends short
    String y = "F.pad(" + full + ", " + Py.ints(crop) + ")";
    if (k.hasBias()) {
      HostTensor b = p.constant(k.bias());
      String bias = p.weight(k.bias(), "nchw", b.reshape(new int[] {1, (int) b.numel(), 1, 1}), true);
      y = y + " + " + bias; // after the tail, as TFLite adds the bias to every output pixel
    }
    p.line(p.out(0) + " = " + FusedActivation.py(p, y, o.activation(), true));
  }

  @Override
  public Set<String> onnxOps() {
    return opNames();
  }

  /** ONNX ConvTranspose; inputs output_shape, filter [O, kh, kw, I], input, optional bias. */
  @Override
  public void exportOnnx(OnnxOp s) {
    exportOnnx(s, operands(s.has(3), s.options(OpOptions.TransposeConv.class)));
  }

  /** ONNX ConvTranspose for operands {@code k}; the output size is the output tensor's. */
  static void exportOnnx(OnnxOp s, Operands k) {
    OpOptions.TransposeConv o = k.options();
    if (s.inShape(k.input()).length != 4 || !s.isConst(k.weights())) {
      throw s.refuse("needs a rank-4 input and a constant filter");
    }
    HostTensor w = s.constFloat(k.weights());
    int[] ws = w.shape();
    int[] xs = s.inShape(k.input());
    int[] os = s.outShape(0);
    if (ws.length != 4 || ws[3] != xs[3] || os.length != 4 || os[3] != ws[0]) {
      throw s.refuse("filter shape does not fit input / output channels");
    }
    int kh = ws[1];
    int kw = ws[2];
    // Forward-conv padding with the roles of input and output swapped, as TFLite's kernel computes it.
    SamePadding ph = SamePadding.of(o.padding(), os[1], kh, o.strideH(), 1);
    SamePadding pw = SamePadding.of(o.padding(), os[2], kw, o.strideW(), 1);
    int fullH = (xs[1] - 1) * o.strideH() + kh;
    int fullW = (xs[2] - 1) * o.strideW() + kw;
    int endH = fullH - os[1] - ph.begin();
    int endW = fullW - os[2] - pw.begin();
    int opH = Math.max(-endH, 0);
    int opW = Math.max(-endW, 0);
    if (opH >= o.strideH() && opH > 0 || opW >= o.strideW() && opW > 0) {
      throw s.refuse("output_shape larger than the transposed convolution produces");
    }
    // [O, kh, kw, I] -> ONNX ConvTranspose [I, O, kh, kw]
    String wName = s.init(s.in(k.weights()).name() + "/iohw", w.permute(new int[] {3, 0, 1, 2}, Layout.ANY));
    List<String> ins = new ArrayList<>(List.of(s.x(k.input()), wName));
    if (k.hasBias()) {
      ins.add(s.x(k.bias()));
    }
    OnnxGraphBuilder.Attrs a = OnnxGraphBuilder.attrs()
        .putInts("kernel_shape", kh, kw)
        .putInts("strides", o.strideH(), o.strideW())
        .putInts("pads", ph.begin(), pw.begin(), Math.max(endH, 0), Math.max(endW, 0));
    if (opH > 0 || opW > 0) {
      a.putInts("output_padding", opH, opW);
    }
    s.node("ConvTranspose", ins, List.of(s.out(0, false, o.activation())), a);
  }
}
