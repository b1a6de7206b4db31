package dev.crossalign.align;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.crossalign.CrossalignException;
import dev.crossalign.align.InputChecks.InputReport;
import dev.crossalign.align.InputChecks.ValueRange;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.nio.ByteBuffer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class InputChecksTest {
  static final int[] NHWC = {1, 4, 5, 3};

  /** value(n, h, w, c) = scale * (c + 1) / 4 + offset, plus a pixel ramp of mean 0 per channel. */
  static HostTensor image(int[] shape, double scale, double offset) {
    int h = shape[1];
    int w = shape[2];
    int c = shape[3];
    float[] v = new float[h * w * c];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        for (int k = 0; k < c; k++) {
          // ramp in {-0.1, 0, +0.1} by x for w = 5: symmetric, so per-channel mean stays (k + 1) / 4
          double ramp = 0.05 * (x - (w - 1) / 2.0);
          v[(y * w + x) * c + k] = (float) (scale * ((k + 1) / 4.0 + ramp) + offset);
        }
      }
    }
    return HostTensor.ofFloats(shape, Layout.NHWC, v);
  }

  @Test
  void cleanInputHasClosedFormStatsAndNoWarnings() {
    InputReport r = InputChecks.check("img", NHWC, DType.FLOAT32, ValueRange.ZERO_ONE, image(NHWC, 1, 0));
    assertThat(r.name()).isEqualTo("img");
    assertThat(r.warnings()).isEmpty();
    assertThat(r.min()).isCloseTo(0.25 - 0.1, within(1e-6));
    assertThat(r.max()).isCloseTo(0.75 + 0.1, within(1e-6));
    assertThat(r.mean()).isCloseTo(0.5, within(1e-6));
    assertThat(r.channelMeans()).hasSize(3);
    assertThat(r.channelMeans().get(0)).isCloseTo(0.25, within(1e-6));
    assertThat(r.channelMeans().get(1)).isCloseTo(0.50, within(1e-6));
    assertThat(r.channelMeans().get(2)).isCloseTo(0.75, within(1e-6));
    assertThat(r.nanCount()).isZero();
  }

  @Test
  void nchwDataForAnNhwcInputNamesTheCauseAndTheTranspose() {
    HostTensor nchw = image(NHWC, 1, 0).permute(new int[] {0, 3, 1, 2}, Layout.NCHW);
    assertThat(nchw.shape()).containsExactly(1, 3, 4, 5);
    assertThatThrownBy(() -> InputChecks.check("img", NHWC, DType.FLOAT32, ValueRange.ZERO_ONE, nchw))
        .isInstanceOfSatisfying(CrossalignException.class, e -> {
          assertThat(e.kind()).isEqualTo(CrossalignException.Kind.INPUT);
          assertThat(e.getMessage())
              .doesNotContain("\n")
              .contains("input 'img'", "[1, 3, 4, 5]", "[1, 4, 5, 3]", "NCHW", "transpose(0, 2, 3, 1)");
        });
    // and the suggested transpose does fix it, giving back the NHWC statistics
    InputReport fixed = InputChecks.check("img", NHWC, DType.FLOAT32, ValueRange.ZERO_ONE,
        nchw.permute(new int[] {0, 2, 3, 1}, Layout.NHWC));
    assertThat(fixed.warnings()).isEmpty();
    assertThat(fixed.channelMeans().get(2)).isCloseTo(0.75, within(1e-6));
  }

  static Stream<Arguments> shapeMismatches() {
    return Stream.of(
        Arguments.of(new int[] {1, 3, 4, 5}, new int[] {1, 4, 5, 3}, "NHWC (channels-last) data fed to an NCHW"),
        Arguments.of(new int[] {1, 4, 5, 3}, new int[] {4, 5, 3}, "batch axis is missing"),
        Arguments.of(new int[] {4, 5, 3}, new int[] {1, 4, 5, 3}, "extra leading axis"),
        Arguments.of(new int[] {1, 4, 5, 3}, new int[] {1, 5, 4, 3}, "same dimensions in another order"),
        Arguments.of(new int[] {1, 4, 5, 3}, new int[] {1, 60}, "may only need a reshape"),
        Arguments.of(new int[] {1, -1, -1, 3}, new int[] {1, 3, 7, 9}, "NCHW (channels-first)"),
        Arguments.of(new int[] {1, 4, 5, 3}, new int[] {1, 4, 5, 4}, "does not match the model's [1, 4, 5, 3]"));
  }

  @ParameterizedTest
  @MethodSource("shapeMismatches")
  void shapeMismatchSaysTheLikelyCause(int[] expected, int[] actual, String fragment) {
    HostTensor t = HostTensor.of(DType.UINT8, actual, Layout.ANY,
        ByteBuffer.allocate((int) HostTensor.numel(actual)));
    assertThatThrownBy(() -> InputChecks.check("x", expected, DType.UINT8, ValueRange.UNKNOWN, t))
        .isInstanceOf(CrossalignException.class)
        .hasMessageContaining(fragment)
        .hasMessageNotContaining("\n");
  }

  @Test
  void dynamicDimsMatch() {
    InputReport r = InputChecks.check("x", new int[] {-1, -1, -1, 3}, DType.FLOAT32, ValueRange.UNKNOWN,
        image(NHWC, 1, 0));
    assertThat(r.warnings()).isEmpty();
  }

  @Test
  void squareTensorMarkedNchwIsWarnedAbout() {
    int[] cube = {1, 3, 3, 3};
    HostTensor t = image(cube, 1, 0).withLayout(Layout.NCHW);
    InputReport r = InputChecks.check("x", cube, DType.FLOAT32, ValueRange.ZERO_ONE, t);
    assertThat(r.warnings()).singleElement().asString().contains("marked NCHW", "(0, 2, 3, 1)");
  }

  static Stream<Arguments> rangeMismatches() {
    return Stream.of(
        // [0, 255] pixels into a [0, 1] model
        Arguments.of(ValueRange.ZERO_ONE, 255.0, 0.0, "divide by 255"),
        // [-1, 1] data into [0, 1]
        Arguments.of(ValueRange.ZERO_ONE, 2.0, -1.0, "(x + 1) / 2"),
        // [0, 1] data into [-1, 1]: fits, but no negative value at all
        Arguments.of(ValueRange.MINUS_ONE_ONE, 1.0, 0.0, "x * 2 - 1"),
        Arguments.of(ValueRange.MINUS_ONE_ONE, 255.0, 0.0, "x / 127.5 - 1"),
        Arguments.of(ValueRange.ZERO_255, 1.0, 0.0, "multiply by 255"),
        Arguments.of(ValueRange.ZERO_255, 2.0, -1.0, "(x + 1) * 127.5"),
        Arguments.of(ValueRange.ZERO_ONE, 1000.0, 0.0, "check the preprocessing"));
  }

  @ParameterizedTest
  @MethodSource("rangeMismatches")
  void rangeMismatchIsWarnedWithTheFix(ValueRange expected, double scale, double offset, String fix) {
    HostTensor t = image(NHWC, scale, offset);
    InputReport r = InputChecks.check("x", NHWC, DType.FLOAT32, expected, t);
    assertThat(r.warnings()).singleElement().asString().contains("model expects", fix);
  }

  static Stream<Arguments> rangesThatFit() {
    return Stream.of(
        Arguments.of(ValueRange.ZERO_ONE, 1.0, 0.0),
        Arguments.of(ValueRange.MINUS_ONE_ONE, 1.0, -0.5),
        Arguments.of(ValueRange.ZERO_255, 255.0, 0.0),
        Arguments.of(ValueRange.UNKNOWN, 1e6, -3.0));
  }

  @ParameterizedTest
  @MethodSource("rangesThatFit")
  void rangeThatFitsIsNotWarned(ValueRange expected, double scale, double offset) {
    assertThat(InputChecks.check("x", NHWC, DType.FLOAT32, expected, image(NHWC, scale, offset)).warnings())
        .isEmpty();
  }

  @Test
  void constantInputIsWarned() {
    float[] v = new float[60];
    java.util.Arrays.fill(v, 0.5f);
    InputReport r = InputChecks.check("x", NHWC, DType.FLOAT32, ValueRange.ZERO_ONE,
        HostTensor.ofFloats(NHWC, Layout.NHWC, v));
    assertThat(r.warnings()).singleElement().asString().contains("constant input", "0.5");
    assertThat(r.min()).isEqualTo(0.5);
    assertThat(r.max()).isEqualTo(0.5);
  }

  @Test
  void nanAndInfAreCountedAndStatsUseFiniteValues() {
    float[] v = {Float.NaN, 1f, Float.POSITIVE_INFINITY, 3f, Float.NEGATIVE_INFINITY, Float.NaN};
    InputReport r = InputChecks.check("x", new int[] {1, 1, 2, 3}, DType.FLOAT32, ValueRange.UNKNOWN,
        HostTensor.ofFloats(new int[] {1, 1, 2, 3}, Layout.NHWC, v));
    assertThat(r.nanCount()).isEqualTo(2);
    assertThat(r.infCount()).isEqualTo(2);
    assertThat(r.min()).isEqualTo(1.0);
    assertThat(r.max()).isEqualTo(3.0);
    assertThat(r.mean()).isEqualTo(2.0);
    // channel 0 holds NaN and 3: mean 3; channel 1 holds 1 and -inf: mean 1; channel 2 holds +inf and NaN: none
    assertThat(r.channelMeans().get(0)).isEqualTo(3.0);
    assertThat(r.channelMeans().get(1)).isEqualTo(1.0);
    assertThat(r.channelMeans().get(2)).isNaN();
    assertThat(r.warnings()).anySatisfy(w -> assertThat(w).contains("2 NaN and 2 infinite values of 6"));
  }

  @Test
  void dtypeMismatchIsWarned() {
    HostTensor u8 = HostTensor.of(DType.UINT8, NHWC, Layout.NHWC, ByteBuffer.wrap(ramp(60)));
    InputReport r = InputChecks.check("x", NHWC, DType.FLOAT32, ValueRange.ZERO_255, u8);
    assertThat(r.warnings()).singleElement().asString().contains("dtype UINT8", "FLOAT32");
    assertThat(r.max()).isEqualTo(59.0);
    assertThat(r.mean()).isEqualTo(29.5);
    // channel c holds c, c + 3, ..., c + 57: mean c + 28.5
    assertThat(r.channelMeans()).containsExactly(28.5, 29.5, 30.5);
  }

  @Test
  void nonImageInputHasNoChannelMeans() {
    HostTensor t = HostTensor.ofFloats(new int[] {2, 2}, Layout.ANY, new float[] {1, 2, 3, 4});
    InputReport r = InputChecks.check("v", new int[] {2, 2}, DType.FLOAT32, ValueRange.UNKNOWN, t);
    assertThat(r.channelMeans()).isEmpty();
    assertThat(r.mean()).isEqualTo(2.5);
  }

  @Test
  void swapChannelsSwapsFirstAndThirdOfTheLastAxis() {
    float[] rgb = {1, 2, 3, 10, 20, 30};
    HostTensor t = HostTensor.ofFloats(new int[] {1, 1, 2, 3}, Layout.NHWC, rgb);
    HostTensor bgr = InputChecks.swapChannels(t);
    assertThat(bgr.toFloatArray()).containsExactly(3, 2, 1, 30, 20, 10);
    assertThat(bgr.shape()).containsExactly(1, 1, 2, 3);
    assertThat(bgr.layout()).isEqualTo(Layout.NHWC);
    assertThat(InputChecks.swapChannels(bgr).toFloatArray()).containsExactly(rgb);
    // input untouched (immutable)
    assertThat(t.toFloatArray()).containsExactly(rgb);
  }

  @Test
  void swapChannelsKeepsAlphaAndWorksOnBytes() {
    byte[] rgba = {1, 2, 3, 4, 5, 6, 7, 8};
    HostTensor t = HostTensor.of(DType.UINT8, new int[] {1, 1, 2, 4}, Layout.NHWC, ByteBuffer.wrap(rgba));
    assertThat(InputChecks.swapChannels(t).toFloatArray()).containsExactly(3, 2, 1, 4, 7, 6, 5, 8);
  }

  @Test
  void swapChannelsNeedsThreeChannels() {
    HostTensor t = HostTensor.ofFloats(new int[] {1, 2, 2, 2}, Layout.NHWC, new float[8]);
    assertThatThrownBy(() -> InputChecks.swapChannels(t))
        .isInstanceOf(CrossalignException.class)
        .hasMessageContaining("at least 3 channels");
  }

  private static byte[] ramp(int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) i;
    }
    return b;
  }
}
