package dev.crossalign.port;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.crossalign.CrossalignException;
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
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.testutil.RelL2;
import dev.crossalign.tflite.TfliteModel;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The torch provider's {@link PortOptions} (issue 14, item 1: the truth lab opens its float64 port through the SPI):
 * FLOAT64 gives the float64 port, whose isolated outputs are double tensors within float32 rounding of the TFLite
 * interpreter's (the oracle) and not all float32 values; a CUDA device is refused before anything is loaded.
 */
class PortOptionsTest {
  private static final TfliteModel DEMO = TfliteModel.read(DemoModel.bytes(), DemoModel.LABEL);
  private static final DeterminismConfig CONFIG = DeterminismConfig.DETERMINISTIC;

  @Test
  void float64ThroughTheProviderIsTheDoublePort() {
    Map<String, HostTensor> inputs = InputGenerator.inputs(DEMO, 7, -1, 1, Map.of());
    Activations reference;
    try (ReferenceBackend ref = Reference.capture(DEMO, CONFIG, 1)) {
      reference = ref.run(inputs);
    }
    BackendSpec spec = new BackendSpec(DEMO, null, Device.CPU, CONFIG, BackendSpec.Purpose.CAPTURE)
        .withOptions(PortOptions.FLOAT64);
    Activations truth;
    try (StreamingBackend t64 = Backends.open(BackendKind.TORCH, spec, StreamingBackend.class)) {
      truth = t64.runIsolated(reference);
    }
    int compared = 0;
    boolean offFloat32Grid = false;
    for (CapturedTensor t : truth.tensors()) {
      if (!reference.contains(t.name()) || inputs.containsKey(t.name())) {
        continue;
      }
      HostTensor want = reference.tensor(t.name());
      assertThat(t.tensor().dtype()).as(t.name()).isEqualTo(DType.FLOAT64);
      HostTensor have = RelL2.nhwc(t.tensor()); // the port's NCHW in the interpreter's axes
      assertThat(have.numel()).as(t.name()).isEqualTo(want.numel());
      double scale = 0;
      for (long i = 0; i < want.numel(); i++) {
        scale = Math.max(scale, Math.abs(want.getDouble(i)));
      }
      for (long i = 0; i < want.numel(); i++) {
        double h = have.getDouble(i);
        assertThat(h).as(t.name() + "[" + i + "]").isCloseTo(want.getDouble(i),
            org.assertj.core.data.Offset.offset(1e-5 * Math.max(1, scale)));
        offFloat32Grid |= (double) (float) h != h;
      }
      compared++;
    }
    assertThat(compared).as("op outputs compared with the interpreter").isGreaterThan(1);
    assertThat(offFloat32Grid).as("some value is not a float32: the port computed in double").isTrue();
  }

  @Test
  void theFloat64PortRefusesCuda() {
    BackendSpec spec = new BackendSpec(DEMO, null, Device.parse("cuda:0"), CONFIG, BackendSpec.Purpose.CAPTURE)
        .withOptions(PortOptions.FLOAT64);
    assertThatThrownBy(() -> Backends.open(BackendKind.TORCH, spec))
        .isInstanceOfSatisfying(CrossalignException.class,
            e -> assertThat(e.kind()).isEqualTo(CrossalignException.Kind.UNSUPPORTED))
        .hasMessageContaining("float64 port runs on the CPU only");
  }
}
