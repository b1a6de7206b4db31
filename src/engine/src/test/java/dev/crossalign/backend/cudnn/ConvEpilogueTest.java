package dev.crossalign.backend.cudnn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.testutil.RandomTensors;
import dev.crossalign.tflite.Activation;
import dev.crossalign.tflite.Padding;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The float64 truth of the GPU check against the tests' own host conv (HostConv) and closed forms. */
class ConvEpilogueTest {

  @ParameterizedTest
  @CsvSource({
      "CONV, 9, 7, 3, 4, 3, 2, SAME, RELU6",
      "CONV, 8, 8, 2, 5, 5, 2, SAME, NONE",
      "DEPTHWISE, 8, 6, 3, 6, 3, 1, SAME, RELU",
      "DEPTHWISE, 7, 7, 2, 2, 3, 2, VALID, NONE",
      "CONV, 6, 5, 1, 1, 1, 1, VALID, TANH"})
  void float64TruthIsHostConvPlusBiasAndActivation(
      ConvGeometry.Kind kind, int h, int w, int c, int outC, int k, int s, Padding pad, Activation act) {
    ConvGeometry g = new ConvGeometry(kind, 1, h, w, c, outC, k, k, s, s, 1, 1, pad);
    SplittableRandom r = new SplittableRandom(7);
    float[] x = RandomTensors.uniform(r, (int) g.inputElements(), -2, 2);
    float[] f = RandomTensors.uniform(r, (int) g.filterElements(), -1, 1);
    float[] b = RandomTensors.uniform(r, outC, -1, 1);
    float[] expect = ConvEpilogue.biasAndActivation(HostConv.asCudnnWould(g, x, f), b, act);
    float[] got = ConvEpilogue.float64Truth(g, g.plan(), x, f, b, act);
    assertThat(got).hasSize(expect.length);
    for (int i = 0; i < got.length; i++) {
      // HostConv rounds to float32 before the bias; the truth rounds once at the end: at most a few ulps apart
      assertThat((double) got[i]).isCloseTo(expect[i], org.assertj.core.data.Offset.offset(1e-5 * (1 + Math.abs(expect[i]))));
    }
  }

  @ParameterizedTest
  @CsvSource({"NONE, -3.5, -3.5", "RELU, -3.5, 0", "RELU6, 7.25, 6", "RELU_N1_TO_1, -3.5, -1", "RELU_N1_TO_1, 0.25, 0.25",
      // TFLite's float kernels apply no fused TANH (CalculateActivationRange): the value passes unchanged
      "TANH, -3.5, -3.5", "TANH, 0.25, 0.25"})
  void biasAndActivationClosedForms(Activation act, float v, float expect) {
    float[] y = ConvEpilogue.biasAndActivation(new float[] {v - 0.5f, v - 1f}, new float[] {0.5f, 1f}, act);
    assertThat(y).containsExactly(expect, expect);
  }

  @org.junit.jupiter.api.Test
  void tfPaddingAndSymmetricPaddingOnOnes() {
    // 4x4 input of ones, 3x3 kernel of ones, stride 2 SAME: TF pads 0 before / 1 after, k//2 pads 1 on both sides
    ConvGeometry g = new ConvGeometry(ConvGeometry.Kind.CONV, 1, 4, 4, 1, 1, 3, 3, 2, 2, 1, 1, Padding.SAME);
    float[] ones = new float[16];
    java.util.Arrays.fill(ones, 1f);
    float[] f = new float[9];
    java.util.Arrays.fill(f, 1f);
    // TF: windows over rows/cols 0-2 and 2-4 (4 is padding): 9, 6 / 6, 4
    assertThat(ConvEpilogue.float64Truth(g, g.plan(), ones, f, new float[1], Activation.NONE))
        .containsExactly(9, 6, 6, 4);
    // symmetric: rows/cols -1..1 and 1..3: 4, 6 / 6, 9
    assertThat(ConvEpilogue.float64Truth(g, new PaddingPlan(1, 1, 1, 1, 2, 2), ones, f, new float[1], Activation.NONE))
        .containsExactly(4, 6, 6, 9);
  }
}
