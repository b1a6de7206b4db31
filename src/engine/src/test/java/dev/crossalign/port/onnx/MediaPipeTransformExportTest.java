package dev.crossalign.port.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.testutil.MediaPipeModels;
import dev.crossalign.tflite.MediaPipeTransforms;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The ONNX export of MediaPipe's TransformTensorBilinear and TransformLandmarks run in ONNX Runtime against the
 * reference interpreter (its kernels for them: crossalign's transcription of MediaPipe's, checked against closed forms
 * in MediaPipeKernelsTest): random matrices put part of each crop outside the input, so the zero rule is exercised.
 */
class MediaPipeTransformExportTest {
  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {5, 6})
  void bilinearInOnnxRuntimeMatchesTheReference(long seed) {
    ExportHarness.Result r = ExportHarness.run(MediaPipeModels.bilinearOnAnyMatrix(), seed, 0, 0.6);
    assertThat(r.export().model().nodes()).extracting(n -> n.opType()).contains("Gather", "Where", "Pad");
    ExportHarness.Diff d = r.outputs().get(0);
    System.out.printf("ONNX TransformTensorBilinear seed %d: max_abs %.3g rel_l2 %.3g%n", seed, d.maxAbs(), d.relL2());
    assertThat(d.maxAbs()).isLessThanOrEqualTo(1e-5);
    assertThat(d.relL2()).isGreaterThanOrEqualTo(0).isLessThanOrEqualTo(1e-5);
  }

  @ParameterizedTest(name = "landmarks of {0} values")
  @ValueSource(ints = {2, 3})
  void landmarksInOnnxRuntimeMatchTheReference(int dims) {
    TfliteWriter w = new TfliteWriter();
    int lm = w.input("lm", TensorType.FLOAT32, 1, 7, dims);
    int m = w.input("m", TensorType.FLOAT32, 1, 4, 4);
    int y = w.tensor("y", TensorType.FLOAT32, 1, 7, dims);
    w.custom(MediaPipeTransforms.TRANSFORM_LANDMARKS, 2, new int[] {lm, m}, new int[] {y}, new byte[0]);
    w.outputs(y);
    ExportHarness.Result r = ExportHarness.run(w.build(), 3, -2, 2);
    ExportHarness.Diff d = r.outputs().get(0);
    System.out.printf("ONNX TransformLandmarks dims %d: max_abs %.3g%n", dims, d.maxAbs());
    assertThat(d.maxAbs()).isLessThanOrEqualTo(1e-5);
  }

  @Test
  void theModelsChainInOnnxRuntimeMatchesTheReference() {
    // landmarks in [0, 12): a sample point moved by one float32 ulp of its coordinate moves the value by ~1e-5
    TfliteWriter w = new TfliteWriter();
    int lm = w.input("lm", TensorType.FLOAT32, 1, 6, 3);
    int x = w.input("x", TensorType.FLOAT32, 1, 16, 16, 3);
    int m = w.tensor("m", TensorType.FLOAT32, 1, 4, 4);
    int crop = w.tensor("crop", TensorType.FLOAT32, 1, 8, 8, 3);
    byte[] opts = new dev.crossalign.tflite.FlexMapBuilder().put("subset_idxs", new int[] {0, 1, 2, 3, 4, 5})
        .put("left_rotation_idx", 0).put("right_rotation_idx", 1).put("target_rotation_radians", 0.3f)
        .put("output_height", 8).put("output_width", 8).put("scale_x", 1.5f).put("scale_y", 1.7f).build();
    w.custom(MediaPipeTransforms.LANDMARKS_TO_TRANSFORM_MATRIX, 2, new int[] {lm}, new int[] {m}, opts);
    w.custom(MediaPipeTransforms.TRANSFORM_TENSOR_BILINEAR, 2, new int[] {x, m}, new int[] {crop}, new byte[0]);
    w.outputs(m, crop);
    for (long seed = 1; seed <= 3; seed++) {
      ExportHarness.Result r = ExportHarness.run(w.build(), seed, 0, 12);
      assertThat(r.export().model().nodes()).extracting(n -> n.opType()).contains("Atan", "ReduceMax", "Gather");
      for (ExportHarness.Diff d : r.outputs()) {
        System.out.printf("ONNX MediaPipe chain seed %d %s: max_abs %.3g rel_l2 %.3g%n", seed, d.name(), d.maxAbs(),
            d.relL2());
        assertThat(d.maxAbs()).as(d.name()).isLessThanOrEqualTo(d.name().equals("m") ? 1e-5 : 1e-3);
      }
    }
  }
}
