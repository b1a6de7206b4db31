package dev.crossalign.testutil;

import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.Activation;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.Padding;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Writer-built models of MediaPipe's Convolution2DTransposeBias, and the same numbers as TFLite builtins
 * (TRANSPOSE_CONV then ADD of the bias): the independent oracle for the op.
 */
public final class DeconvModels {
  private DeconvModels() {}

  public static final String CODE = "Convolution2DTransposeBias";

  /** SAME and VALID, stride 1 and 2, odd and even sizes, in and out channels that differ. */
  public static final List<Case> CASES = List.of(
      new Case(4, 4, 3, 2, 2, 2, Padding.SAME), // selfie's geometry: k 2, stride 2
      new Case(5, 3, 3, 4, 3, 2, Padding.SAME), // odd sizes, total padding 1: 0 before, 1 after
      new Case(4, 5, 2, 3, 4, 2, Padding.SAME),
      new Case(5, 5, 4, 2, 3, 1, Padding.SAME),
      new Case(4, 4, 3, 2, 3, 2, Padding.VALID),
      new Case(3, 5, 2, 5, 2, 1, Padding.VALID),
      new Case(4, 3, 4, 3, 1, 2, Padding.VALID)); // kernel shorter than the stride: zero rows, then bias

  /**
   * One geometry; the output size is what TFLite's and XNNPACK's rules agree on: in * stride (SAME), (in - 1) *
   * stride + k (VALID).
   */
  public record Case(int h, int w, int cin, int cout, int k, int stride, Padding padding) {
    public int outH() {
      return padding == Padding.SAME ? h * stride : (h - 1) * stride + k;
    }

    public int outW() {
      return padding == Padding.SAME ? w * stride : (w - 1) * stride + k;
    }

    HostTensor weights() {
      return RandomTensors.uniform(9, Layout.ANY, -1, 1, cout, k, k, cin);
    }

    HostTensor bias() {
      return RandomTensors.uniform(10, Layout.ANY, -1, 1, cout);
    }

    @Override
    public String toString() {
      return h + "x" + w + "x" + cin + "->" + outH() + "x" + outW() + "x" + cout + " k" + k + " s" + stride + " "
          + padding;
    }
  }

  /** TfLiteTransposeConvParams' 12-byte prefix: TfLitePadding (1 SAME, 2 VALID), stride_width, stride_height. */
  public static byte[] options(int paddingCode, int strideW, int strideH) {
    return ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putInt(paddingCode).putInt(strideW)
        .putInt(strideH).array();
  }

  /** The custom op: inputs x, weights, bias; output "y". */
  public static byte[] custom(Case c) {
    return custom(c, options(c.padding() == Padding.SAME ? 1 : 2, c.stride(), c.stride()));
  }

  /** The custom op with the given custom_options bytes. */
  public static byte[] custom(Case c, byte[] customOptions) {
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, 1, c.h(), c.w(), c.cin());
    int f = w.constant("weights", c.weights());
    int b = w.constant("bias", c.bias());
    int y = w.tensor("y", TensorType.FLOAT32, 1, c.outH(), c.outW(), c.cout());
    w.custom(CODE, new int[] {x, f, b}, new int[] {y}, customOptions);
    w.outputs(y);
    return w.build();
  }

  /** TRANSPOSE_CONV without bias, then ADD of the same bias: builtin kernels only. Output "y". */
  public static byte[] builtin(Case c) {
    TfliteWriter w = new TfliteWriter();
    int shape = w.constant("output_shape",
        HostTensor.ofInts(new int[] {4}, Layout.ANY, new int[] {1, c.outH(), c.outW(), c.cout()}));
    int f = w.constant("weights", c.weights());
    int x = w.input("x", TensorType.FLOAT32, 1, c.h(), c.w(), c.cin());
    int t = w.tensor("deconv", TensorType.FLOAT32, 1, c.outH(), c.outW(), c.cout());
    w.op(BuiltinOp.TRANSPOSE_CONV, new OpOptions.TransposeConv(c.padding(), c.stride(), c.stride(), Activation.NONE),
        new int[] {shape, f, x}, new int[] {t});
    int b = w.constant("bias", c.bias());
    int y = w.tensor("y", TensorType.FLOAT32, 1, c.outH(), c.outW(), c.cout());
    w.op(BuiltinOp.ADD, new OpOptions.Arithmetic(11, Activation.NONE), new int[] {t, b},
        new int[] {y});
    w.outputs(y);
    return w.build();
  }
}
