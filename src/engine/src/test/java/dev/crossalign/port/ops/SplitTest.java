package dev.crossalign.port.ops;

import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** SPLIT (axis first, value second) and SPLIT_V (size_splits with a -1) against the interpreter, every output. */
class SplitTest {
  static final double ATOL = 1e-5;

  static Stream<Arguments> splits() {
    return Stream.of(
        Arguments.of(new int[] {1, 4, 6, 6}, 3, 2),
        Arguments.of(new int[] {1, 4, 6, 6}, -1, 3),
        Arguments.of(new int[] {1, 4, 6, 6}, 1, 4),
        Arguments.of(new int[] {1, 4, 6, 6}, -2, 2),
        Arguments.of(new int[] {2, 4, 6, 6}, 0, 2),
        Arguments.of(new int[] {3, 4, 6}, 2, 3),
        Arguments.of(new int[] {3, 4, 6}, -3, 3),
        Arguments.of(new int[] {4, 8}, 1, 4));
  }

  @ParameterizedTest
  @MethodSource("splits")
  void split(int[] shape, int axis, int n) {
    OpModel m = new OpModel();
    int x = m.source(shape);
    int a = axis < 0 ? axis + shape.length : axis;
    int[] part = shape.clone();
    part[a] = shape[a] / n;
    int[] ys = new int[n];
    for (int i = 0; i < n; i++) {
      ys[i] = m.out(part);
    }
    m.op(BuiltinOp.SPLIT, new OpOptions.Split(35, n), new int[] {m.scalar(axis), x}, ys);
    m.check("SPLIT " + Arrays.toString(shape) + " axis " + axis + " into " + n, ATOL, true, ys);
  }

  static Stream<Arguments> splitVs() {
    return Stream.of(
        Arguments.of(new int[] {1, 4, 5, 6}, 3, new int[] {1, -1, 2}),
        Arguments.of(new int[] {1, 4, 5, 6}, -1, new int[] {4, 2}),
        Arguments.of(new int[] {1, 4, 5, 6}, 2, new int[] {2, 3}),
        Arguments.of(new int[] {1, 4, 5, 6}, -3, new int[] {-1, 1}),
        Arguments.of(new int[] {3, 7, 2}, 1, new int[] {3, 0, 4}),
        Arguments.of(new int[] {9, 2}, 0, new int[] {2, 2, -1}));
  }

  @ParameterizedTest
  @MethodSource("splitVs")
  void splitV(int[] shape, int axis, int[] sizes) {
    OpModel m = new OpModel();
    int x = m.source(shape);
    int a = axis < 0 ? axis + shape.length : axis;
    int known = 0;
    for (int s : sizes) {
      known += s == -1 ? 0 : s;
    }
    int[] ys = new int[sizes.length];
    for (int i = 0; i < sizes.length; i++) {
      int[] part = shape.clone();
      part[a] = sizes[i] == -1 ? shape[a] - known : sizes[i];
      ys[i] = m.out(part);
    }
    m.op(BuiltinOp.SPLIT_V, new OpOptions.Split(79, sizes.length), new int[] {x, m.ints(sizes), m.scalar(axis)},
        ys);
    m.check("SPLIT_V " + Arrays.toString(shape) + " axis " + axis + " sizes " + Arrays.toString(sizes), ATOL, true,
        ys);
  }
}
