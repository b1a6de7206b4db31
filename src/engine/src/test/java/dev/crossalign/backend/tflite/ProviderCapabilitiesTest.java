package dev.crossalign.backend.tflite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.crossalign.backend.Activations;
import dev.crossalign.backend.BackendKind;
import dev.crossalign.backend.BackendSpec;
import dev.crossalign.backend.Backends;
import dev.crossalign.backend.CapturedTensor;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.backend.ReferenceBackend;
import dev.crossalign.backend.StreamingBackend;
import dev.crossalign.engine.DemoModel;
import dev.crossalign.engine.InputGenerator;
import dev.crossalign.engine.Reference;
import dev.crossalign.onnx.OnnxModel;
import dev.crossalign.port.onnx.ExportOptions;
import dev.crossalign.port.onnx.Exporter;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tflite.TfliteModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The capabilities validate, batch and compare ask of backends opened through their providers: the reference's
 * placeholder report (against the interpreter opened directly), the candidate's streaming runs (against the TFLite
 * interpreter's tensors), and the refusals when a backend lacks a capability or a spec lacks its model.
 */
class ProviderCapabilitiesTest {
  private static final TfliteModel DEMO = TfliteModel.read(DemoModel.bytes(), DemoModel.LABEL);
  private static final DeterminismConfig CONFIG = DeterminismConfig.DETERMINISTIC;

  @Test
  void theReferenceThroughItsProviderReportsPlaceholdersAsTheInterpreterDoes() {
    TfliteModel model = TfliteModel.read(PlaceholderKernelsTest.customThenAdd(PlaceholderKernelsTest.random(24, 2)),
        "custom.tflite");
    try (ReferenceBackend ref = Reference.capture(model, CONFIG, 2);
        TfliteBackend direct = TfliteBackend.open(model,
            TfliteOptions.defaults().withThreads(2).withPlaceholderCustomOps(true))) {
      assertThat(ref.placeholderCustomCodes()).containsExactly("MyCustom");
      assertThat(ref.placeholderCustomCodes())
          .containsExactlyElementsOf(direct.placeholderOps().stream().map(TfliteBackend.PlaceholderOp::customCode).toList());
      assertThat(ref.placeholderOutputs()).containsExactly("c").isEqualTo(direct.placeholderOutputs());
      assertThat(ref.downstreamOfPlaceholders()).containsExactly("y").isEqualTo(direct.downstreamOfPlaceholders());
      assertThat(ref.info()).isEqualTo(direct.info()); // threads 2 and placeholders on, as validate opened it before
    }
  }

  @Test
  void theTorchCandidateStreamsWhatTheInterpreterComputes() {
    Map<String, HostTensor> inputs = InputGenerator.inputs(DEMO, 5, -1, 1, Map.of());
    Activations oracle;
    try (ReferenceBackend ref = Reference.capture(DEMO, CONFIG, 1)) {
      oracle = ref.run(inputs);
    }
    BackendSpec spec = new BackendSpec(DEMO, null, Device.CPU, CONFIG, BackendSpec.Purpose.CAPTURE);
    try (StreamingBackend port = Backends.open(BackendKind.TORCH, spec, StreamingBackend.class)) {
      assertThat(port.unsupported()).isEmpty();
      List<String> names = new ArrayList<>();
      int compared = 0;
      List<CapturedTensor> got = new ArrayList<>();
      port.run(inputs, got::add);
      for (CapturedTensor t : got) {
        names.add(t.name());
        if (oracle.contains(t.name())) {
          float[] want = oracle.tensor(t.name()).toFloatArray();
          float[] have = t.tensor().toFloatArray();
          assertThat(have).as(t.name()).hasSameSizeAs(want);
          for (int i = 0; i < want.length; i++) {
            assertThat((double) have[i]).as(t.name() + "[" + i + "]").isCloseTo(want[i],
                org.assertj.core.data.Offset.offset(1e-4 + 1e-4 * Math.abs(want[i])));
          }
          compared++;
        }
      }
      assertThat(compared).as("tensors compared with the interpreter").isGreaterThan(2);
      assertThat(names).containsAll(port.outputNames());
    }
  }

  @Test
  void nativeOptionsReachTheInterpreterAndNoOtherBackend() {
    TfliteModel custom = TfliteModel.read(PlaceholderKernelsTest.customThenAdd(PlaceholderKernelsTest.random(24, 2)),
        "custom.tflite");
    // compare's side: placeholders off, so a custom op without a kernel refuses the model (exit 3), as opening the
    // interpreter directly with the same options does
    assertThatThrownBy(() -> Reference.exact(custom, 1))
        .isInstanceOfSatisfying(dev.crossalign.CrossalignException.class,
            e -> assertThat(e.kind()).isEqualTo(dev.crossalign.CrossalignException.Kind.UNSUPPORTED))
        .hasMessageContaining("MyCustom");
    assertThatThrownBy(() -> TfliteBackend.open(custom, TfliteOptions.defaults()))
        .hasMessageContaining("MyCustom");
    // the given options win over what the purpose implies: 3 threads, no placeholders, as the direct open reports
    TfliteOptions three = TfliteOptions.defaults().withThreads(3);
    try (TfliteBackend viaProvider = Reference.open(DEMO, three);
        TfliteBackend direct = TfliteBackend.open(DEMO, three)) {
      assertThat(viaProvider.info()).isEqualTo(direct.info());
      Map<String, HostTensor> inputs = InputGenerator.inputs(DEMO, 3, -1, 1, Map.of());
      Activations a = viaProvider.run(inputs);
      Activations b = direct.run(inputs);
      for (String o : a.outputNames()) {
        assertThat(a.tensor(o).toFloatArray()).as(o).containsExactly(b.tensor(o).toFloatArray());
      }
    }
    // TFLite's options never reach another backend silently
    BackendSpec torchSpec = new BackendSpec(DEMO, null, Device.CPU, CONFIG, BackendSpec.Purpose.CAPTURE)
        .withOptions(three);
    assertThatThrownBy(() -> Backends.open(BackendKind.TORCH, torchSpec))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("torch takes PortOptions, not TfliteOptions");
  }

  @Test
  void aBackendWithoutTheAskedCapabilityIsRefusedAndClosed() {
    BackendSpec spec = new BackendSpec(DEMO, null, Device.CPU, CONFIG, BackendSpec.Purpose.CAPTURE);
    assertThatThrownBy(() -> Backends.open(BackendKind.TFLITE, spec, StreamingBackend.class))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("tflite")
        .hasMessageContaining("is not a StreamingBackend");
  }

  @Test
  void anOnnxOnlySpecOpensOnnxRuntimeAndNoTfliteBackend() {
    OnnxModel onnx = Exporter.export(DEMO, ExportOptions.DEFAULT).model();
    BackendSpec spec = BackendSpec.onnxOnly(onnx, Device.CPU, CONFIG, BackendSpec.Purpose.CAPTURE);
    assertThatThrownBy(() -> Backends.open(BackendKind.TFLITE, spec))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("ONNX model only");
    try (var ort = Backends.open(BackendKind.ONNXRUNTIME, spec)) {
      assertThat(ort.name()).isEqualTo(BackendKind.ONNXRUNTIME.id());
    }
  }
}
