package dev.crossalign.port.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteWriter;
import dev.crossalign.testutil.PortHarness;
import dev.crossalign.testutil.TfliteOracle;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** PRELU (alpha shapes), SOFTMAX / LOG_SOFTMAX (beta, NCHW channel axis), CAST against the real interpreter. */
class PreluSoftmaxCastTest {

  static Stream<Arguments> preluShapes() {
    return Stream.of(
        Arguments.of(new int[] {1, 4, 5, 3}, new int[] {1, 1, 3}),
        Arguments.of(new int[] {1, 4, 5, 3}, new int[] {3}),
        Arguments.of(new int[] {1, 4, 5, 3}, new int[] {1, 1, 1, 3}),
        Arguments.of(new int[] {1, 4, 5, 3}, new int[] {4, 5, 3}),
        Arguments.of(new int[] {6, 3}, new int[] {3}));
  }

  @ParameterizedTest(name = "input {0} alpha {1}")
  @MethodSource("preluShapes")
  void preluMatchesInterpreter(int[] in, int[] alpha) {
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, in);
    // Alphas of both signs and above 1, so the negative branch is visibly scaled.
    int a = w.constant("alpha", OpModels.randomFloats(3, -0.5, 1.5, alpha));
    int y = w.tensor("y", TensorType.FLOAT32, in);
    w.op(BuiltinOp.PRELU, new OpOptions.None(), new int[] {x, a}, new int[] {y});
    w.outputs(y);
    PortHarness.Result r = PortHarness.assertAligned(w.build(), 5, -4, 4, 0);
    assertThat(r.chained()).containsKey("y");
    System.out.println("worst PRELU alpha rank " + alpha.length + " = " + r.worst());
  }

  static Stream<Arguments> softmaxCases() {
    return Stream.of(
        Arguments.of("SOFTMAX", 1.0f, new int[] {1, 3, 4, 6}),
        Arguments.of("SOFTMAX", 0.5f, new int[] {1, 3, 4, 6}),
        Arguments.of("SOFTMAX", 1.0f, new int[] {2, 10}),
        Arguments.of("SOFTMAX", 2.0f, new int[] {2, 10}),
        Arguments.of("SOFTMAX", 1.0f, new int[] {1, 5, 7}),
        Arguments.of("LOG_SOFTMAX", 1.0f, new int[] {1, 3, 4, 6}),
        Arguments.of("LOG_SOFTMAX", 1.0f, new int[] {2, 10}));
  }

  /**
   * atol 1e-6: exp is evaluated by different vectorised code on each side (about an ulp apart), and the sum
   * accumulates in a different order; results are in [0, 1] for softmax and about [-25, 0] for log-softmax.
   */
  @ParameterizedTest(name = "{0} beta {1} shape {2}")
  @MethodSource("softmaxCases")
  void softmaxMatchesInterpreter(String op, float beta, int[] shape) {
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, shape);
    int y = w.tensor("y", TensorType.FLOAT32, shape);
    if (op.equals("SOFTMAX")) {
      w.op(BuiltinOp.SOFTMAX, new OpOptions.Softmax(beta), new int[] {x}, new int[] {y});
    } else {
      w.op(BuiltinOp.LOG_SOFTMAX, new OpOptions.None(), new int[] {x}, new int[] {y});
    }
    w.outputs(y);
    PortHarness.Result r = PortHarness.assertAligned(w.build(), 9, -10, 10, 2e-6);
    assertThat(r.chained()).containsKey("y");
    System.out.println("worst " + op + " beta " + beta + " rank " + shape.length + " = " + r.worst());
  }

  static Stream<Arguments> castCases() {
    return Stream.of(
        Arguments.of(TensorType.FLOAT32, TensorType.INT32, new int[] {1, 3, 4, 5}),
        Arguments.of(TensorType.FLOAT32, TensorType.INT32, new int[] {4, 9}),
        Arguments.of(TensorType.INT32, TensorType.FLOAT32, new int[] {1, 3, 4, 5}),
        Arguments.of(TensorType.FLOAT32, TensorType.BOOL, new int[] {4, 9}),
        Arguments.of(TensorType.INT32, TensorType.INT64, new int[] {4, 9}));
  }

  @ParameterizedTest(name = "{0} -> {1} shape {2}")
  @MethodSource("castCases")
  void castMatchesInterpreter(TensorType from, TensorType to, int[] shape) {
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", from, shape);
    int y = w.tensor("y", to, shape);
    w.op(BuiltinOp.CAST, new OpOptions.Cast(from, to), new int[] {x}, new int[] {y});
    w.outputs(y);
    // Float inputs in [-3, 3): negative fractions check truncation toward zero (-2.7 -> -2).
    PortHarness.Result r = PortHarness.assertAligned(w.build(), 13, -3, 3, 0);
    assertThat(r.chained()).containsKey("y");
    System.out.println("worst CAST " + from + "->" + to + " = " + r.worst());
  }

  /** Hand-picked values: truncation toward zero, exact zero to bool, and both signs of fractions. */
  @Test
  void castFloatToIntTruncatesTowardZeroLikeTflite() {
    float[] v = {-2.7f, -0.5f, -0f, 0f, 0.5f, 2.7f, 1e6f, -3.99f};
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, v.length);
    int y = w.tensor("y", TensorType.INT32, v.length);
    w.op(BuiltinOp.CAST, new OpOptions.Cast(TensorType.FLOAT32, TensorType.INT32), new int[] {x}, new int[] {y});
    w.outputs(y);
    byte[] model = w.build();
    Map<Integer, HostTensor> in = Map.of(x, HostTensor.ofFloats(new int[] {v.length}, Layout.ANY, v));
    HostTensor ref = TfliteOracle.run(model, in).get(y);
    // The interpreter itself is the oracle for the port; the hand values document what it does.
    assertThat(ref.toLongArray()).containsExactly(-2, 0, 0, 0, 0, 2, 1000000, -3);
    PortHarness.Result r = PortHarness.run(model, in);
    assertThat(r.chained()).containsEntry("y", 0.0);
    assertThat(r.isolated()).containsEntry("y", 0.0);
  }
}
