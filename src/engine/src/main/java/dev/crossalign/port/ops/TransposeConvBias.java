package dev.crossalign.port.ops;

import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.OpView;
import dev.crossalign.port.codegen.PyOp;
import dev.crossalign.port.onnx.OnnxOp;
import dev.crossalign.tflite.Activation;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.Padding;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Set;
import java.util.function.Function;

/**
 * MediaPipe's custom op Convolution2DTransposeBias (selfie segmentation): a transposed convolution plus bias, inputs
 * (input NHWC, weights [out, kh, kw, in], bias [out]), the output at the size the model declares. Its custom_options
 * are a raw C TfLiteTransposeConvParams prefix: int32 padding (TfLitePadding: 1 SAME, 2 VALID), int32 stride_width,
 * int32 stride_height (12 bytes in MediaPipe's models). Everything else is TRANSPOSE_CONV's: {@link TransposeConv}
 * holds the one rule for padding, cropping and the zero tail, for the lowering, the PyTorch code and the ONNX export.
 * TFLite runs this op only inside its XNNPACK delegate (the reference's one-op interpreters, backend/tflite).
 */
public final class TransposeConvBias implements OpLowering {
  static final String CODE = "Convolution2DTransposeBias";
  /** TfLitePadding's C enum values (not the schema's Padding codes). */
  private static final int TFLITE_PADDING_SAME = 1;
  private static final int TFLITE_PADDING_VALID = 2;

  @Override
  public Set<String> opNames() {
    return Set.of(CODE);
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    return TransposeConv.lower(ctx, operands(ctx, ctx::unsupported), outputSize(ctx));
  }

  @Override
  public Set<String> pythonOps() {
    return opNames();
  }

  @Override
  public void emitPython(PyOp p) {
    TransposeConv.emitPython(p, operands(p, p::unsupported), outputSize(p));
  }

  @Override
  public Set<String> onnxOps() {
    return opNames();
  }

  @Override
  public void exportOnnx(OnnxOp s) {
    TransposeConv.exportOnnx(s, operands(s.inputCount(), s.has(2), s.op().customOptions(), s::refuse));
  }

  private static TransposeConv.Operands operands(OpView v, Function<String, ? extends RuntimeException> refuse) {
    return operands(v.inputCount(), v.hasInput(2), v.op().customOptions(), refuse);
  }

  /** Input 0, weights 1, bias 2, all three present; padding and strides from the custom options. */
  private static TransposeConv.Operands operands(int inputCount, boolean hasBias, byte[] customOptions,
      Function<String, ? extends RuntimeException> refuse) {
    if (inputCount != 3 || !hasBias) {
      throw refuse.apply("expects 3 inputs (input, weights, bias), has " + inputCount);
    }
    return new TransposeConv.Operands(0, 1, 2, options(customOptions, refuse));
  }

  /** The declared output shape: the op has no output_shape input, the model's tensor says it. */
  private static long[] outputSize(OpView v) {
    return Arrays.stream(v.output(0).shape()).asLongStream().toArray();
  }

  /** Padding and strides from the raw TfLiteTransposeConvParams prefix; no fused activation. */
  static OpOptions.TransposeConv options(byte[] raw, Function<String, ? extends RuntimeException> refuse) {
    if (raw == null || raw.length < 12) {
      throw refuse.apply("custom_options of " + (raw == null ? 0 : raw.length)
          + " bytes, expected at least 12 (padding, stride_width, stride_height)");
    }
    ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
    int padding = b.getInt(0);
    int strideW = b.getInt(4);
    int strideH = b.getInt(8);
    Padding p = switch (padding) {
      case TFLITE_PADDING_SAME -> Padding.SAME;
      case TFLITE_PADDING_VALID -> Padding.VALID;
      default -> throw refuse.apply("padding code " + padding + " in custom_options, expected 1 (SAME) or 2 (VALID)");
    };
    if (strideW < 1 || strideH < 1 || strideW > 1 << 16 || strideH > 1 << 16) {
      throw refuse.apply("strides " + strideW + "x" + strideH + " in custom_options, expected 1..65536");
    }
    return new OpOptions.TransposeConv(p, strideW, strideH, Activation.NONE);
  }
}
