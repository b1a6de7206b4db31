package dev.crossalign.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.crossalign.CrossalignException;
import dev.crossalign.engine.DemoModel;
import dev.crossalign.engine.InputGenerator;
import dev.crossalign.port.onnx.ExportOptions;
import dev.crossalign.port.onnx.Exporter;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tflite.TfliteModel;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The provider SPI: one registered provider per kind, probes that answer instead of throwing, and backends opened
 * through it that compute what their independent neighbours compute (the TFLite interpreter is the oracle).
 */
class BackendProvidersTest {
  private static final TfliteModel DEMO = TfliteModel.read(DemoModel.bytes(), DemoModel.LABEL);
  private static final Map<String, HostTensor> INPUTS = InputGenerator.inputs(DEMO, 3, -1, 1, Map.of());

  @Test
  void everyKindHasExactlyOneProviderInTheServicesFile() throws IOException {
    String file;
    try (InputStream in = BackendProvider.class.getClassLoader()
        .getResourceAsStream("META-INF/services/" + BackendProvider.class.getName())) {
      assertThat(in).as("services file").isNotNull();
      file = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertThat(file.lines().filter(l -> !l.isBlank())).hasSize(BackendKind.values().length);
    assertThat(Backends.all().keySet()).containsExactly(BackendKind.values());
    Backends.all().forEach((k, p) -> assertThat(p.kind()).isSameAs(k));
  }

  @Test
  void everyBackendButCudnnIsAvailableOnTheCpu() {
    for (BackendKind k : BackendKind.values()) {
      Capability c = Backends.provider(k).probe(Device.CPU);
      assertThat(c.kind()).isSameAs(k);
      if (k == BackendKind.CUDNN) {
        assertThat(c.available()).isFalse();
        assertThat(c.reason()).contains("CUDA device only");
      } else {
        assertThat(c.available()).as(c.toString()).isTrue();
      }
    }
  }

  @Test
  void withoutAGpuTheCudaProbesSayWhyInsteadOfThrowing() {
    Assumptions.assumeFalse(Files.exists(Path.of("/dev/nvidia0")), "this machine has an NVIDIA device");
    Device cuda = Device.parse("cuda:0");
    for (BackendKind k : List.of(BackendKind.TORCH, BackendKind.ONNXRUNTIME, BackendKind.CUDNN)) {
      Capability c = Backends.provider(k).probe(cuda);
      assertThat(c.available()).as(c.toString()).isFalse();
      assertThat(c.reason()).as(c.toString()).containsIgnoringCase("cuda");
    }
  }

  @Test
  void torchAndOnnxRuntimeOpenedThroughTheirProvidersMatchTheInterpreter() {
    float[] ref = finalOutput(BackendKind.TFLITE, BackendSpec.Purpose.CAPTURE);
    for (BackendKind k : List.of(BackendKind.TORCH, BackendKind.ONNXRUNTIME)) {
      assertThat(maxAbsDiff(ref, finalOutput(k, BackendSpec.Purpose.CAPTURE))).as(k.id()).isLessThan(1e-4);
    }
    assertThat(maxAbsDiff(ref, finalOutput(BackendKind.TFLITE_XNNPACK, BackendSpec.Purpose.LATENCY)))
        .as("xnnpack").isLessThan(1e-4);
  }

  @Test
  void latencyRunsOfOnnxRuntimeHoldTheGraphOutputsOnly() {
    int capture;
    int latency;
    try (Backend b = open(BackendKind.ONNXRUNTIME, BackendSpec.Purpose.CAPTURE)) {
      capture = b.run(INPUTS).size();
    }
    try (Backend b = open(BackendKind.ONNXRUNTIME, BackendSpec.Purpose.LATENCY)) {
      latency = b.run(INPUTS).size();
    }
    assertThat(latency).isLessThanOrEqualTo(DEMO.main().outputs().length + INPUTS.size());
    assertThat(capture).isGreaterThan(latency + 3);
  }

  @Test
  void cudnnRefusesAWholeModelAsUnsupported() {
    assertThatThrownBy(() -> open(BackendKind.CUDNN, BackendSpec.Purpose.CAPTURE))
        .isInstanceOf(CrossalignException.class)
        .satisfies(e -> assertThat(((CrossalignException) e).kind()).isEqualTo(CrossalignException.Kind.UNSUPPORTED))
        .hasMessageContaining("conv layers");
  }

  private static Backend open(BackendKind k, BackendSpec.Purpose purpose) {
    return Backends.open(k, new BackendSpec(DEMO, () -> Exporter.export(DEMO, ExportOptions.DEFAULT).model(),
        Device.CPU, DeterminismConfig.DETERMINISTIC, purpose));
  }

  private static float[] finalOutput(BackendKind k, BackendSpec.Purpose purpose) {
    String out = DEMO.main().tensor(DEMO.main().outputs()[0]).name();
    try (Backend b = open(k, purpose)) {
      HostTensor t = b.run(INPUTS).tensor(out);
      assertThat(t).as(k.id() + " output " + out).isNotNull();
      return t.toFloatArray();
    }
  }

  private static double maxAbsDiff(float[] a, float[] b) {
    assertThat(b).hasSameSizeAs(a);
    double worst = 0;
    for (int i = 0; i < a.length; i++) {
      worst = Math.max(worst, Math.abs((double) a[i] - b[i]));
    }
    assertThat(Arrays.stream(new double[] {worst}).allMatch(Double::isFinite)).isTrue();
    return worst;
  }
}
