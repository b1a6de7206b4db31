package dev.crossalign.port.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.ResizeCoordinates;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteWriter;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR against the real interpreter in all three coordinate modes (legacy
 * src = dst * in / out, align_corners, half_pixel_centers), for 2x, non-integer up, down and 1-pixel outputs.
 */
class ResizeTest {
  enum Mode { LEGACY, ALIGN_CORNERS, HALF_PIXEL }

  static Stream<Arguments> cases() {
    Stream.Builder<Arguments> s = Stream.builder();
    int[][] sizes = {{10, 14}, {8, 11}, {3, 4}, {5, 7}, {13, 6}, {1, 1}, {2, 9}};
    for (BuiltinOp op : new BuiltinOp[] {BuiltinOp.RESIZE_BILINEAR, BuiltinOp.RESIZE_NEAREST_NEIGHBOR}) {
      for (Mode m : Mode.values()) {
        for (int[] size : sizes) {
          s.add(Arguments.of(op, m, size[0], size[1]));
        }
      }
    }
    return s.build();
  }

  @ParameterizedTest(name = "{0} {1} 5x7 -> {2}x{3}")
  @MethodSource("cases")
  void matchesInterpreter(BuiltinOp op, Mode mode, int outH, int outW) {
    boolean align = mode == Mode.ALIGN_CORNERS;
    boolean half = mode == Mode.HALF_PIXEL;
    TfliteWriter wr = new TfliteWriter();
    int x = wr.input("x", TensorType.FLOAT32, 1, 5, 7, 3);
    int size = wr.constant("size", OpCases.ints(new int[] {2}, outH, outW));
    int y = wr.tensor("y", TensorType.FLOAT32, 1, outH, outW, 3);
    OpOptions opts = op == BuiltinOp.RESIZE_BILINEAR
        ? new OpOptions.ResizeBilinear(align, half)
        : new OpOptions.ResizeNearestNeighbor(align, half);
    wr.op(op, opts, half ? 3 : (align ? 2 : 1), new int[] {x, size}, new int[] {y});
    wr.outputs(y);
    // bilinear: four products per value, a few ulp; nearest: a pure gather, exact
    double atol = op == BuiltinOp.RESIZE_BILINEAR ? OpCases.ATOL : 0.0;
    OpCases.check(op.name(), mode + " 5x7->" + outH + "x" + outW, wr.build(), atol);
  }

  /** TF's legacy mode is not torch's align_corners=false (half-pixel): 5 -> 10 reads source rows 0, 0.5, 1, ... */
  @Test
  void legacyModeUsesNoHalfPixelOffset() {
    assertThat(ResizeCoordinates.nearest(5, 10, false, false)).containsExactly(0, 0, 1, 1, 2, 2, 3, 3, 4, 4);
    // align_corners rounds (half away from zero): src = dst * 4 / 9
    assertThat(ResizeCoordinates.nearest(5, 10, true, false)).containsExactly(0, 0, 1, 1, 2, 2, 3, 3, 4, 4);
    // half-pixel, 5 -> 3: floor((d + 0.5) * 5 / 3) = 0, 2, 4
    assertThat(ResizeCoordinates.nearest(5, 3, false, true)).containsExactly(0, 2, 4);
  }
}
