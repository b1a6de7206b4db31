package dev.crossalign.port.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.testutil.MediaPipeModels;
import dev.crossalign.testutil.PortHarness;
import dev.crossalign.tflite.FlexMapBuilder;
import dev.crossalign.tflite.MediaPipeTransforms;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteWriter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * MediaPipe's attention-mesh ops in the port (libtorch chained, isolated and eager; the generated PyTorch code) against
 * the reference interpreter, whose kernels for them are crossalign's transcription of MediaPipe's (checked against
 * closed forms in MediaPipeTransformsTest and MediaPipeKernelsTest). The chain is the model's: landmarks to a matrix,
 * the matrix sampling a feature map and moving other landmarks. Random landmarks in [0, 12) put the crops partly
 * outside the 16 x 16 map, so the zero rule at the border is exercised too.
 */
class MediaPipeTransformOpsTest {
  private static byte[] chain(int dims) {
    TfliteWriter w = new TfliteWriter();
    int lm = w.input("lm", TensorType.FLOAT32, 1, 6, 3);
    int x = w.input("x", TensorType.FLOAT32, 1, 16, 16, 3);
    int pts = w.input("pts", TensorType.FLOAT32, 1, 5, dims);
    int m = w.tensor("m", TensorType.FLOAT32, 1, 4, 4);
    int crop = w.tensor("crop", TensorType.FLOAT32, 1, 8, 8, 3);
    int moved = w.tensor("moved", TensorType.FLOAT32, 1, 5, dims);
    byte[] opts = new FlexMapBuilder().put("subset_idxs", new int[] {0, 1, 2, 3, 4, 5}).put("left_rotation_idx", 0)
        .put("right_rotation_idx", 1).put("target_rotation_radians", 0.3f).put("output_height", 8)
        .put("output_width", 8).put("scale_x", 1.5f).put("scale_y", 1.7f).build();
    w.custom(MediaPipeTransforms.LANDMARKS_TO_TRANSFORM_MATRIX, 2, new int[] {lm}, new int[] {m}, opts);
    w.custom(MediaPipeTransforms.TRANSFORM_TENSOR_BILINEAR, 2, new int[] {x, m}, new int[] {crop},
        new FlexMapBuilder().put("output_height", 8).put("output_width", 8).build());
    w.custom(MediaPipeTransforms.TRANSFORM_LANDMARKS, 2, new int[] {pts, m}, new int[] {moved}, new byte[0]);
    w.outputs(crop, moved);
    return w.build();
  }

  @ParameterizedTest(name = "landmarks of {0} values")
  @ValueSource(ints = {2, 3})
  void theModelsChainMatchesTheReference(int dims) {
    for (long seed = 1; seed <= 3; seed++) {
      // values up to 12: a sample point moved by one float32 ulp of its coordinate moves the value by ~1e-5
      PortHarness.Result r = PortHarness.assertAligned(chain(dims), seed, 0, 12, 1e-3);
      assertThat(r.isolated()).containsKeys("m", "crop", "moved");
      float[] crop = r.reference().get("crop").toFloatArray();
      assertThat(java.util.stream.IntStream.range(0, crop.length).filter(i -> crop[i] != 0).count())
          .as("crop values sampled inside the map").isGreaterThan(10);
      System.out.printf("WORST MediaPipe chain dims %d seed %d: %.3g (isolated %s)%n", dims, seed, r.worst(),
          r.isolated());
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {5, 6})
  void bilinearOnAnyMatrixMatchesTheReference(long seed) {
    // a random matrix in [0, 0.6): points spread over [0, ~9] x [0, ~9], partly outside the 6 x 5 input (zeros)
    PortHarness.Result r = PortHarness.assertAligned(MediaPipeModels.bilinearOnAnyMatrix(), seed, 0, 0.6, 1e-4);
    float[] ref = r.reference().get("y").toFloatArray();
    long inside = 0;
    for (float v : ref) {
      inside += v != 0 ? 1 : 0;
    }
    System.out.printf("WORST TransformTensorBilinear seed %d: %.3g, %d of %d values sampled inside%n", seed,
        r.worst(), inside, ref.length);
    assertThat(inside).as("values sampled inside the input").isGreaterThan(20).isLessThan(ref.length);
  }
}
