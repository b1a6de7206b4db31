package dev.crossalign.tflite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * The TF rules that live once in tflite, against DESIGN's closed forms worked by hand (the interpreter judges them
 * through every op test that uses them: Conv2dTest, Pool2dTest, SliceTest, ResizeTest, the export tests).
 */
class TfRulesTest {
  @Test
  void samePaddingPutsTheOddPixelAtTheEnd() {
    // in 4, k 3, s 2: out ceil(4/2) = 2, total (2-1)*2 + 3 - 4 = 1 -> begin 0, end 1 (PyTorch's k//2 would pad 1 both)
    assertThat(SamePadding.of(Padding.SAME, 4, 3, 2, 1)).isEqualTo(new SamePadding(0, 1, 2));
    // in 5, k 3, s 2: out 3, total (3-1)*2 + 3 - 5 = 2 -> 1, 1
    assertThat(SamePadding.of(Padding.SAME, 5, 3, 2, 1)).isEqualTo(new SamePadding(1, 1, 3));
    // dilation 2 makes k 3 act as 5: in 7, s 1: out 7, total 6 + 5 - 7 = 4 -> 2, 2
    assertThat(SamePadding.of(Padding.SAME, 7, 3, 1, 2)).isEqualTo(new SamePadding(2, 2, 7));
    // a kernel smaller than the stride needs no padding: total max(.., 0)
    assertThat(SamePadding.of(Padding.SAME, 8, 1, 2, 1)).isEqualTo(new SamePadding(0, 0, 4));
    // VALID: floor((in - eff) / s) + 1, no padding
    assertThat(SamePadding.of(Padding.VALID, 7, 3, 2, 1)).isEqualTo(new SamePadding(0, 0, 3));
    assertThat(SamePadding.of(Padding.VALID, 7, 3, 2, 2)).isEqualTo(new SamePadding(0, 0, 2));
    // large sizes do not overflow int arithmetic on the way
    assertThat(SamePadding.of(Padding.SAME, 2_000_000_000, 5, 1_000_000_000, 1).out()).isEqualTo(2);
  }

  @Test
  void stridedSlicePlanFollowsTflitesStartAndStop() {
    OpOptions.StridedSlice none = new OpOptions.StridedSlice(0, 0, 0, 0, 0, false);
    // [10], begin -3, end 100, stride 1: start 7 (wrapped), stop clamped to 10 -> 3 elements
    StridedSlicePlan p = StridedSlicePlan.of(new int[] {10}, new int[] {-3}, new int[] {100}, new int[] {1}, none);
    assertThat(p.outShape()).containsExactly(3);
    assertThat(p.axes().get(0)).isEqualTo(new StridedSlicePlan.AxisSlice(false, 7, 3, 1));
    // backwards from 8 to (exclusive) 1 by 3: elements 8, 5, 2 -> flipped axis starts at 10 - 1 - 8 = 1
    p = StridedSlicePlan.of(new int[] {10}, new int[] {8}, new int[] {1}, new int[] {-3}, none);
    assertThat(p.outShape()).containsExactly(3);
    assertThat(p.axes().get(0)).isEqualTo(new StridedSlicePlan.AxisSlice(true, 1, 3, 3));
    // new axis in front and shrink of the last: [4, 5] -> [1, 4]
    OpOptions.StridedSlice m = new OpOptions.StridedSlice(0b011, 0b011, 0, 0b001, 0b100, false);
    p = StridedSlicePlan.of(new int[] {4, 5}, new int[] {0, 0, 2}, new int[] {0, 0, 3}, new int[] {1, 1, 1}, m);
    assertThat(p.effectiveShape()).containsExactly(1, 4, 5);
    assertThat(p.outShape()).containsExactly(1, 4);
    assertThat(p.anyNewAxis()).isTrue();
    assertThatThrownBy(() -> StridedSlicePlan.of(new int[] {4}, new int[] {0}, new int[] {4}, new int[] {0}, none))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("stride of axis 0 is 0");
  }

  @Test
  void resizeCoordinatesOfEachVariant() {
    // legacy: src = dst * in / out; 4 -> 8: 0, 0.5, 1, ... floor for nearest
    assertThat(ResizeCoordinates.nearest(4, 8, false, false)).containsExactly(0, 0, 1, 1, 2, 2, 3, 3);
    // align_corners 3 -> 5: scale 0.5, src 0, .5, 1, 1.5, 2 rounded half away from zero: 0, 1, 1, 2, 2
    assertThat(ResizeCoordinates.nearest(3, 5, true, false)).containsExactly(0, 1, 1, 2, 2);
    // half_pixel_centers 4 -> 2: (d + 0.5) * 2 = 1, 3
    assertThat(ResizeCoordinates.nearest(4, 2, false, true)).containsExactly(1, 3);
    // bilinear half pixel 2 -> 4: src = (d + .5) * .5 - .5 = -0.25, 0.25, 0.75, 1.25 -> lo 0,0,0,1; hi 0,1,1,1
    ResizeCoordinates.Bilinear b = ResizeCoordinates.bilinear(2, 4, false, true);
    assertThat(b.lo()).containsExactly(0, 0, 0, 1);
    assertThat(b.hi()).containsExactly(0, 1, 1, 1);
    assertThat(b.wHi()).containsExactly(-0.25f, 0.25f, 0.75f, 0.25f);
  }
}
