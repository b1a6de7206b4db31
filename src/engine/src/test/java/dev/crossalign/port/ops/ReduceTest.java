package dev.crossalign.port.ops;

import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import java.util.Arrays;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * MEAN, SUM, REDUCE_MAX, REDUCE_MIN against the interpreter: global average pooling (axes 1,2 on an NCHW value)
 * both keep_dims ways, channel and batch axes, negative and repeated axes, rank 2/3. MEAN and SUM accumulate in a
 * different order than TFLite's kernels, so they are held to 1e-5 over at most 60 terms of |x| < 3; MAX and MIN
 * select and must be exact in isolated mode.
 */
class ReduceTest {
  static final double ATOL = 1e-5;

  static Stream<Arguments> cases() {
    Stream.Builder<Arguments> b = Stream.builder();
    int[][][] table = {
      // shape, axes
      {{1, 5, 6, 3}, {1, 2}},
      {{2, 5, 6, 3}, {-3, -2}},
      {{1, 4, 3, 5}, {3}},
      {{1, 4, 3, 5}, {-1}},
      {{2, 4, 3, 5}, {0}},
      {{1, 4, 3, 5}, {1}},
      {{1, 4, 3, 5}, {2, 3}},
      {{1, 4, 3, 5}, {1, 3}},
      {{2, 4, 3, 5}, {0, 1, 2, 3}},
      {{1, 4, 3, 5}, {2, 2, -2}},
      {{3, 4, 5}, {1}},
      {{3, 4, 5}, {-1, 0}},
      {{6, 7}, {0}},
      {{6, 7}, {-1}},
      // An empty axis list is not tested: PortGraph treats the bufferless [0]-shaped constant as missing and skips
      // the op (reported to the lead); Reduce itself returns the input unchanged for it, as TF does.
    };
    for (String op : new String[] {"MEAN", "SUM", "REDUCE_MAX", "REDUCE_MIN"}) {
      for (int[][] row : table) {
        for (boolean keep : new boolean[] {true, false}) {
          b.add(Arguments.of(op, row[0], row[1], keep));
        }
      }
    }
    return b.build();
  }

  @ParameterizedTest
  @MethodSource("cases")
  void reduce(String op, int[] shape, int[] axes, boolean keep) {
    OpModel m = new OpModel();
    int x = m.source(shape);
    TreeSet<Integer> set = new TreeSet<>();
    for (int a : axes) {
      set.add(a < 0 ? a + shape.length : a);
    }
    int[] out = new int[keep ? shape.length : shape.length - set.size()];
    for (int i = 0, j = 0; i < shape.length; i++) {
      if (set.contains(i)) {
        if (keep) {
          out[j++] = 1;
        }
      } else {
        out[j++] = shape[i];
      }
    }
    int y = m.out(out);
    m.op(BuiltinOp.valueOf(op), new OpOptions.Reducer(keep), new int[] {x, m.ints(axes)}, y);
    m.check(op + " " + Arrays.toString(shape) + " axes " + Arrays.toString(axes) + " keep " + keep, ATOL,
        op.startsWith("REDUCE"), y);
  }
}
