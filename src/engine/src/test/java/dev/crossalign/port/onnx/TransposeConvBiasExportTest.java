package dev.crossalign.port.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.testutil.DeconvModels;
import dev.crossalign.testutil.DeconvModels.Case;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * MediaPipe's Convolution2DTransposeBias exported to ONNX (one ConvTranspose with TRANSPOSE_CONV's pads) and run by
 * ONNX Runtime, against the reference (TFLite's XNNPACK delegate kernel in a one-op interpreter), on the writer-built
 * cases of the port's op test.
 */
class TransposeConvBiasExportTest {
  static Stream<Case> cases() {
    return DeconvModels.CASES.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void onnxRuntimeMatchesTheReference(Case c) {
    ExportHarness.Result r = ExportHarness.run(DeconvModels.custom(c), 42, -2, 2);
    assertThat(r.export().model().nodes()).extracting(n -> n.opType()).contains("ConvTranspose");
    assertThat(r.outputs()).hasSize(1);
    ExportHarness.Diff d = r.outputs().get(0);
    System.out.printf("ONNX %s %s: max_abs %.3g rel_l2 %.3g%n", DeconvModels.CODE, c, d.maxAbs(), d.relL2());
    assertThat(d.maxAbs()).isLessThanOrEqualTo(1e-5);
  }
}
