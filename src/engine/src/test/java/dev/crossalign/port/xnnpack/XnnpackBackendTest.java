package dev.crossalign.port.xnnpack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.crossalign.CrossalignException;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.Backend;
import dev.crossalign.backend.BackendKind;
import dev.crossalign.backend.BackendSpec;
import dev.crossalign.backend.Backends;
import dev.crossalign.backend.Capability;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.backend.tflite.TfliteBackend;
import dev.crossalign.backend.tflite.TfliteOptions;
import dev.crossalign.engine.InputGenerator;
import dev.crossalign.engine.Reference;
import dev.crossalign.engine.RunSpec;
import dev.crossalign.engine.ValidationRequest;
import dev.crossalign.port.PortBackend;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.testutil.RelL2;
import dev.crossalign.testutil.TestModels;
import dev.crossalign.tflite.TfliteModel;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * torch-xnnpack against the real TFLite interpreter on real models: every captured tensor within the chained budget,
 * the outputs within 1e-5, and the frozen graph holding XNNPACK's prepacked convolutions and no aten::conv2d (so the
 * numbers are XNNPACK's); it is a backend of its own, which refuses isolated runs instead of running aten's per-op port
 * under its name.
 */
class XnnpackBackendTest {
  @ParameterizedTest
  @ValueSource(strings = {"face_detection_short_range.tflite", "hand_landmark_full.tflite"})
  void runsEveryConvOnXnnpackAndMatchesTheInterpreter(String name) {
    TfliteModel model = TfliteModel.read(TestModels.require(name));
    Map<String, HostTensor> inputs = InputGenerator.inputs(model, 3, -1, 1, Map.of());
    Activations reference;
    try (TfliteBackend tflite = Reference.open(model, TfliteOptions.defaults())) {
      reference = tflite.run(inputs);
    }
    Capability c = new XnnpackProvider().probe(Device.CPU);
    assertThat(c.available()).as("this libtorch is built with XNNPACK: %s", c).isTrue();
    try (Backend b = Backends.open(BackendKind.TORCH_XNNPACK, new BackendSpec(model, null, Device.CPU,
        DeterminismConfig.DETERMINISTIC, BackendSpec.Purpose.CAPTURE))) {
      PortBackend port = (PortBackend) b;
      assertThat(port.name()).isEqualTo(BackendKind.TORCH_XNNPACK.id());
      Map<String, String> info = port.info();
      assertThat(info.get("path")).isEqualTo("torchscript, rewritten for torch-xnnpack");
      assertThat(Integer.parseInt(info.get("ops.prepacked.conv2d_clamp_run"))).as("convs on XNNPACK").isGreaterThan(20);
      assertThat(info).containsEntry("ops.aten.conv2d", "0");
      Activations run = port.run(inputs);
      assertThat(run.backend()).isEqualTo(BackendKind.TORCH_XNNPACK.id());
      int compared = 0;
      for (var t : run.tensors()) {
        HostTensor want = reference.tensor(t.name());
        assertThat(want).as("interpreter has " + t.name()).isNotNull();
        assertThat(RelL2.of(want, t.tensor())).as("rel_l2 of '%s'", t.name()).isLessThanOrEqualTo(1e-4);
        compared++;
      }
      assertThat(compared).isGreaterThan(80);
      for (String o : run.outputNames()) {
        assertThat(RelL2.of(reference.tensor(o), run.tensor(o))).as("output " + o).isLessThanOrEqualTo(1e-5);
      }
      assertThatThrownBy(() -> port.runIsolated(reference)).isInstanceOf(CrossalignException.class)
          .hasMessageContaining("chained only");
    }
  }

  @Test
  void validateTakesItChainedOnlyAndNotTogetherWithTorch() {
    java.nio.file.Path m = java.nio.file.Path.of("m.tflite");
    assertThatThrownBy(() -> new ValidationRequest(m, List.of(BackendKind.TFLITE, BackendKind.TORCH_XNNPACK),
        ValidationRequest.RunMode.BOTH, RunSpec.DEFAULT, null)).isInstanceOf(CrossalignException.class)
        .hasMessage("torch-xnnpack runs chained only (its isolated runs would be the per-op aten port): add --mode"
            + " chained");
    assertThatThrownBy(() -> new ValidationRequest(m, List.of(BackendKind.TFLITE, BackendKind.TORCH,
        BackendKind.TORCH_XNNPACK), ValidationRequest.RunMode.CHAINED, RunSpec.DEFAULT, null))
        .isInstanceOf(CrossalignException.class).hasMessageContaining("one validate runs one of them");
    ValidationRequest ok = new ValidationRequest(m, List.of(BackendKind.TFLITE, BackendKind.TORCH_XNNPACK),
        ValidationRequest.RunMode.CHAINED, RunSpec.DEFAULT, null);
    assertThat(ok.portKind()).isEqualTo(BackendKind.TORCH_XNNPACK);
    assertThat(new ValidationRequest(m, List.of(BackendKind.TFLITE, BackendKind.TORCH),
        ValidationRequest.RunMode.BOTH, RunSpec.DEFAULT, null).portKind()).isEqualTo(BackendKind.TORCH);
  }

  @Test
  void cudaIsRefusedByTheProbe() {
    Capability c = new XnnpackProvider().probe(Device.parse("cuda"));
    assertThat(c.available()).isFalse();
    assertThat(c.reason()).contains("CPU only");
  }
}
