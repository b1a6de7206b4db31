package dev.crossalign.port.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.tflite.Activation;
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

/** Binary elementwise ops against the real interpreter, over the operand shapes real models use. */
class ElementwiseBinaryTest {

  /** How the two operands arrive: shapes, and whether the second (or first) is a constant. */
  enum Shapes {
    BOTH_RANK4(new int[] {1, 3, 4, 5}, new int[] {1, 3, 4, 5}, false, false),
    RANK4_BROADCAST_INPUTS(new int[] {1, 3, 4, 5}, new int[] {1, 1, 4, 1}, false, false),
    RANK4_PLUS_CHANNEL_CONST(new int[] {1, 3, 4, 5}, new int[] {5}, true, false),
    RANK4_PLUS_1x1x1xC_CONST(new int[] {1, 3, 4, 5}, new int[] {1, 1, 1, 5}, true, false),
    RANK4_PLUS_HxWx1_CONST(new int[] {1, 3, 4, 5}, new int[] {3, 4, 1}, true, false),
    RANK4_PLUS_SCALAR_CONST(new int[] {1, 3, 4, 5}, new int[] {}, true, false),
    CHANNEL_CONST_FIRST(new int[] {1, 3, 4, 5}, new int[] {5}, true, true),
    RANK2(new int[] {3, 7}, new int[] {3, 7}, false, false),
    RANK2_PLUS_ROW_CONST(new int[] {3, 7}, new int[] {7}, true, false),
    RANK5_PLUS_RANK4(new int[] {2, 1, 3, 2, 4}, new int[] {1, 3, 2, 4}, false, false);

    final int[] a;
    final int[] b;
    final boolean bConst;
    final boolean constFirst;

    Shapes(int[] a, int[] b, boolean bConst, boolean constFirst) {
      this.a = a;
      this.b = b;
      this.bConst = bConst;
      this.constFirst = constFirst;
    }
  }

  record Case(BuiltinOp op, Activation act, Shapes shapes) {
    @Override
    public String toString() {
      return op + "/" + act + "/" + shapes;
    }
  }

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    Object[][] ops = {
      {BuiltinOp.ADD, Activation.NONE},
      {BuiltinOp.ADD, Activation.RELU6},
      {BuiltinOp.SUB, Activation.RELU_N1_TO_1},
      {BuiltinOp.MUL, Activation.NONE},
      {BuiltinOp.MUL, Activation.RELU},
      {BuiltinOp.DIV, Activation.NONE},
      {BuiltinOp.SQUARED_DIFFERENCE, Activation.NONE},
      {BuiltinOp.MAXIMUM, Activation.NONE},
      {BuiltinOp.MINIMUM, Activation.NONE},
      {BuiltinOp.POW, Activation.NONE},
    };
    for (Object[] o : ops) {
      for (Shapes s : Shapes.values()) {
        BuiltinOp op = (BuiltinOp) o[0];
        boolean fiveD = op == BuiltinOp.ADD || op == BuiltinOp.SUB || op == BuiltinOp.MUL || op == BuiltinOp.DIV;
        if (s == Shapes.RANK5_PLUS_RANK4 && !fiveD) {
          continue; // TFLite's kernels for these broadcast up to 4-D only (the interpreter aborts beyond)
        }
        out.add(Arguments.of(new Case((BuiltinOp) o[0], (Activation) o[1], s)));
      }
    }
    return out.stream();
  }

  static OpOptions options(BuiltinOp op, Activation act) {
    return switch (op) {
      case ADD -> new OpOptions.Arithmetic(11, act);
      case MUL -> new OpOptions.Arithmetic(21, act);
      case SUB -> new OpOptions.Arithmetic(28, act);
      case DIV -> new OpOptions.Arithmetic(29, act);
      default -> new OpOptions.None();
    };
  }

  static int[] broadcastShape(int[] a, int[] b) {
    int r = Math.max(a.length, b.length);
    int[] s = new int[r];
    for (int i = 0; i < r; i++) {
      int da = i - (r - a.length) >= 0 ? a[i - (r - a.length)] : 1;
      int db = i - (r - b.length) >= 0 ? b[i - (r - b.length)] : 1;
      s[i] = Math.max(da, db);
    }
    return s;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void matchesInterpreter(Case c) {
    // DIV and POW: operands in [0.5, 2) (no division by ~0, no negative base); others straddle 0 so the fused
    // clamps and MAXIMUM/MINIMUM see both signs.
    boolean positive = c.op() == BuiltinOp.DIV || c.op() == BuiltinOp.POW;
    double lo = positive ? 0.5 : -3;
    double hi = positive ? 2 : 3;
    TfliteWriter w = new TfliteWriter();
    int a = w.input("a", TensorType.FLOAT32, c.shapes().a);
    int b =
        c.shapes().bConst
            ? w.constant("b", OpModels.randomFloats(7, lo, hi, c.shapes().b))
            : w.input("b", TensorType.FLOAT32, c.shapes().b);
    int y = w.tensor("y", TensorType.FLOAT32, broadcastShape(c.shapes().a, c.shapes().b));
    int[] ins = c.shapes().constFirst ? new int[] {b, a} : new int[] {a, b};
    w.op(c.op(), options(c.op(), c.act()), ins, new int[] {y});
    w.outputs(y);
    PortHarness.Result r = PortHarness.assertAligned(w.build(), 42, lo, hi, 1e-6);
    assertThat(r.chained()).containsKey("y");
    System.out.println("worst " + c + " = " + OpModels.fmt(r.worst()));
  }
}
