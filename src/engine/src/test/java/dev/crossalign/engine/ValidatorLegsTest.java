package dev.crossalign.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.align.Aligner;
import dev.crossalign.align.AlignmentResult;
import dev.crossalign.align.Comparison;
import dev.crossalign.align.Mode;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.BackendKind;
import dev.crossalign.backend.onnx.OrtBackend;
import dev.crossalign.backend.onnx.OrtOptions;
import dev.crossalign.backend.tflite.TfliteBackend;
import dev.crossalign.backend.tflite.TfliteOptions;
import dev.crossalign.port.PortBackend;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tflite.TfliteModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The legs, run in their own order and streamed, give the comparisons the whole-run procedure gives: every backend
 * run in full, tflite~torch chained and isolated, tflite~onnxruntime chained, torch~onnxruntime chained, then
 * isolated, each by {@link Aligner#compare} over the two whole runs (the oracle: validate's procedure before the
 * legs), weights folded and indexed as validate does. On the demo model, for each --mode.
 */
class ValidatorLegsTest {
  static Stream<ValidationRequest.RunMode> modes() {
    return Stream.of(ValidationRequest.RunMode.values());
  }

  @ParameterizedTest
  @MethodSource("modes")
  void legsGiveTheWholeRunComparisonsInReportOrder(ValidationRequest.RunMode mode) {
    ValidationRequest d = ValidationRequest.defaults(null);
    ValidationRequest req = new ValidationRequest(null, List.of(BackendKind.TFLITE, BackendKind.TORCH,
        BackendKind.ONNXRUNTIME), mode, d.run(), null);
    AlignmentResult result = Validator.validate(req).result();

    TfliteModel model = TfliteModel.read(DemoModel.bytes(), DemoModel.LABEL);
    Map<String, HostTensor> inputs =
        InputGenerator.inputs(model, req.config().seed(), req.inputLow(), req.inputHigh(), req.inputs());
    List<Comparison> expected = new ArrayList<>();
    try (TfliteBackend tflite = TfliteBackend.open(model, TfliteOptions.defaults().withPlaceholderCustomOps(true));
        PortBackend port = PortBackend.open(model, req.device(), req.config())) {
      Activations ref = tflite.run(inputs);
      OrtOptions opts = OrtOptions.from(req.config(), req.device());
      Activations torchChained = null;
      Activations torchIsolated = null;
      if (mode.chained()) {
        torchChained = port.run(inputs);
        expected.addAll(Aligner.compare(ref, torchChained, Mode.CHAINED, req.chainedTolerance()));
      }
      if (mode.isolated()) {
        torchIsolated = port.runIsolated(ref);
        expected.addAll(Aligner.compare(ref, torchIsolated, Mode.ISOLATED, req.tolerance()));
      }
      if (mode.chained()) {
        try (OrtBackend ort = OrtBackend.open(OnnxLeg.export(model, new ArrayList<>()).model(), opts)) {
          Activations o = ort.run(inputs);
          expected.addAll(Aligner.compare(ref, o, Mode.CHAINED, req.chainedTolerance()));
          expected.addAll(Aligner.compare(torchChained, o, Mode.CHAINED, req.chainedTolerance()));
        }
      }
      if (mode.isolated()) {
        Activations o = IsolatedOrtTest.oneSession(model, ref, req.config());
        expected.addAll(Aligner.compare(ref, o, Mode.ISOLATED, req.tolerance()));
        expected.addAll(Aligner.compare(torchIsolated, o, Mode.ISOLATED, req.tolerance()));
      }
      expected = WeightTensors.checkedOnce(Validator.inReferenceOrder(expected, ref), WeightTensors.of(model));
    }
    assertThat(result.comparisons()).hasSameSizeAs(expected);
    for (int i = 0; i < expected.size(); i++) {
      Comparison a = result.comparisons().get(i);
      Comparison e = expected.get(i);
      assertThat(List.of(a.name(), a.pair(), a.mode(), a.status())).as("comparison %d", i)
          .isEqualTo(List.of(e.name(), e.pair(), e.mode(), e.status()));
      if (e.metrics() != null) {
        // distinct counts aside (the legs count them only where they inform), the same numbers
        assertThat(a.metrics().maxAbs()).as("%s %s max_abs", e.pair(), e.name()).isEqualTo(e.metrics().maxAbs());
        assertThat(a.metrics().relL2()).as("%s %s rel_l2", e.pair(), e.name()).isEqualTo(e.metrics().relL2());
        assertThat(a.metrics().sumDiff()).isEqualTo(e.metrics().sumDiff());
        assertThat(a.passed()).isEqualTo(e.passed());
      }
    }
    assertThat(result.comparisons().stream().map(Comparison::pair).distinct().toList())
        .as("pairs in report order").containsExactlyElementsOf(
            Stream.of("tflite~torch", "tflite~onnxruntime", "torch~onnxruntime").toList());
  }
}
