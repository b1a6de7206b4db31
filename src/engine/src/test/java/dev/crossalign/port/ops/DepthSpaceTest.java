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

/** DEPTH_TO_SPACE / SPACE_TO_DEPTH in TF's DCR order against the real interpreter (pure moves: exact). */
class DepthSpaceTest {

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of(BuiltinOp.DEPTH_TO_SPACE, 2, new int[] {1, 3, 4, 8}),
        Arguments.of(BuiltinOp.DEPTH_TO_SPACE, 2, new int[] {2, 2, 3, 4}),
        Arguments.of(BuiltinOp.DEPTH_TO_SPACE, 3, new int[] {1, 2, 2, 18}),
        Arguments.of(BuiltinOp.SPACE_TO_DEPTH, 2, new int[] {1, 6, 4, 3}),
        Arguments.of(BuiltinOp.SPACE_TO_DEPTH, 2, new int[] {2, 4, 8, 1}),
        Arguments.of(BuiltinOp.SPACE_TO_DEPTH, 3, new int[] {1, 6, 9, 2}));
  }

  @ParameterizedTest(name = "{0} block={1} {2}")
  @MethodSource("cases")
  void matchesInterpreter(BuiltinOp op, int b, int[] in) {
    int[] out = op == BuiltinOp.DEPTH_TO_SPACE
        ? new int[] {in[0], in[1] * b, in[2] * b, in[3] / (b * b)}
        : new int[] {in[0], in[1] / b, in[2] / b, in[3] * b * b};
    TfliteWriter wr = new TfliteWriter();
    int x = wr.input("x", TensorType.FLOAT32, in);
    int y = wr.tensor("y", TensorType.FLOAT32, out);
    int union = op == BuiltinOp.DEPTH_TO_SPACE ? 94 : 19;
    wr.op(op, new OpOptions.BlockSize(union, b), new int[] {x}, new int[] {y});
    wr.outputs(y);
    OpCases.check(op.name(), "b" + b + Arrays.toString(in), wr.build(), 0.0);
  }
}
