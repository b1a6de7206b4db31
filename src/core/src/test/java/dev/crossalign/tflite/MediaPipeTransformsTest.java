package dev.crossalign.tflite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/**
 * MediaPipe's attention-mesh rules against closed forms worked by hand: an axis-aligned crop (exact), a crop turned a
 * quarter (its centre and columns), the bilinear sample as identity, as a half-pixel mean and as a 2x2 average pool,
 * landmarks through an affine matrix; and the option values MediaPipe's Eval rejects. The interpreter runs the same
 * rules in MediaPipeKernelsTest (backend/tflite); the port's PyTorch code is compared with them on the real model.
 */
class MediaPipeTransformsTest {
  private static MediaPipeTransforms.MatrixOptions options(int[] subset, int left, int right) {
    byte[] raw = new FlexMapBuilder().put("subset_idxs", subset).put("left_rotation_idx", left)
        .put("right_rotation_idx", right).put("target_rotation_radians", 0f).put("output_height", 16)
        .put("output_width", 16).put("scale_x", 1.5f).put("scale_y", 1.5f).build();
    return MediaPipeTransforms.matrixOptions(raw, 4);
  }

  @Test
  void anAxisAlignedCropIsScaleAndShiftExactly() {
    // left (10, 20), right (30, 20): rotation 0; subset box x [10, 30], y [10, 40]: size 20 x 30, centre (20, 25)
    float[] lm = {10, 20, 0, 30, 20, 0, 20, 10, 0, 20, 40, 0};
    float[] m = MediaPipeTransforms.transformMatrix(options(new int[] {0, 1, 2, 3}, 0, 1), lm);
    // scale 1.5 * 20 / 16 = 1.875 and 1.5 * 30 / 16 = 2.8125; shift centre - scale * 8
    assertThat(m).containsExactly(1.875f, 0f, 0f, 5f, 0f, 2.8125f, 0f, 2.5f, 0f, 0f, 1f, 0f, 0f, 0f, 0f, 1f);
  }

  @Test
  void aQuarterTurnCropMapsTheOutputCentreToTheBoxCentre() {
    // left (0, 0), right (0, 10): the eye line is vertical, r = -pi/2; rotated, the subset spans 10 along the line
    // and 6 across it, centred on (0, 5) in the image
    float[] lm = {0, 0, 0, 0, 10, 0, -3, 5, 0, 3, 5, 0};
    float[] m = MediaPipeTransforms.transformMatrix(options(new int[] {0, 1, 2, 3}, 0, 1), lm);
    float cx = m[0] * 8 + m[1] * 8 + m[3];
    float cy = m[4] * 8 + m[5] * 8 + m[7];
    assertThat(cx).isCloseTo(0f, within(1e-5f));
    assertThat(cy).isCloseTo(5f, within(1e-5f));
    // columns: (cos(pi/2), sin(pi/2)) * 1.5 * 10 / 16 and (-sin, cos) * 1.5 * 6 / 16
    assertThat(new float[] {m[0], m[4], m[1], m[5]}).usingComparatorWithPrecision(1e-6f)
        .containsExactly(0f, 0.9375f, -0.5625f, 0f);
  }

  @Test
  void anOddSubsetPairsItsLastIndexWithItself() {
    assertThat(options(new int[] {0, 1, 2}, 0, 1).subset()).containsExactly(0, 1, 2, 2);
  }

  @Test
  void bilinearWithTheIdentityCopiesAndZeroesOutside() {
    // 2 x 3 x 2 input, 3 x 4 output: pixels past the input's last row/column are outside, hence 0
    float[] in = {1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6, -6};
    float[] id = {1, 0, 0, 0, 0, 1, 0, 0};
    float[] out = MediaPipeTransforms.bilinear(in, 2, 3, 2, id, 3, 4);
    assertThat(out).containsExactly(1, -1, 2, -2, 3, -3, 0, 0, 4, -4, 5, -5, 6, -6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  }

  @Test
  void bilinearAtHalfPixelsIsTheMeanAndAtScaleTwoTheAveragePool() {
    float[] in = new float[16]; // 4 x 4, one channel
    for (int i = 0; i < 16; i++) {
      in[i] = i * i;
    }
    // row0 (1, 0, 0, 0.5): x + 0.5, the mean of columns x and x + 1; the last column's point is past w - 1: 0
    float[] half = MediaPipeTransforms.bilinear(in, 4, 4, 1, new float[] {1, 0, 0, 0.5f, 0, 1, 0, 0}, 1, 4);
    assertThat(half).containsExactly((0 + 1) / 2f, (1 + 4) / 2f, (4 + 9) / 2f, 0f);
    // scale 2: the align-corners correction makes the point 2x + 0.5: a 2 x 2 average pool
    float[] pool = MediaPipeTransforms.bilinear(in, 4, 4, 1, new float[] {2, 0, 0, 0, 0, 2, 0, 0}, 2, 2);
    for (int y = 0; y < 2; y++) {
      for (int x = 0; x < 2; x++) {
        int p = 2 * y * 4 + 2 * x;
        float mean = (in[p] + in[p + 1] + in[p + 4] + in[p + 5]) / 4;
        assertThat(pool[y * 2 + x]).as("(%d, %d)", y, x).isEqualTo(mean);
      }
    }
  }

  @Test
  void landmarksGoThroughTheFirstTwoRowsAndKeepZ() {
    float[] m = {2, 0.5f, 7, 10, -1, 3, 7, -4, 9, 9, 9, 9, 9, 9, 9, 9};
    float[] out = MediaPipeTransforms.transformLandmarks(new float[] {1, 2, 5, -2, 4, 6}, 2, 3, m);
    assertThat(out).containsExactly(2 + 1 + 10, -1 + 6 - 4, 5, -4 + 2 + 10, 2 + 12 - 4, 6);
    assertThat(MediaPipeTransforms.transformLandmarks(new float[] {1, 2}, 1, 2, m)).containsExactly(13, 1);
  }

  @Test
  void optionValuesMediapipeRejectsAreRefused() {
    FlexMapBuilder ok = new FlexMapBuilder().put("subset_idxs", new int[] {0, 1}).put("left_rotation_idx", 0)
        .put("right_rotation_idx", 1).put("output_height", 8).put("output_width", 8).put("scale_x", 1f)
        .put("scale_y", 1f);
    assertThat(MediaPipeTransforms.matrixOptions(ok.build(), 2).outputWidth()).isEqualTo(8);
    assertThatThrownBy(() -> MediaPipeTransforms.matrixOptions(ok.put("scale_x", 0f).build(), 2))
        .hasMessageContaining("scale_x 0.0, expected > 0");
    ok.put("scale_x", 1f);
    assertThatThrownBy(() -> MediaPipeTransforms.matrixOptions(ok.put("output_height", 0).build(), 2))
        .hasMessageContaining("output_height 0");
    ok.put("output_height", 8);
    assertThatThrownBy(() -> MediaPipeTransforms.matrixOptions(ok.put("left_rotation_idx", -1).build(), 2))
        .hasMessageContaining("left_rotation_idx -1");
    ok.put("left_rotation_idx", 0);
    assertThatThrownBy(() -> MediaPipeTransforms.matrixOptions(ok.put("subset_idxs", new int[] {0, 2}).build(), 2))
        .hasMessageContaining("subset_idxs[1] = 2 outside the 2 landmarks");
    assertThatThrownBy(() -> MediaPipeTransforms.matrixOptions(ok.put("subset_idxs", new int[0]).build(), 2))
        .hasMessageContaining("subset_idxs is empty");
    assertThatThrownBy(() -> MediaPipeTransforms.checkVersion("TransformLandmarks", 1))
        .hasMessageContaining("TransformLandmarks version 1 is not implemented");
  }
}
