package dev.crossalign.port.onnx;

import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.Activation;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.Padding;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV, FULLY_CONNECTED. */
final class ConvOps {
  private ConvOps() {}

  static void register(Map<BuiltinOp, OpExporter> m) {
    m.put(BuiltinOp.CONV_2D, ConvOps::conv2d);
    m.put(BuiltinOp.DEPTHWISE_CONV_2D, ConvOps::depthwise);
    m.put(BuiltinOp.TRANSPOSE_CONV, ConvOps::transposeConv);
    m.put(BuiltinOp.FULLY_CONNECTED, ConvOps::fullyConnected);
  }

  /** TF SAME padding of one spatial axis: {begin, end}, the extra pixel at the end. VALID: {0, 0}. */
  static int[] pad(Padding p, int in, int k, int stride, int dilation) {
    if (p == Padding.VALID) {
      return new int[] {0, 0};
    }
    int out = (in + stride - 1) / stride;
    int total = Math.max((out - 1) * stride + (k - 1) * dilation + 1 - in, 0);
    return new int[] {total / 2, total - total / 2};
  }

  private static void requireRank4(OnnxOp s, int i) {
    if (s.inShape(i).length != 4) {
      throw s.refuse("input '" + s.in(i).name() + "' has rank " + s.inShape(i).length + ", expected 4");
    }
  }

  private static void conv2d(OnnxOp s) {
    OpOptions.Conv2D o = s.options(OpOptions.Conv2D.class);
    requireRank4(s, 0);
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
    emitConv(s, "Conv", wName, ws[1], ws[2], group, o.padding(), o.strideH(), o.strideW(), o.dilationH(),
        o.dilationW(), o.activation());
  }

  private static void depthwise(OnnxOp s) {
    OpOptions.DepthwiseConv2D o = s.options(OpOptions.DepthwiseConv2D.class);
    requireRank4(s, 0);
    if (!s.isConst(1)) {
      throw s.refuse("non-constant filter");
    }
    HostTensor w = s.constFloat(1); // [1, kh, kw, C * m]
    int[] ws = w.shape();
    int c = s.inShape(0)[3];
    if (ws.length != 4 || ws[0] != 1 || c <= 0 || ws[3] % c != 0) {
      throw s.refuse("depthwise filter shape does not fit " + c + " input channels");
    }
    // [1, kh, kw, C*m] -> [C*m, 1, kh, kw]: output channel ic*m + j reads input channel ic, as ONNX group = C.
    String wName = s.init(s.in(1).name() + "/oihw", w.permute(new int[] {3, 0, 1, 2}, Layout.ANY));
    emitConv(s, "Conv", wName, ws[1], ws[2], c, o.padding(), o.strideH(), o.strideW(), o.dilationH(),
        o.dilationW(), o.activation());
  }

  private static void emitConv(OnnxOp s, String type, String w, int kh, int kw, int group,
      Padding padding, int sh, int sw, int dh, int dw, Activation act) {
    int[] xs = s.inShape(0);
    int dH = Math.max(dh, 1);
    int dW = Math.max(dw, 1);
    int[] ph = pad(padding, xs[1], kh, sh, dH);
    int[] pw = pad(padding, xs[2], kw, sw, dW);
    List<String> ins = new ArrayList<>(List.of(s.x(0), w));
    if (s.has(2)) {
      ins.add(s.x(2));
    }
    s.node(type, ins, List.of(s.out(0, false, act)), OnnxGraphBuilder.attrs()
        .putInts("kernel_shape", kh, kw)
        .putInts("strides", sh, sw)
        .putInts("dilations", dH, dW)
        .putInts("pads", ph[0], pw[0], ph[1], pw[1])
        .putInt("group", group));
  }

  private static void transposeConv(OnnxOp s) {
    OpOptions.TransposeConv o = s.options(OpOptions.TransposeConv.class);
    // inputs: output_shape, filter [O, kh, kw, I], input, optional bias
    if (s.inShape(2).length != 4 || !s.isConst(1)) {
      throw s.refuse("needs a rank-4 input and a constant filter");
    }
    HostTensor w = s.constFloat(1);
    int[] ws = w.shape();
    int[] xs = s.inShape(2);
    int[] os = s.outShape(0);
    if (ws.length != 4 || ws[3] != xs[3] || os.length != 4 || os[3] != ws[0]) {
      throw s.refuse("filter shape does not fit input / output channels");
    }
    int kh = ws[1];
    int kw = ws[2];
    // Forward-conv padding with the roles of input and output swapped, as TFLite's kernel computes it.
    int[] ph = pad(o.padding(), os[1], kh, o.strideH(), 1);
    int[] pw = pad(o.padding(), os[2], kw, o.strideW(), 1);
    int fullH = (xs[1] - 1) * o.strideH() + kh;
    int fullW = (xs[2] - 1) * o.strideW() + kw;
    int endH = fullH - os[1] - ph[0];
    int endW = fullW - os[2] - pw[0];
    int opH = Math.max(-endH, 0);
    int opW = Math.max(-endW, 0);
    if (opH >= o.strideH() && opH > 0 || opW >= o.strideW() && opW > 0) {
      throw s.refuse("output_shape larger than the transposed convolution produces");
    }
    // [O, kh, kw, I] -> ONNX ConvTranspose [I, O, kh, kw]
    String wName = s.init(s.in(1).name() + "/iohw", w.permute(new int[] {3, 0, 1, 2}, Layout.ANY));
    List<String> ins = new ArrayList<>(List.of(s.x(2), wName));
    if (s.has(3)) {
      ins.add(s.x(3));
    }
    OnnxGraphBuilder.Attrs a = OnnxGraphBuilder.attrs()
        .putInts("kernel_shape", kh, kw)
        .putInts("strides", o.strideH(), o.strideW())
        .putInts("pads", ph[0], pw[0], Math.max(endH, 0), Math.max(endW, 0));
    if (opH > 0 || opW > 0) {
      a.putInts("output_padding", opH, opW);
    }
    s.node("ConvTranspose", ins, List.of(s.out(0, false, o.activation())), a);
  }

  private static void fullyConnected(OnnxOp s) {
    OpOptions.FullyConnected o = s.options(OpOptions.FullyConnected.class);
    if (o.weightsFormat() != 0) {
      throw s.refuse("shuffled weights format " + o.weightsFormat());
    }
    int[] ws = s.inShape(1);
    if (ws.length != 2) {
      throw s.refuse("weights of rank " + ws.length);
    }
    int in = ws[1];
    int units = ws[0];
    String x2 = s.tmp("flat");
    s.node("Reshape", List.of(s.tf(0), s.i64(-1, in)), List.of(x2));
    String w = s.isConst(1) ? s.init(s.in(1).name(), s.constFloat(1)) : s.tf(1);
    List<String> ins = new ArrayList<>(List.of(x2, w));
    if (s.has(2)) {
      ins.add(s.tf(2));
    }
    int[] os = s.outShape(0);
    long rows = 1;
    for (int i = 0; i < os.length - 1; i++) {
      rows *= os[i];
    }
    boolean plain = os.length == 2 && os[1] == units;
    String target = plain ? s.out(0, true, o.activation()) : s.tmp("gemm");
    s.node("Gemm", ins, List.of(target), OnnxGraphBuilder.attrs().putInt("transB", 1));
    if (!plain) {
      long[] shape = new long[os.length];
      for (int i = 0; i < os.length; i++) {
        shape[i] = os[i];
      }
      if (rows * units != HostTensor.numel(os)) {
        throw s.refuse("output shape does not hold " + rows + " x " + units);
      }
      s.node("Reshape", List.of(target, s.i64(shape)), List.of(s.out(0, true, o.activation())));
    }
  }
}
