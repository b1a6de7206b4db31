package dev.crossalign.port.ops;

import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
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
 * PAD, PADV2 and MIRROR_PAD against the real interpreter. Rank-4 values flow as NCHW in the port, so these cases
 * check the TFLite-axis -> NCHW-axis mapping of the paddings, channel padding included (BlazeFace pads channels).
 */
class PadTest {

  static Stream<Arguments> cases() {
    return Stream.of(
        // op, mode (MIRROR_PAD), shape, paddings (rank x 2, TFLite axes)
        Arguments.of(BuiltinOp.PAD, 0, new int[] {1, 4, 5, 3}, new int[] {0, 0, 1, 2, 0, 1, 0, 3}),
        Arguments.of(BuiltinOp.PAD, 0, new int[] {1, 4, 4, 6}, new int[] {0, 0, 0, 0, 0, 0, 0, 6}), // channels only
        Arguments.of(BuiltinOp.PAD, 0, new int[] {2, 3, 3, 2}, new int[] {1, 0, 2, 1, 1, 2, 0, 0}),
        Arguments.of(BuiltinOp.PAD, 0, new int[] {3, 5}, new int[] {1, 2, 0, 3}),
        Arguments.of(BuiltinOp.PAD, 0, new int[] {2, 3, 4}, new int[] {0, 1, 1, 1, 2, 0}),
        Arguments.of(BuiltinOp.PADV2, 0, new int[] {1, 4, 5, 3}, new int[] {0, 0, 2, 1, 1, 0, 1, 1}),
        Arguments.of(BuiltinOp.PADV2, 0, new int[] {3, 5}, new int[] {1, 0, 2, 2}),
        Arguments.of(BuiltinOp.MIRROR_PAD, 0, new int[] {1, 4, 5, 3}, new int[] {0, 0, 2, 3, 3, 1, 0, 0}),
        Arguments.of(BuiltinOp.MIRROR_PAD, 1, new int[] {1, 4, 5, 3}, new int[] {0, 0, 4, 3, 1, 5, 0, 0}),
        Arguments.of(BuiltinOp.MIRROR_PAD, 0, new int[] {1, 4, 5, 3}, new int[] {0, 0, 1, 1, 1, 1, 2, 1}),
        Arguments.of(BuiltinOp.MIRROR_PAD, 1, new int[] {3, 5}, new int[] {3, 2, 1, 5}),
        Arguments.of(BuiltinOp.MIRROR_PAD, 0, new int[] {3, 5}, new int[] {2, 1, 4, 0}));
  }

  @ParameterizedTest(name = "{0} mode={1} {2} {3}")
  @MethodSource("cases")
  void matchesInterpreter(BuiltinOp op, int mode, int[] shape, int[] paddings) {
    int rank = shape.length;
    int[] outShape = new int[rank];
    for (int a = 0; a < rank; a++) {
      outShape[a] = shape[a] + paddings[a * 2] + paddings[a * 2 + 1];
    }
    TfliteWriter wr = new TfliteWriter();
    int x = wr.input("x", TensorType.FLOAT32, shape);
    int p = wr.constant("paddings", OpCases.ints(new int[] {rank, 2}, paddings));
    int y = wr.tensor("y", TensorType.FLOAT32, outShape);
    if (op == BuiltinOp.PADV2) {
      int v = wr.constant("value", HostTensor.ofFloats(new int[] {1}, Layout.ANY, new float[] {-1.5f}));
      wr.op(op, new OpOptions.None(), new int[] {x, p, v}, new int[] {y});
    } else if (op == BuiltinOp.MIRROR_PAD) {
      wr.op(op, new OpOptions.MirrorPad(mode), new int[] {x, p}, new int[] {y});
    } else {
      wr.op(op, new OpOptions.None(), new int[] {x, p}, new int[] {y});
    }
    wr.outputs(y);
    // pure copies: exact
    OpCases.check(op.name(), "mode" + mode + Arrays.toString(shape) + Arrays.toString(paddings), wr.build(), 0.0);
  }
}
