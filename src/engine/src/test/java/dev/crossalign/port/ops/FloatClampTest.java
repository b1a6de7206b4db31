package dev.crossalign.port.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.testutil.PortHarness;
import dev.crossalign.tflite.Activation;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.Padding;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteModel;
import dev.crossalign.tflite.TfliteWriter;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Float overflow where TFLite clamps: its float kernels with a fused activation (NONE included) end in
 * {@code min(max(x, act_min), act_max)} with the range of CalculateActivationRange, [lowest, max] of float for NONE
 * (and TANH, which the kernels ignore), [0, max] for RELU. So an overflow is +-3.4028235e38 in the interpreter, not
 * Inf, and what follows differs: FLT_MAX - FLT_MAX is 0 where Inf - Inf is NaN. Each case feeds values that overflow
 * float32, asserts the interpreter's output is clamped (the oracle's behaviour, not an assumption), and asserts the
 * port gives the same bits, then a SUB of the result from itself: 0 in both, not NaN.
 */
class FloatClampTest {
  private static final float BIG = 3e38f;

  static Stream<Arguments> cases() {
    return Stream.of(BuiltinOp.ADD, BuiltinOp.SUB, BuiltinOp.MUL, BuiltinOp.DIV, BuiltinOp.CONV_2D,
            BuiltinOp.DEPTHWISE_CONV_2D, BuiltinOp.FULLY_CONNECTED, BuiltinOp.AVERAGE_POOL_2D)
        .flatMap(op -> Stream.of(Arguments.of(op, Activation.NONE), Arguments.of(op, Activation.RELU)));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void overflowIsClampedToFloatMaxAsTheInterpreterDoes(BuiltinOp op, Activation act) {
    TfliteWriter w = new TfliteWriter();
    int[] shape = {1, 2, 2, 2};
    int x = w.input("x", TensorType.FLOAT32, shape);
    int y;
    switch (op) {
      case ADD, SUB, MUL, DIV -> {
        float c = switch (op) {
          case ADD -> BIG;
          case SUB -> -BIG;
          case MUL -> 10f;
          default -> 0.1f;
        };
        int k = w.constant("k", HostTensor.ofFloats(new int[] {1}, Layout.ANY, new float[] {c}));
        y = w.tensor("y", TensorType.FLOAT32, shape);
        int unionType = switch (op) {
          case ADD -> 11;
          case MUL -> 21;
          case SUB -> 28;
          default -> 29;
        };
        w.op(op, new OpOptions.Arithmetic(unionType, act), new int[] {x, k}, new int[] {y});
      }
      case CONV_2D -> {
        int f = w.constant("f", filled(new int[] {2, 1, 1, 2}, 10f));
        int b = w.constant("b", filled(new int[] {2}, 0f));
        y = w.tensor("y", TensorType.FLOAT32, shape);
        w.op(op, new OpOptions.Conv2D(Padding.VALID, 1, 1, act, 1, 1), new int[] {x, f, b}, new int[] {y});
      }
      case DEPTHWISE_CONV_2D -> {
        int f = w.constant("f", filled(new int[] {1, 1, 1, 2}, 10f));
        int b = w.constant("b", filled(new int[] {2}, 0f));
        y = w.tensor("y", TensorType.FLOAT32, shape);
        w.op(op, new OpOptions.DepthwiseConv2D(Padding.VALID, 1, 1, 1, act, 1, 1), new int[] {x, f, b},
            new int[] {y});
      }
      case FULLY_CONNECTED -> {
        int f = w.constant("f", filled(new int[] {3, 8}, 10f));
        int b = w.constant("b", filled(new int[] {3}, 0f));
        y = w.tensor("y", TensorType.FLOAT32, 1, 3);
        w.op(op, new OpOptions.FullyConnected(act, 0, false), new int[] {x, f, b}, new int[] {y});
      }
      default -> {
        y = w.tensor("y", TensorType.FLOAT32, 1, 1, 1, 2);
        w.op(op, new OpOptions.Pool2D(Padding.VALID, 2, 2, 2, 2, act), new int[] {x}, new int[] {y});
      }
    }
    int z = w.tensor("z", TensorType.FLOAT32, w.buildModel().main().tensor(y).shape());
    w.op(BuiltinOp.SUB, new OpOptions.Arithmetic(28, Activation.NONE), new int[] {y, y}, new int[] {z});
    w.outputs(z);
    byte[] model = w.build();
    int xIndex = TfliteModel.read(model, "clamp").main().inputs()[0];
    // Elementwise: overflow both ways, and small values that stay as they are. Contractions (conv, FC, pooling): all
    // positive, so that a sum overflows to +Inf and never meets -Inf (Inf - Inf is NaN in any summation order).
    boolean elementwise = op == BuiltinOp.ADD || op == BuiltinOp.SUB || op == BuiltinOp.MUL || op == BuiltinOp.DIV;
    float[] in = elementwise ? new float[] {BIG, -BIG, BIG, BIG, 1f, -BIG, BIG, 0.5f}
        : new float[] {BIG, BIG / 2, BIG, 1f, 0.5f, BIG, 2f, BIG};
    PortHarness.Result r =
        PortHarness.run(model, Map.of(xIndex, HostTensor.ofFloats(shape, Layout.NHWC, in)));
    HostTensor ref = r.reference().get("y");
    float[] refY = floats(ref);
    assertThat(refY).as("the interpreter's %s %s output %s", op, act, Arrays.toString(refY))
        .doesNotContain(Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY)
        .contains(Float.MAX_VALUE);
    assertThat(r.chained()).as("chained max abs error per tensor").containsEntry("y", 0.0).containsEntry("z", 0.0);
    assertThat(r.isolated()).as("isolated max abs error per tensor").containsEntry("y", 0.0).containsEntry("z", 0.0);
    assertThat(floats(r.reference().get("z"))).as("FLT_MAX - FLT_MAX in the interpreter").containsOnly(0f);
  }

  private static HostTensor filled(int[] shape, float v) {
    float[] a = new float[(int) HostTensor.numel(shape)];
    Arrays.fill(a, v);
    return HostTensor.ofFloats(shape, Layout.ANY, a);
  }

  private static float[] floats(HostTensor t) {
    float[] out = new float[(int) t.numel()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) t.getDouble(i);
    }
    return out;
  }
}
