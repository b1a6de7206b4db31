package dev.crossalign.tflite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.crossalign.CrossalignException;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.function.ToIntFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The static shape propagation ({@link RunTimeShapes}) and the refusal it drives in {@link NativeSafety}: MediaPipe's
 * Convolution2DTransposeBias fed by a RESHAPE whose shape is a run-time value. TFLite's XNNPACK delegate, the op's only
 * kernel, is applied inside AllocateTensors and takes the channels from the weights: with x [1, 64, 64, 64] reshaped
 * at run time to [1, 512, 512, 1] the whole-model tflite-xnnpack interpreter read 64 channels per pixel (SIGSEGV, exit
 * 134, by hand through TfliteBackend), and the reference's one-op interpreter computed the old shape. A shape known
 * when the model is prepared (a constant, a SHAPE of a static tensor) is not refused: the run-time check of the
 * reference sees it.
 */
class RunTimeShapesTest {
  @ParameterizedTest
  @MethodSource("dev.crossalign.tflite.TensorSizesTest#realModels")
  void noRealModelIsRefused(Path model) {
    assertThatCode(() -> NativeSafety.check(TfliteModel.read(model))).doesNotThrowAnyException();
  }

  /**
   * x [1, 4, 4, 8] -> RESHAPE(x, shape) -> r [1, 4, 4, 8] declared -> {@code between} -> Convolution2DTransposeBias
   * (weights [2, 2, 2, 8]) -> y; {@code shape} makes the shape tensor and returns its index.
   */
  private static TfliteModel reshapedDeconv(ToIntFunction<TfliteWriter> shape, boolean reluBetween) {
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, 1, 4, 4, 8);
    int s = shape.applyAsInt(w);
    int r = w.tensor("r", TensorType.FLOAT32, 1, 4, 4, 8);
    w.op(BuiltinOp.RESHAPE, new OpOptions.None(), new int[] {x, s}, new int[] {r});
    if (reluBetween) {
      int q = w.tensor("q", TensorType.FLOAT32, 1, 4, 4, 8);
      w.op(BuiltinOp.RELU, new OpOptions.None(), new int[] {r}, new int[] {q});
      r = q;
    }
    int f = w.constant("weights", HostTensor.ofFloats(new int[] {2, 2, 2, 8}, Layout.ANY, new float[64]));
    int b = w.constant("bias", HostTensor.ofFloats(new int[] {2}, Layout.ANY, new float[2]));
    int y = w.tensor("y", TensorType.FLOAT32, 1, 8, 8, 2);
    w.custom(CustomOpChecks.TRANSPOSE_CONV_BIAS, new int[] {r, f, b}, new int[] {y},
        ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putInt(1).putInt(2).putInt(2).array());
    w.outputs(y);
    return TfliteModel.read(w.build(), "deconv.tflite");
  }

  private static String refusal(TfliteModel m) {
    CrossalignException e = catchThrowableOfType(() -> NativeSafety.check(m), CrossalignException.class);
    if (e == null) {
      return null;
    }
    assertThat(e.kind()).isEqualTo(CrossalignException.Kind.UNSUPPORTED);
    assertThat(e.getMessage()).doesNotContain("\n");
    return e.getMessage();
  }

  @Test
  void aShapeGivenAtRunTimeIsRefusedNamingTheOpThatMakesIt() {
    String says = "model deconv.tflite: op #%d Convolution2DTransposeBias is not run by the TFLite reference: its"
        + " input 0 (tensor %d '%s') gets its shape only at run time (op #0 RESHAPE computes it from values that are"
        + " not constant), and TFLite 2.20's only kernel for it, the XNNPACK delegate, takes the shapes fixed when the"
        + " model is prepared: its channels from the weights (a new shape is read past its end)";
    ToIntFunction<TfliteWriter> input = w -> w.input("s", TensorType.INT32, 4);
    assertThat(refusal(reshapedDeconv(input, false))).isEqualTo(String.format(says, 1, 2, "r"));
    // through an op that keeps the shape: still the run's
    assertThat(refusal(reshapedDeconv(input, true))).isEqualTo(String.format(says, 2, 3, "q"));
    // computed from the run's values (a CAST of a float input)
    assertThat(refusal(reshapedDeconv(w -> {
      int f = w.input("f", TensorType.FLOAT32, 4);
      int s = w.tensor("s", TensorType.INT32, 4);
      w.op(BuiltinOp.CAST, new OpOptions.None(), new int[] {f}, new int[] {s});
      return s;
    }, false))).isEqualTo(String.format(says.replace("op #0 RESHAPE", "op #1 RESHAPE"), 2, 3, "r"));
  }

  @Test
  void aShapeKnownWhenTheModelIsPreparedIsNot() {
    assertThat(refusal(reshapedDeconv(w -> w.constant("s", HostTensor.ofInts(new int[] {4}, Layout.ANY,
        new int[] {1, 8, 4, 4})), true))).isNull();
    // SHAPE of a graph input of fixed shape: TFLite computes it when the model is prepared
    assertThat(refusal(reshapedDeconv(w -> {
      int z = w.input("z", TensorType.FLOAT32, 1, 8, 4, 4);
      int s = w.tensor("s", TensorType.INT32, 4);
      w.op(BuiltinOp.SHAPE, new OpOptions.Shape(TensorType.INT32), new int[] {z}, new int[] {s});
      return s;
    }, false))).isNull();
  }
}
