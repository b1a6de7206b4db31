package dev.crossalign.backend.tflite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.crossalign.CrossalignException;
import dev.crossalign.backend.Activations;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.testutil.TestModels;
import dev.crossalign.tflite.FlexMapBuilder;
import dev.crossalign.tflite.MediaPipeTransforms;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteWriter;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The reference's kernels for MediaPipe's attention-mesh ops, run by the real TFLite interpreter on writer-built
 * one-op models (version 2, as face_landmark_with_attention has them) against closed forms worked by hand: an
 * axis-aligned crop's matrix, the bilinear sample as a 2 x 2 average pool, landmarks through an affine matrix, and
 * the three chained as in the model; refusals (version 1, an option MediaPipe's Eval rejects) are one-line exit-3
 * errors before any interpreter exists; the real model runs with no placeholder.
 */
class MediaPipeKernelsTest {
  /** TransformTensorBilinear's options in face_landmark_with_attention (output_height 16, output_width 16). */
  private static final byte[] BILINEAR_OPTIONS = HexFormat.of().parseHex(
      "6f75747075745f686569676874006f75747075745f776964746800021c0f02010210100404042401");

  private static byte[] matrixOptions(float scaleX) {
    return new FlexMapBuilder().put("subset_idxs", new int[] {0, 1, 2, 3}).put("left_rotation_idx", 0)
        .put("right_rotation_idx", 1).put("target_rotation_radians", 0f).put("output_height", 16)
        .put("output_width", 16).put("scale_x", scaleX).put("scale_y", 1.5f).build();
  }

  /** Landmarks (10, 20), (30, 20), (20, 10), (20, 40): rotation 0, box 20 x 30 centred on (20, 25). */
  private static final float[] LANDMARKS = {10, 20, 0, 30, 20, 0, 20, 10, 0, 20, 40, 0};
  /** 1.5 * 20 / 16 and 1.5 * 30 / 16, shifted so that output pixel (8, 8) lands on the centre. */
  private static final float[] MATRIX = {1.875f, 0, 0, 5, 0, 2.8125f, 0, 2.5f, 0, 0, 1, 0, 0, 0, 0, 1};

  private static byte[] matrixModel(int version, byte[] options) {
    TfliteWriter w = new TfliteWriter();
    int x = w.input("lm", TensorType.FLOAT32, 1, 4, 3);
    int y = w.tensor("m", TensorType.FLOAT32, 1, 4, 4);
    w.custom(MediaPipeTransforms.LANDMARKS_TO_TRANSFORM_MATRIX, version, new int[] {x}, new int[] {y}, options);
    w.outputs(y);
    return w.build();
  }

  private static Activations run(byte[] model, Map<String, HostTensor> in) {
    try (TfliteBackend b = TfliteBackend.open(model, "mediapipe", TfliteOptions.defaults())) {
      assertThat(b.placeholderOps()).isEmpty();
      assertThat(b.info().get("mediapipe_kernels")).contains("crossalign's Java transcription");
      return b.run(in);
    }
  }

  private static HostTensor floats(float[] v, int... shape) {
    return HostTensor.ofFloats(shape, Layout.ANY, v);
  }

  @Test
  void landmarksToTransformMatrixOfAnAxisAlignedCrop() {
    Activations a = run(matrixModel(2, matrixOptions(1.5f)), Map.of("lm", floats(LANDMARKS, 1, 4, 3)));
    assertThat(a.tensor("m").shape()).containsExactly(1, 4, 4);
    assertThat(a.tensor("m").toFloatArray()).containsExactly(MATRIX);
  }

  @Test
  void transformTensorBilinearAtScaleTwoIsTheAveragePool() {
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, 1, 4, 4, 2);
    int m = w.input("m", TensorType.FLOAT32, 1, 4, 4);
    int y = w.tensor("y", TensorType.FLOAT32, 1, 2, 2, 2);
    // the options say 16 x 16 (the real model's); the CPU kernel samples at the output tensor's size, as MediaPipe's
    w.custom(MediaPipeTransforms.TRANSFORM_TENSOR_BILINEAR, 2, new int[] {x, m}, new int[] {y}, BILINEAR_OPTIONS);
    w.outputs(y);
    float[] in = new float[32];
    for (int i = 0; i < 32; i++) {
      in[i] = (i % 2 == 0 ? 1 : -1) * (i / 2) * (i / 2);
    }
    float[] scale2 = {2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
    float[] got = run(w.build(), Map.of("x", HostTensor.ofFloats(new int[] {1, 4, 4, 2}, Layout.NHWC, in), "m",
        floats(scale2, 1, 4, 4))).tensor("y").toFloatArray();
    for (int oy = 0; oy < 2; oy++) {
      for (int ox = 0; ox < 2; ox++) {
        for (int c = 0; c < 2; c++) {
          int p = ((2 * oy) * 4 + 2 * ox) * 2 + c;
          float mean = (in[p] + in[p + 2] + in[p + 8] + in[p + 10]) / 4;
          assertThat(got[(oy * 2 + ox) * 2 + c]).as("(%d, %d, %d)", oy, ox, c).isEqualTo(mean);
        }
      }
    }
  }

  @Test
  void transformLandmarksAppliesTheFirstTwoRows() {
    TfliteWriter w = new TfliteWriter();
    int x = w.input("lm", TensorType.FLOAT32, 1, 2, 2);
    int m = w.input("m", TensorType.FLOAT32, 1, 4, 4);
    int y = w.tensor("out", TensorType.FLOAT32, 1, 2, 2);
    w.custom(MediaPipeTransforms.TRANSFORM_LANDMARKS, 2, new int[] {x, m}, new int[] {y}, new byte[0]);
    w.outputs(y);
    float[] got = run(w.build(), Map.of("lm", floats(new float[] {8, 8, 0, 16}, 1, 2, 2), "m",
        floats(MATRIX, 1, 4, 4))).tensor("out").toFloatArray();
    // output pixel (8, 8) is the crop's centre (20, 25); (0, 16) is 1.875 * 0 + 5, 2.8125 * 16 + 2.5
    assertThat(got).containsExactly(20f, 25f, 5f, 47.5f);
  }

  @Test
  void versionOneAndRejectedOptionsAreRefusedNamingTheOp() {
    assertThatThrownBy(() -> TfliteBackend.open(matrixModel(1, matrixOptions(1.5f)), "v1", TfliteOptions.defaults()))
        .isInstanceOfSatisfying(CrossalignException.class,
            e -> assertThat(e.kind()).isEqualTo(CrossalignException.Kind.UNSUPPORTED))
        .hasMessageContaining("custom op Landmarks2TransformMatrix (op #0) of model v1")
        .hasMessageContaining("version 1 is not implemented");
    assertThatThrownBy(() -> TfliteBackend.open(matrixModel(2, matrixOptions(0f)), "bad", TfliteOptions.defaults()))
        .isInstanceOfSatisfying(CrossalignException.class,
            e -> assertThat(e.kind()).isEqualTo(CrossalignException.Kind.UNSUPPORTED))
        .hasMessageContaining("scale_x 0.0, expected > 0");
    assertThatThrownBy(() -> TfliteBackend.open(matrixModel(2, new byte[] {1, 2, 3}), "junk", TfliteOptions.defaults()))
        .isInstanceOf(CrossalignException.class).hasMessageContaining("FlexBuffers");
  }

  @Test
  void theRealModelRunsOnTheseKernelsWithNoPlaceholder() {
    byte[] model = TestModels.bytes("face_landmark_with_attention.tflite");
    for (int cycle = 0; cycle < 3; cycle++) { // open/run/close again: the callbacks stay valid across backends
      try (TfliteBackend b = TfliteBackend.open(model, "face_attention", TfliteOptions.defaults())) {
        assertThat(b.placeholderOps()).isEmpty();
        assertThat(b.downstreamOfPlaceholders()).isEmpty();
        Activations a = b.run(TfliteBackendTest.seededInput(b, 4));
        float[] crop = a.tensor("transform_tensor_bilinear_v2").toFloatArray();
        float[] lips = a.tensor("transform_landmarks_v2").toFloatArray();
        assertThat(crop).hasSize(16 * 16 * 32);
        assertThat(lips).hasSize(160);
        double cropMax = 0;
        for (float v : crop) {
          cropMax = Math.max(cropMax, Math.abs(v));
        }
        assertThat(cropMax).as("the sampled crop is not a placeholder's zeros").isGreaterThan(1);
        // TransformLandmarks' closed form on the interpreter's own tensors: (x, y) through the matrix's two rows
        float[] in = a.tensor("reshape_1").toFloatArray();
        float[] m = a.tensor("multiply_by_constant_1").toFloatArray();
        for (int i = 0; i < 80; i++) {
          double x = in[2 * i];
          double y = in[2 * i + 1];
          assertThat((double) lips[2 * i]).isCloseTo(m[0] * x + m[1] * y + m[3], org.assertj.core.api.Assertions.within(
              1e-4 * (1 + Math.abs(m[3]))));
          assertThat((double) lips[2 * i + 1]).isCloseTo(m[4] * x + m[5] * y + m[7],
              org.assertj.core.api.Assertions.within(1e-4 * (1 + Math.abs(m[7]))));
        }
      }
    }
  }

  @Test
  void withTheXnnpackDelegateTheseNodesStayOnTheInterpretersKernels() {
    // XNNPACK takes the builtin partitions; the three MediaPipe ops stay on crossalign's kernels between them, and
    // the final outputs agree with the undelegated run within float32 reordering
    byte[] model = TestModels.bytes("face_landmark_with_attention.tflite");
    Map<String, HostTensor> in;
    Activations plain;
    try (TfliteBackend b = TfliteBackend.open(model, "face_attention", TfliteOptions.defaults())) {
      in = TfliteBackendTest.seededInput(b, 9);
      plain = b.run(in);
    }
    TfliteOptions xnn = TfliteOptions.defaults().withDelegate(TfliteOptions.Delegate.XNNPACK);
    try (TfliteBackend b = TfliteBackend.open(model, "face_attention", xnn)) {
      assertThat(b.delegatePartitions()).isNotEmpty();
      assertThat(b.placeholderOps()).isEmpty();
      Activations delegated = b.run(in);
      for (String out : new String[] {"output_lips", "output_left_iris", "conv_faceflag"}) {
        float[] want = plain.tensor(out).toFloatArray();
        float[] got = delegated.tensor(out).toFloatArray();
        double num = 0;
        double den = 0;
        for (int i = 0; i < want.length; i++) {
          num += (want[i] - got[i]) * (double) (want[i] - got[i]);
          den += want[i] * (double) want[i];
        }
        assertThat(Math.sqrt(num / den)).as(out + " rel_l2").isLessThan(1e-5);
      }
    }
  }
}
