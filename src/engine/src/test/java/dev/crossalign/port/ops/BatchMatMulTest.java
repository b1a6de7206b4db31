package dev.crossalign.port.ops;

import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteWriter;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * BATCH_MATMUL against the real interpreter: adj_x / adj_y, broadcast batch dims, rank 3 and 4 (rank-4 graph inputs
 * arrive NCHW in the port and must be read back in TFLite axes), and a constant right-hand side.
 */
class BatchMatMulTest {

  static Stream<Arguments> cases() {
    return Stream.of(
        // x shape, y shape, adj_x, adj_y, y constant
        Arguments.of(new int[] {2, 3, 4}, new int[] {2, 4, 5}, false, false, false),
        Arguments.of(new int[] {2, 4, 3}, new int[] {2, 4, 5}, true, false, false),
        Arguments.of(new int[] {2, 3, 4}, new int[] {2, 5, 4}, false, true, false),
        Arguments.of(new int[] {2, 4, 3}, new int[] {2, 5, 4}, true, true, false),
        Arguments.of(new int[] {1, 3, 4}, new int[] {3, 4, 5}, false, false, false),
        Arguments.of(new int[] {2, 1, 3, 4}, new int[] {1, 3, 4, 5}, false, false, false),
        Arguments.of(new int[] {2, 3, 4, 6}, new int[] {2, 3, 5, 6}, false, true, false),
        Arguments.of(new int[] {1, 2, 6, 4}, new int[] {4, 3}, false, false, true),
        Arguments.of(new int[] {3, 5, 4}, new int[] {3, 5, 2}, true, false, true));
  }

  @ParameterizedTest(name = "{0} x {1} adjX={2} adjY={3} yConst={4}")
  @MethodSource("cases")
  void matchesInterpreter(int[] xs, int[] ys, boolean adjX, boolean adjY, boolean yConst) {
    int r = Math.max(xs.length, ys.length);
    int[] out = new int[r];
    for (int i = 0; i < r - 2; i++) {
      int a = i - (r - xs.length) >= 0 ? xs[i - (r - xs.length)] : 1;
      int b = i - (r - ys.length) >= 0 ? ys[i - (r - ys.length)] : 1;
      out[i] = Math.max(a, b);
    }
    out[r - 2] = adjX ? xs[xs.length - 1] : xs[xs.length - 2];
    out[r - 1] = adjY ? ys[ys.length - 2] : ys[ys.length - 1];
    TfliteWriter wr = new TfliteWriter();
    int x = wr.input("x", TensorType.FLOAT32, xs);
    int y = yConst ? wr.constant("y", OpCases.randomFloats(11, ys)) : wr.input("y", TensorType.FLOAT32, ys);
    int z = wr.tensor("z", TensorType.FLOAT32, out);
    wr.op(BuiltinOp.BATCH_MATMUL, new OpOptions.BatchMatMul(adjX, adjY), new int[] {x, y}, new int[] {z});
    wr.outputs(z);
    OpCases.check("BATCH_MATMUL", Arrays.toString(xs) + "x" + Arrays.toString(ys) + adjX + adjY + yConst,
        wr.build(), OpCases.ATOL);
  }
}
