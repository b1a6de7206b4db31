package dev.crossalign.port.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteWriter;
import dev.crossalign.testutil.PortHarness;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Unary math and activation ops against the real interpreter, each over the input range that exercises it. */
class UnaryOpsTest {

  /**
   * One op, its options, the input range and the tolerance. Ranges stay where the op is defined (LOG, SQRT, RSQRT on
   * positives), cross zero for the RELU family, and reach saturation for LOGISTIC and TANH. atol: 0 where both sides
   * do the same IEEE operations; transcendental ops (exp, log, tanh, sigmoid, erf) are computed by different
   * vectorised approximations on each side and agree to about an ulp of the result, hence a few 1e-7 at magnitudes
   * up to ~20 (EXP's 2e-6 is one ulp of e^3 = 20).
   */
  record Case(String label, BuiltinOp op, OpOptions options, double lo, double hi, double atol) {
    @Override
    public String toString() {
      return label;
    }
  }

  static final int[][] SHAPES = {{1, 4, 5, 3}, {3, 7}};

  static Stream<Arguments> cases() {
    OpOptions none = new OpOptions.None();
    Case[] base = {
      new Case("SQRT", BuiltinOp.SQRT, none, 0.001, 10, 0),
      new Case("RSQRT", BuiltinOp.RSQRT, none, 0.01, 10, 1e-6),
      new Case("EXP", BuiltinOp.EXP, none, -3, 3, 2e-6),
      new Case("LOG", BuiltinOp.LOG, none, 0.001, 10, 1e-6),
      new Case("ABS", BuiltinOp.ABS, none, -5, 5, 0),
      new Case("NEG", BuiltinOp.NEG, none, -5, 5, 0),
      new Case("RELU", BuiltinOp.RELU, none, -5, 5, 0),
      new Case("RELU6", BuiltinOp.RELU6, none, -10, 10, 0),
      new Case("RELU_N1_TO_1", BuiltinOp.RELU_N1_TO_1, none, -3, 3, 0),
      new Case("LEAKY_RELU a=0.2", BuiltinOp.LEAKY_RELU, new OpOptions.LeakyRelu(0.2f), -5, 5, 0),
      new Case("LEAKY_RELU a=0.01", BuiltinOp.LEAKY_RELU, new OpOptions.LeakyRelu(0.01f), -5, 5, 0),
      new Case("ELU", BuiltinOp.ELU, none, -5, 5, 1e-6),
      new Case("GELU exact", BuiltinOp.GELU, new OpOptions.Gelu(false), -5, 5, 1e-6),
      new Case("GELU tanh", BuiltinOp.GELU, new OpOptions.Gelu(true), -5, 5, 1e-6),
      new Case("LOGISTIC", BuiltinOp.LOGISTIC, none, -5, 5, 1e-6),
      new Case("LOGISTIC saturated", BuiltinOp.LOGISTIC, none, -40, 40, 1e-6),
      new Case("TANH", BuiltinOp.TANH, none, -3, 3, 1e-6),
      new Case("TANH saturated", BuiltinOp.TANH, none, -30, 30, 1e-6),
      new Case("HARD_SWISH", BuiltinOp.HARD_SWISH, none, -6, 6, 0),
    };
    List<Arguments> out = new ArrayList<>();
    for (Case c : base) {
      for (int[] shape : SHAPES) {
        out.add(Arguments.of(c, shape));
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} rank {1}")
  @MethodSource("cases")
  void matchesInterpreter(Case c, int[] shape) {
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, shape);
    int y = w.tensor("y", TensorType.FLOAT32, shape);
    w.op(c.op(), c.options(), new int[] {x}, new int[] {y});
    w.outputs(y);
    PortHarness.Result r = PortHarness.assertAligned(w.build(), 11, c.lo(), c.hi(), c.atol());
    assertThat(r.chained()).containsKey("y");
    System.out.println("worst " + c + " rank " + shape.length + " = " + r.worst());
  }
}
