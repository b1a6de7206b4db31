package dev.crossalign.tflite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.crossalign.testutil.TestModels;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * FlexMap against FlexBuffers bytes that TensorFlow's own builder wrote: face_landmark_with_attention's custom_options
 * (their values checked against the model's tensor shapes, an independent record of the same numbers), then hostile
 * bytes: every truncation and byte flip parses or is one IllegalArgumentException, never another exception.
 */
class FlexMapTest {
  /** TransformTensorBilinear's options in face_landmark_with_attention (its output tensor is [1, 16, 16, 32]). */
  static final byte[] BILINEAR_16 = HexFormat.of().parseHex(
      "6f75747075745f686569676874006f75747075745f776964746800021c0f02010210100404042401");

  @Test
  void readsTheBilinearOptionsTensorflowWrote() {
    FlexMap m = FlexMap.parse(BILINEAR_16);
    assertThat(m.keys()).containsExactly("output_height", "output_width");
    assertThat(m.int32("output_height")).isEqualTo(16);
    assertThat(m.int32("output_width")).isEqualTo(16);
    assertThat(m.int32("absent")).isZero();
    assertThat(m.int32s("absent")).isEmpty();
  }

  @Test
  void readsTheMatrixOptionsOfTheRealModel() {
    TfliteModel model = TfliteModel.read(TestModels.require("face_landmark_with_attention.tflite"));
    int seen = 0;
    for (Operator op : model.main().operators()) {
      if (!MediaPipeTransforms.LANDMARKS_TO_TRANSFORM_MATRIX.equals(op.customCode())) {
        continue;
      }
      seen++;
      FlexMap m = FlexMap.parse(op.customOptions());
      assertThat(m.keys()).containsExactlyInAnyOrder("left_rotation_idx", "output_height", "output_width",
          "right_rotation_idx", "scale_x", "scale_y", "subset_idxs", "target_rotation_radians");
      // the crop it describes is what the TransformTensorBilinear nodes sample: [1, 16, 16, 32]
      assertThat(m.int32("output_height")).isEqualTo(16);
      assertThat(m.int32("output_width")).isEqualTo(16);
      int landmarks = model.main().tensor(op.inputs()[0]).shape()[1];
      assertThat(java.util.Arrays.stream(m.int32s("subset_idxs")).boxed().toList()).isNotEmpty()
          .allSatisfy(i -> assertThat(i).isBetween(0, landmarks - 1));
      assertThat(m.float32("scale_x")).isPositive();
      // and every Eval check passes
      MediaPipeTransforms.check(op, model.main());
    }
    assertThat(seen).isEqualTo(3);
  }

  @Test
  void readsWhatTheTestBuilderWrites() {
    byte[] raw = new FlexMapBuilder().put("b", 7).put("a", 2.5f).put("v", new int[] {3, -1, 70000}).build();
    FlexMap m = FlexMap.parse(raw);
    assertThat(m.keys()).containsExactly("a", "b", "v");
    assertThat(m.float32("a")).isEqualTo(2.5f);
    assertThat(m.int32("a")).as("AsInt32 of a float truncates").isEqualTo(2);
    assertThat(m.float32("b")).isEqualTo(7f);
    assertThat(m.int32s("v")).containsExactly(3, -1, 70000);
  }

  @Test
  void hostileBytesAreOneLineRefusals() {
    byte[] built = new FlexMapBuilder().put("subset_idxs", new int[] {1, 2, 3}).put("scale_x", 1.5f).build();
    for (byte[] base : new byte[][] {BILINEAR_16, built}) {
      for (int n = 0; n < base.length; n++) {
        parseOrRefuse(java.util.Arrays.copyOf(base, n));
        parseOrRefuse(java.util.Arrays.copyOfRange(base, n, base.length));
      }
      Random r = new Random(5);
      for (int i = 0; i < 2000; i++) {
        byte[] b = base.clone();
        b[r.nextInt(b.length)] = (byte) r.nextInt(256);
        parseOrRefuse(b);
      }
    }
    assertThatThrownBy(() -> FlexMap.parse(new byte[] {1, 2})).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("too short");
  }

  private static void parseOrRefuse(byte[] b) {
    try {
      FlexMap m = FlexMap.parse(b);
      for (String k : m.keys()) {
        try {
          m.int32s(k);
        } catch (IllegalArgumentException e) {
          m.float32(k);
        }
      }
    } catch (IllegalArgumentException e) {
      assertThat(e.getMessage()).isNotBlank().doesNotContain("\n");
    }
  }
}
