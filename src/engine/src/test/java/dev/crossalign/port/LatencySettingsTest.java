package dev.crossalign.port;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.crossalign.backend.Activations;
import dev.crossalign.backend.Backend;
import dev.crossalign.backend.BackendKind;
import dev.crossalign.backend.BackendSpec;
import dev.crossalign.backend.Backends;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.backend.NativeLog;
import dev.crossalign.engine.InputGenerator;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.testutil.TestModels;
import dev.crossalign.tflite.TfliteModel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What the torch providers set for speed, checked by its effect: warm latency runs reuse their activations' pages
 * (minor page faults from /proc), libtorch's OpenMP sees OMP_WAIT_POLICY=PASSIVE because it was in the C environment
 * before libgomp loaded, and no conv logs NNPACK's "Could not initialize" line.
 */
class LatencySettingsTest {
  /**
   * hand_landmark_full in the lab (load 23-33): about 2,800 minor faults per warm run with glibc's own thresholds,
   * about 110 with the latency thresholds. The bound sits between, with room for the JVM's own faults.
   */
  @Test
  void warmLatencyRunsReuseTheirPages() throws IOException {
    assumeTrue(Files.isReadable(Path.of("/proc/self/stat")), "minor page faults are read from /proc (Linux)");
    TfliteModel model = TfliteModel.read(TestModels.require("hand_landmark_full.tflite"));
    Map<String, HostTensor> inputs = InputGenerator.inputs(model, 0, -1, 1, Map.of());
    try (Backend b = Backends.open(BackendKind.TORCH, new BackendSpec(model, null, Device.CPU,
        DeterminismConfig.DETERMINISTIC.withIntraOpThreads(1), BackendSpec.Purpose.LATENCY))) {
      PortBackend port = (PortBackend) b;
      assertThat(port.info()).containsEntry("malloc.mmap_threshold", Integer.toString(dev.crossalign.backend.NativeMemory.MMAP_THRESHOLD))
          .containsEntry("malloc.trim_threshold", Integer.toString(dev.crossalign.backend.NativeMemory.TRIM_THRESHOLD));
      for (int i = 0; i < 3; i++) {
        port.run(inputs, false);
      }
      int runs = 5;
      long before = minorFaults();
      for (int i = 0; i < runs; i++) {
        port.run(inputs, false);
      }
      double perRun = (minorFaults() - before) / (double) runs;
      assertThat(perRun).as("minor page faults per warm run").isLessThan(1000);
    }
  }

  /**
   * Latency opens switch off libtorch's NaN fill of fresh tensors (on by default with deterministic algorithms),
   * validation opens keep it, and face_detection_short_range's outputs are the same bits either way (every kernel of
   * the generated code writes its whole output). Fails if the fill stays on for bench, or goes off for validate.
   */
  @Test
  void latencyRunsSkipTheNanFillWithTheSameOutputs() {
    TfliteModel model = TfliteModel.read(TestModels.require("face_detection_short_range.tflite"));
    Map<String, HostTensor> inputs = InputGenerator.inputs(model, 0, -1, 1, Map.of());
    Map<BackendSpec.Purpose, Activations> runs = new java.util.EnumMap<>(BackendSpec.Purpose.class);
    for (BackendSpec.Purpose purpose : List.of(BackendSpec.Purpose.LATENCY, BackendSpec.Purpose.CAPTURE)) {
      try (Backend b = Backends.open(BackendKind.TORCH, new BackendSpec(model, null, Device.CPU,
          DeterminismConfig.DETERMINISTIC.withIntraOpThreads(1), purpose))) {
        boolean latency = purpose == BackendSpec.Purpose.LATENCY;
        assertThat(TorchRuntime.fillsUninitializedMemory()).as(purpose.name()).isEqualTo(!latency);
        if (latency) {
          assertThat(b.info()).containsEntry("fill_uninitialized_memory", "false (latency run)");
        } else {
          assertThat(b.info()).doesNotContainKey("fill_uninitialized_memory");
        }
        runs.put(purpose, ((PortBackend) b).run(inputs, false));
      }
    }
    Activations fast = runs.get(BackendSpec.Purpose.LATENCY);
    Activations checked = runs.get(BackendSpec.Purpose.CAPTURE);
    assertThat(fast.outputNames()).isNotEmpty().isEqualTo(checked.outputNames());
    for (String name : fast.outputNames()) {
      assertThat(fast.tensor(name).data()).as(name).isEqualTo(checked.tensor(name).data());
    }
  }

  /**
   * A fresh JVM (libgomp not yet loaded, no OMP_WAIT_POLICY of its own) probes and runs the torch port with the CLI's
   * native log capture on: the policy is set before libgomp loads, and a run of face_detection_short_range's 37 convs
   * logs no NNPACK line (this libtorch logged one per conv before NNPACK was switched off).
   */
  @Test
  void freshProcessGetsPassiveOpenMpAndNoNnpackLines() throws Exception {
    Path model = TestModels.require("face_detection_short_range.tflite");
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), FreshProcess.class.getName(), model.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().remove(OpenMpWaitPolicy.VARIABLE);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(240, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out).contains("policy=PASSIVE (set before libgomp loaded)", "env=PASSIVE", "nnpack_lines=0",
        "omp_wait_policy=PASSIVE (set before libgomp loaded)");
  }

  /** The child of {@link #freshProcessGetsPassiveOpenMpAndNoNnpackLines}. */
  static final class FreshProcess {
    public static void main(String[] args) {
      NativeLog.install();
      NativeLog.Mark mark = NativeLog.mark();
      new TorchProvider().probe(Device.CPU);
      System.out.println("policy=" + OpenMpWaitPolicy.state());
      String env = (String) com.sun.jna.NativeLibrary.getInstance("c").getFunction("getenv")
          .invoke(String.class, new Object[] {OpenMpWaitPolicy.VARIABLE});
      System.out.println("env=" + env);
      TfliteModel model = TfliteModel.read(Path.of(args[0]));
      try (Backend b = Backends.open(BackendKind.TORCH, new BackendSpec(model, null, Device.CPU,
          DeterminismConfig.DETERMINISTIC.withIntraOpThreads(1), BackendSpec.Purpose.LATENCY))) {
        PortBackend port = (PortBackend) b;
        Map<String, HostTensor> inputs = InputGenerator.inputs(model, 0, -1, 1, Map.of());
        port.run(inputs, false);
        port.run(inputs, false);
        System.out.println("omp_wait_policy=" + port.info().get("omp_wait_policy"));
      }
      long nnpack = NativeLog.since(mark).stream().filter(l -> l.contains("NNPACK")).count();
      System.out.println("nnpack_lines=" + nnpack);
    }
  }

  private static long minorFaults() throws IOException {
    String stat = Files.readString(Path.of("/proc/self/stat"));
    // fields after the command name in parentheses: state is the 3rd field, minflt the 10th
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[7]);
  }
}
