package dev.crossalign.tflite;

import java.util.Arrays;

/**
 * What the kernels of the custom ops TFLite can run assume of their operands, checked in Java before the interpreter
 * (part of {@link OpInputChecks}: exit 2). Other custom ops get no kernel but a placeholder, which reads nothing.
 */
public final class CustomOpChecks {
  private CustomOpChecks() {}

  /** MediaPipe's custom transposed conv, which TFLite 2.20 runs only inside its XNNPACK delegate. */
  public static final String TRANSPOSE_CONV_BIAS = "Convolution2DTransposeBias";

  /**
   * Convolution2DTransposeBias (input NHWC, weights [out, kh, kw, in], bias [out]; one output NHWC) as the file
   * declares it; fp16 weights behind a DEQUANTIZE are read at the constant's shape, which is what TFLite gives them.
   */
  static String violation(Operator op, Subgraph g) {
    int[] in = op.inputs();
    if (!isTransposeConvBias(op.customCode(), in, op.outputs())) {
      return null;
    }
    return transposeConvBiasChannels(g.tensor(in[0]).shape(), constantShape(g, in[1]), constantShape(g, in[2]),
        g.tensor(op.outputs()[0]).shape());
  }

  /**
   * Whether a custom node is a Convolution2DTransposeBias with the operands its channel rule reads: 3 inputs (none
   * absent) and 1 output. Any other count is the kernel's own clean refusal.
   */
  public static boolean isTransposeConvBias(String customCode, int[] inputs, int[] outputs) {
    return TRANSPOSE_CONV_BIAS.equals(customCode) && inputs.length == 3 && outputs.length == 1
        && inputs[0] >= 0 && inputs[1] >= 0 && inputs[2] >= 0;
  }

  /**
   * MediaPipe's Convolution2DTransposeBias: TFLite's XNNPACK delegate, its only kernel, checks the input count and each
   * tensor's rank (it declines the node otherwise, a clean refusal) but takes both channel counts from the weights
   * alone and walks the input, bias and output with them. An input with fewer channels is read past its end (SIGSEGV
   * in the fuzz suite), an output with fewer is written past its end, and a bias of another length is read short or
   * silently cut. The one rule for the file's shapes here and for the reference's run-time shapes (its one-op
   * interpreters, backend/tflite).
   *
   * @return what is wrong, or null when the channels agree or a rank is not the kernel's (its own refusal)
   */
  public static String transposeConvBiasChannels(int[] x, int[] w, int[] b, int[] y) {
    if (x.length != 4 || w.length != 4 || b.length != 1 || y.length != 4) {
      return null;
    }
    String weights = "the weights' (input 1, shape " + Arrays.toString(w) + ", [out, kh, kw, in])";
    if (x[3] != w[3]) {
      return "input 0 (input) has shape " + Arrays.toString(x) + ": " + x[3] + " channels, " + weights + " in is "
          + w[3];
    }
    if (b[0] != w[0]) {
      return "input 2 (bias) has shape " + Arrays.toString(b) + ", expected [" + w[0] + "], " + weights + " out";
    }
    if (y[3] != w[0]) {
      return "output 0 has shape " + Arrays.toString(y) + ": " + y[3] + " channels, " + weights + " out is " + w[0];
    }
    return null;
  }

  /** A tensor's shape, or, when a DEQUANTIZE computes it from another tensor, that tensor's (TFLite resizes to it). */
  private static int[] constantShape(Subgraph g, int t) {
    for (Operator op : g.operators()) {
      if (op.builtin() == BuiltinOp.DEQUANTIZE && op.outputs().length == 1 && op.outputs()[0] == t
          && op.inputs().length == 1 && op.inputs()[0] >= 0) {
        return g.tensor(op.inputs()[0]).shape();
      }
    }
    return g.tensor(t).shape();
  }
}
