package dev.crossalign.backend.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.crossalign.backend.Activations;
import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.onnx.OnnxModel;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Native memory stays flat over many captured runs: every OnnxTensor and Result is closed. Leaking the fetched
 * tensors of this graph would cost ~3 MB per run, ~600 MB over the measured runs.
 *
 * <p>The runs happen in a child JVM whose heap is fixed and pre-touched (-Xms = -Xmx, AlwaysPreTouch), so that its RSS
 * moves only with native memory; in the test JVM the heap's own growth would drown the signal.
 */
class OrtBackendMemoryTest {
  static final int C = 16;
  static final int HW = 64;
  static final int LAYERS = 6;
  static final int WARMUP = 30;
  static final int RUNS = 200;

  static OnnxModel midSize() {
    Random r = new Random(7);
    OnnxGraphBuilder b = new OnnxGraphBuilder("mid").addInput("x", DType.FLOAT32, new int[] {1, C, HW, HW});
    String prev = "x";
    for (int l = 0; l < LAYERS; l++) {
      float[] w = new float[C * C * 9];
      for (int i = 0; i < w.length; i++) {
        w[i] = (float) (r.nextGaussian() * 0.08);
      }
      b.addInitializer("w" + l, HostTensor.ofFloats(new int[] {C, C, 3, 3}, Layout.ANY, w));
      b.addNode("Conv", List.of(prev, "w" + l), List.of("conv" + l), OnnxGraphBuilder.attrs()
          .putInts("kernel_shape", 3, 3).putInts("pads", 1, 1, 1, 1));
      b.addNode("Relu", List.of("conv" + l), List.of("relu" + l));
      prev = "relu" + l;
    }
    return b.addOutput(prev, DType.FLOAT32, null).build();
  }

  static long rssKb() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }

  /** The child: warm up, then RUNS captured runs; prints RSS before and after. */
  public static void main(String[] args) throws IOException {
    float[] x = new float[C * HW * HW];
    for (int i = 0; i < x.length; i++) {
      x[i] = (i % 97) / 97f - 0.5f;
    }
    Map<String, HostTensor> feeds = Map.of("x", HostTensor.ofFloats(new int[] {1, C, HW, HW}, Layout.NCHW, x));
    try (OrtBackend b = OrtBackend.open(midSize(), OrtOptions.DEFAULT)) {
      for (int i = 0; i < WARMUP; i++) {
        b.run(feeds);
      }
      System.gc();
      long before = rssKb();
      int captured = 0;
      for (int i = 0; i < RUNS; i++) {
        Activations a = b.run(feeds);
        captured = a.size();
      }
      System.gc();
      long after = rssKb();
      System.out.println("RSS_BEFORE_KB=" + before + " RSS_AFTER_KB=" + after + " CAPTURED=" + captured);
    }
  }

  @Test
  void nativeMemoryIsFlatOver200CapturedRuns() throws Exception {
    assumeTrue(Files.isReadable(Path.of("/proc/self/status")), "needs /proc/self/status (Linux) to read RSS");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(java, "-Xms512m", "-Xmx512m", "-XX:+AlwaysPreTouch", "-XX:+UseSerialGC",
        "-cp", System.getProperty("java.class.path"), OrtBackendMemoryTest.class.getName())
        .redirectErrorStream(true)
        .start();
    String out;
    try (var in = p.getInputStream()) {
      out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertThat(p.waitFor(300, TimeUnit.SECONDS)).as("child finished").isTrue();
    assertThat(p.exitValue()).as("child exit status; output:\n%s", out).isZero();
    Matcher m = Pattern.compile("RSS_BEFORE_KB=(\\d+) RSS_AFTER_KB=(\\d+) CAPTURED=(\\d+)").matcher(out);
    assertThat(m.find()).as("child output:\n%s", out).isTrue();
    long growthMb = (Long.parseLong(m.group(2)) - Long.parseLong(m.group(1))) >> 10;
    System.out.println("ORT native memory: " + out.trim() + " -> growth " + growthMb + " MB over " + RUNS + " runs");
    assertThat(Integer.parseInt(m.group(3))).isEqualTo(1 + 2 * LAYERS);
    assertThat(growthMb).as("RSS growth in MB over %d captured runs", RUNS).isLessThan(50);
  }
}
