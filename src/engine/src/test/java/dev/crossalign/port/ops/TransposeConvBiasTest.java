package dev.crossalign.port.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.crossalign.testutil.DeconvModels;
import dev.crossalign.testutil.DeconvModels.Case;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.Padding;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * MediaPipe's Convolution2DTransposeBias: the port (libtorch chained, isolated and eager; the generated PyTorch code
 * from Java and in Debian's Python) against the reference, whose kernel for this op is TFLite's XNNPACK delegate in a
 * one-op interpreter. The reference itself is checked against TRANSPOSE_CONV + ADD in DelegateBackedKernelsTest.
 */
class TransposeConvBiasTest {

  static Stream<Case> cases() {
    return DeconvModels.CASES.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void matchesReference(Case c) {
    OpCases.check(DeconvModels.CODE, c.toString(), DeconvModels.custom(c), OpCases.ATOL);
  }

  @Test
  void customOptionsAreTfLiteTransposeConvParams() {
    OpOptions.TransposeConv o = TransposeConvBias.options(DeconvModels.options(2, 3, 4), IllegalStateException::new);
    assertThat(o).isEqualTo(new OpOptions.TransposeConv(Padding.VALID, 3, 4, dev.crossalign.tflite.Activation.NONE));
    assertThat(TransposeConvBias.options(DeconvModels.options(1, 2, 2), IllegalStateException::new).padding())
        .isEqualTo(Padding.SAME);
    assertThatThrownBy(() -> TransposeConvBias.options(DeconvModels.options(0, 2, 2), IllegalStateException::new))
        .hasMessageContaining("padding code 0");
    assertThatThrownBy(() -> TransposeConvBias.options(new byte[8], IllegalStateException::new))
        .hasMessageContaining("8 bytes");
    assertThatThrownBy(() -> TransposeConvBias.options(DeconvModels.options(1, 0, 2), IllegalStateException::new))
        .hasMessageContaining("strides 0x2");
  }
}
