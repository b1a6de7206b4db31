package dev.crossalign.port;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.crossalign.backend.Activations;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.engine.InputGenerator;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.testutil.TestModels;
import dev.crossalign.tflite.TfliteModel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Native memory of the torch port stays flat over many runs (every run's temporaries in a PointerScope). Measured in a
 * child JVM with a fixed, pre-touched heap so that Java heap growth does not read as native growth.
 */
class PortMemoryTest {
  static final int WARMUP = 30;
  static final int RUNS = 300;

  static final int SCRIPTED_RUNS = 1000;

  /**
   * Child: prints RSS before and after RUNS captured and isolated runs; with a second argument {@code torchscript},
   * SCRIPTED_RUNS chained runs through the compiled whole graph (every third with capture-all) after printing the path.
   */
  public static void main(String[] args) throws Exception {
    TfliteModel model = TfliteModel.read(Path.of(args[0]));
    Map<String, HostTensor> inputs = InputGenerator.inputs(model, 1, -1, 1, Map.of());
    if (args.length > 1 && args[1].equals("torchscript")) {
      try (PortBackend port = PortBackend.open(model, Device.CPU, DeterminismConfig.DETERMINISTIC)) {
        System.out.println("PATH=" + port.path().describe());
        for (int i = 0; i < WARMUP; i++) {
          port.run(inputs, i % 3 == 0);
        }
        System.gc();
        long before = rssKb();
        for (int i = 0; i < SCRIPTED_RUNS; i++) {
          port.run(inputs, i % 3 == 0);
        }
        System.gc();
        long after = rssKb();
        System.out.println("RSS_BEFORE_KB=" + before + " RSS_AFTER_KB=" + after);
      }
      return;
    }
    try (PortBackend port = PortBackend.open(model, Device.CPU, DeterminismConfig.DETERMINISTIC)) {
      Activations ref = port.run(inputs);
      for (int i = 0; i < WARMUP; i++) {
        port.run(inputs);
        port.runIsolated(ref);
      }
      System.gc();
      long before = rssKb();
      for (int i = 0; i < RUNS; i++) {
        port.run(inputs, i % 3 == 0);
        if (i % 10 == 0) {
          port.runIsolated(ref);
        }
      }
      System.gc();
      long after = rssKb();
      System.out.println("RSS_BEFORE_KB=" + before + " RSS_AFTER_KB=" + after);
    }
  }

  static long rssKb() throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IllegalStateException("no VmRSS");
  }

  @Test
  void isolatedRunFedThePortsOwnTensorsReproducesTheChainedRunBitForBit() {
    // the eager port's own chained tensors are NCHW: isolated mode must bring them back to TFLite axes before
    // feeding (the same lowerings run both ways, so bit for bit; the TorchScript path's convs differ in the last bits)
    TfliteModel model = TfliteModel.read(TestModels.require("face_detection_short_range.tflite"));
    Map<String, HostTensor> inputs = InputGenerator.inputs(model, 5, -1, 1, Map.of());
    try (PortBackend port = PortBackend.openEager(model, Device.CPU, DeterminismConfig.DETERMINISTIC)) {
      Activations chained = port.run(inputs);
      Activations isolated = port.runIsolated(chained);
      assertThat(isolated.size()).isEqualTo(90); // the 164 ops less 74 DEQUANTIZE folded at load
      for (var t : isolated.tensors()) {
        HostTensor a = chained.tensor(t.name());
        assertThat(t.tensor().data()).as(t.name()).isEqualTo(a.withLayout(t.tensor().layout()).data());
      }
    }
  }

  @Test
  void nativeMemoryIsFlatOverManyRuns() throws Exception {
    String out = child("face_detection_short_range.tflite", "mixed");
    long growthMb = growthMb(out);
    System.out.println("torch port native memory over " + RUNS + " runs: " + out.trim() + " -> growth " + growthMb + " MB");
    assertThat(growthMb).as("RSS growth in MB over %d runs", RUNS).isLessThan(40);
  }

  @Test
  void nativeMemoryIsFlatOverAThousandTorchScriptRuns() throws Exception {
    // the whole-graph path: one forward call per run, capture-all dicts every third run, all in the run's PointerScope
    String out = child("face_detection_short_range.tflite", "torchscript");
    assertThat(out).as("the runs took the TorchScript path").contains("PATH=torchscript");
    long growthMb = growthMb(out);
    System.out.println("torch port (TorchScript) native memory over " + SCRIPTED_RUNS + " runs: " + out.trim()
        + " -> growth " + growthMb + " MB");
    assertThat(growthMb).as("RSS growth in MB over %d runs", SCRIPTED_RUNS).isLessThan(40);
  }

  private static String child(String modelName, String mode) throws Exception {
    assumeTrue(Files.isReadable(Path.of("/proc/self/status")), "needs /proc/self/status (Linux) to read RSS");
    Path model = TestModels.require(modelName);
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(java, "-Xms768m", "-Xmx768m", "-XX:+AlwaysPreTouch", "-XX:+UseSerialGC",
            "-cp", System.getProperty("java.class.path"), PortMemoryTest.class.getName(), model.toString(), mode)
        .redirectErrorStream(true)
        .start();
    String out;
    try (var in = p.getInputStream()) {
      out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertThat(p.waitFor(600, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("child output:\n%s", out).isZero();
    return out;
  }

  private static long growthMb(String out) {
    Matcher m = Pattern.compile("RSS_BEFORE_KB=(\\d+) RSS_AFTER_KB=(\\d+)").matcher(out);
    assertThat(m.find()).as(out).isTrue();
    return (Long.parseLong(m.group(2)) - Long.parseLong(m.group(1))) >> 10;
  }
}
