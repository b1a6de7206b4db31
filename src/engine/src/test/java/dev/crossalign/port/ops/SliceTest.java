package dev.crossalign.port.ops;

import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * STRIDED_SLICE and SLICE against the interpreter. The expected output shapes are hand-derived from TF's rules;
 * the interpreter is the judge of the values (and rejects a wrong shape hint only if it disagrees in Prepare, so
 * the harness's shape check is what catches a wrong shape on our side).
 */
class SliceTest {
  static final double ATOL = 1e-5;

  /** shape, begin, end, strides, begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_mask, offset, out. */
  static Stream<Arguments> strided() {
    int[] s4 = {1, 6, 5, 4};
    return Stream.of(
        c("plain window", s4, a(0, 1, 0, 0), a(1, 5, 5, 4), a(1, 1, 1, 1), 0, 0, 0, 0, 0, false, a(1, 4, 5, 4)),
        c("stride 2 on H,W with masks", s4, a(0, 1, 0, 0), a(0, 0, 0, 0), a(1, 2, 2, 1), 0b1101, 0b1111, 0, 0, 0,
            false, a(1, 3, 3, 4)),
        c("channel slice end_mask", s4, a(0, 0, 0, 1), a(1, 6, 5, 0), a(1, 1, 1, 1), 0, 0b1000, 0, 0, 0, false,
            a(1, 6, 5, 3)),
        c("shrink channel (NCHW in)", s4, a(0, 0, 0, 2), a(0, 0, 0, 3), a(1, 1, 1, 1), 0b0111, 0b0111, 0, 0, 0b1000,
            false, a(1, 6, 5)),
        c("shrink batch and H", s4, a(0, 3, 0, 0), a(1, 4, 0, 0), a(1, 1, 1, 1), 0b1100, 0b1100, 0, 0, 0b0011,
            false, a(5, 4)),
        c("shrink with negative index", s4, a(0, -1, 0, -1), a(0, 0, 0, 0), a(1, 1, 1, 1), 0b0101, 0b0101, 0, 0,
            0b1010, false, a(1, 5)),
        c("negative stride H full", s4, a(0, 0, 0, 0), a(0, 0, 0, 0), a(1, -1, 1, 1), 0b1111, 0b1111, 0, 0, 0,
            false, a(1, 6, 5, 4)),
        c("negative stride H from -1 to 0", s4, a(0, -1, 0, 0), a(1, 0, 5, 4), a(1, -1, 1, 1), 0, 0, 0, 0, 0, false,
            a(1, 5, 5, 4)),
        c("negative stride -2 on C and W", s4, a(0, 0, 4, 3), a(1, 6, 0, 0), a(1, 1, -2, -2), 0, 0b1000, 0, 0, 0,
            false, a(1, 6, 2, 2)),
        c("negative begin/end", s4, a(0, -4, 1, -3), a(1, -1, -1, 4), a(1, 1, 1, 1), 0, 0, 0, 0, 0, false,
            a(1, 3, 3, 3)),
        c("clamped out-of-range end", s4, a(0, 2, 0, 0), a(1, 100, 5, 4), a(1, 3, 1, 1), 0, 0, 0, 0, 0, false,
            a(1, 2, 5, 4)),
        c("begin at the end gives an empty axis", s4, a(0, 6, 0, 0), a(1, 6, 5, 4), a(1, 1, 1, 1), 0, 0, 0, 0, 0,
            false, a(1, 0, 5, 4)),
        c("negative stride, out-of-range begin/end clamp", s4, a(0, 100, 0, 0), a(1, -100, 5, 4), a(1, -1, 1, 1),
            0, 0, 0, 0, 0, false, a(1, 6, 5, 4)),
        c("ellipsis then last axis", s4, a(0, 1), a(0, 3), a(1, 1), 0, 0, 0b01, 0, 0, false, a(1, 6, 5, 2)),
        c("ellipsis then shrink last", s4, a(0, 2), a(0, 3), a(1, 1), 0, 0, 0b01, 0, 0b10, false, a(1, 6, 5)),
        c("first axis then ellipsis", s4, a(0, 0), a(1, 0), a(1, 1), 0, 0, 0b10, 0, 0, false, a(1, 6, 5, 4)),
        c("new axis after batch", s4, a(0, 0, 0, 0, 0), a(0, 0, 0, 0, 0), a(1, 1, 1, 1, 1), 0b11111, 0b11111, 0,
            0b00010, 0, false, a(1, 1, 6, 5, 4)),
        c("offset: end is a size", s4, a(0, 1, 2, 1), a(1, 3, 2, 2), a(1, 1, 1, 1), 0, 0, 0, 0, 0, true,
            a(1, 3, 2, 2)),
        c("rank 3 reverse all", a(3, 4, 5), a(0, 0, 0), a(0, 0, 0), a(-1, -1, -1), 0b111, 0b111, 0, 0, 0, false,
            a(3, 4, 5)),
        c("rank 3 shrink middle", a(3, 4, 5), a(0, 2, 1), a(3, 3, 5), a(1, 1, 2), 0, 0, 0, 0, 0b010, false,
            a(3, 2)),
        c("rank 3 fewer specs than dims", a(3, 4, 5), a(1), a(3), a(1), 0, 0, 0, 0, 0, false, a(2, 4, 5)),
        c("rank 2 step 3", a(7, 8), a(1, 0), a(7, 8), a(3, 3), 0, 0, 0, 0, 0, false, a(2, 3)),
        c("rank 2 negative stride with masks", a(7, 8), a(5, 0), a(0, 0), a(-2, 1), 0, 0b10, 0, 0, 0, false,
            a(3, 8)));
  }

  static int[] a(int... v) {
    return v;
  }

  static Arguments c(String label, int[] shape, int[] b, int[] e, int[] s, int bm, int em, int ell, int na,
      int sh, boolean off, int[] out) {
    return Arguments.of(label, shape, b, e, s, new int[] {bm, em, ell, na, sh}, off, out);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("strided")
  void stridedSlice(String label, int[] shape, int[] b, int[] e, int[] s, int[] masks, boolean offset, int[] out) {
    OpModel m = new OpModel();
    int x = m.source(shape);
    int y = m.out(out);
    m.op(
        BuiltinOp.STRIDED_SLICE,
        new OpOptions.StridedSlice(masks[0], masks[1], masks[2], masks[3], masks[4], offset),
        new int[] {x, m.ints(b), m.ints(e), m.ints(s)},
        y);
    m.check("STRIDED_SLICE " + Arrays.toString(shape) + " " + label, ATOL, true, y);
  }

  static Stream<Arguments> slices() {
    return Stream.of(
        Arguments.of(new int[] {1, 6, 5, 4}, new int[] {0, 1, 1, 0}, new int[] {1, -1, 2, 3}),
        Arguments.of(new int[] {2, 6, 5, 4}, new int[] {1, 0, 0, 2}, new int[] {1, 6, -1, -1}),
        Arguments.of(new int[] {1, 6, 5, 4}, new int[] {0, 0, 0, 0}, new int[] {-1, -1, -1, -1}),
        Arguments.of(new int[] {3, 4, 5}, new int[] {1, 2, 0}, new int[] {2, -1, 3}),
        Arguments.of(new int[] {7, 8}, new int[] {2, 3}, new int[] {-1, 4}));
  }

  @ParameterizedTest
  @MethodSource("slices")
  void slice(int[] shape, int[] begin, int[] size) {
    OpModel m = new OpModel();
    int x = m.source(shape);
    int[] out = new int[shape.length];
    for (int i = 0; i < shape.length; i++) {
      out[i] = size[i] == -1 ? shape[i] - begin[i] : size[i];
    }
    int y = m.out(out);
    m.op(BuiltinOp.SLICE, new OpOptions.None(), new int[] {x, m.ints(begin), m.ints(size)}, y);
    m.check("SLICE " + Arrays.toString(shape) + " begin " + Arrays.toString(begin) + " size "
        + Arrays.toString(size), ATOL, true, y);
  }
}
