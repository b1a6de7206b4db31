package dev.crossalign.engine.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.crossalign.testutil.TestModels;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The batch at scale, in child JVMs (fixed, pre-touched heap so that only native and non-heap growth shows in the
 * peak RSS): 300 rows over the demo model and the short-range face detector with 2 workers all aligned, with a peak
 * RSS at most 1.3x that of 30 rows (every fifth row the face detector, chained mode to keep the run short); and a batch killed mid-way then resumed writes every row exactly once.
 */
class BatchScaleTest {
  /** Heap fixed and touched at start: heap use per row cannot grow the RSS. */
  private static final List<String> HEAP = List.of("-Xms768m", "-Xmx768m", "-XX:+AlwaysPreTouch");

  @TempDir Path dir;

  private static BatchOptions chained() {
    BatchOptions d = BatchOptions.defaults();
    return d.withMode(dev.crossalign.engine.ValidationRequest.RunMode.CHAINED);
  }

  private static void assumeLinux() {
    assumeTrue(Files.isReadable(Path.of("/proc/self/status")), "peak RSS is read from /proc/self/status (Linux only)");
  }

  private Path manifest(String name, int rows, Path realModel) throws IOException {
    StringBuilder sb = new StringBuilder("model,seed\n");
    for (int i = 0; i < rows; i++) {
      sb.append(i % 5 != 4 || realModel == null ? "demo" : realModel.toString()).append(',').append(1000 + i)
          .append('\n');
    }
    Path p = dir.resolve(name);
    Files.writeString(p, sb.toString());
    return p;
  }

  private static ProcessBuilder child(Path manifest, Path out, int workers) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(HEAP);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(BatchChild.class.getName());
    cmd.add(manifest.toString());
    cmd.add(out.toString());
    cmd.add(Integer.toString(workers));
    cmd.add("chained"); // half the work of "both": the rows' memory behaviour is the same
    return new ProcessBuilder(cmd).redirectErrorStream(true);
  }

  /** Runs a child to the end; returns its stdout's VmHWM in kB. */
  private long runChild(Path manifest, Path out, int rows) throws Exception {
    Path log = dir.resolve(out.getFileName() + ".log");
    Process p = child(manifest, out, 2).redirectOutput(log.toFile()).start();
    assertThat(p.waitFor(10, TimeUnit.MINUTES)).as("child batch finished").isTrue();
    String text = Files.readString(log);
    assertThat(p.exitValue()).as(text).isZero();
    assertThat(text).contains("SUMMARY " + rows + " " + rows + " " + rows + " 0");
    String hwm = text.lines().filter(l -> l.startsWith("VmHWM_KB ")).findFirst().orElseThrow();
    return Long.parseLong(hwm.substring("VmHWM_KB ".length()).trim());
  }

  private static Map<Integer, Integer> rowCounts(Path out) throws IOException {
    Map<Integer, Integer> counts = new HashMap<>();
    for (String line : Files.readAllLines(out, StandardCharsets.UTF_8)) {
      RowResult r = RowResult.parse(line);
      counts.merge(r.row(), 1, Integer::sum);
      assertThat(r.exitStatus()).as(line).isZero();
      assertThat(r.verdict()).isEqualTo("aligned");
      assertThat(r.tensorsCompared()).isPositive();
    }
    return counts;
  }

  @Test
  void threeHundredRowsAlignedWithFlatPeakRss() throws Exception {
    assumeLinux();
    Path face = TestModels.require("face_detection_short_range.tflite");
    Path small = manifest("m30.csv", 30, face);
    Path big = manifest("m300.csv", 300, face);
    long hwm30 = runChild(small, dir.resolve("o30.jsonl"), 30);
    long hwm300 = runChild(big, dir.resolve("o300.jsonl"), 300);
    Map<Integer, Integer> counts = rowCounts(dir.resolve("o300.jsonl"));
    assertThat(counts).hasSize(300);
    assertThat(counts.values()).allMatch(c -> c == 1);
    System.out.printf("batch peak RSS: 30 rows %d kB, 300 rows %d kB (%.3fx)%n", hwm30, hwm300,
        (double) hwm300 / hwm30);
    assertThat((double) hwm300).as("peak RSS of 300 rows vs 30 rows (kB)").isLessThanOrEqualTo(1.3 * hwm30);
  }

  @Test
  void killedBatchResumesWritingEveryRowOnce() throws Exception {
    int rows = 24;
    Path m = manifest("kill.csv", rows, null);
    Path out = dir.resolve("kill.jsonl");
    Process p = child(m, out, 2).redirectOutput(dir.resolve("kill.log").toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    int seen = 0;
    while (System.nanoTime() < deadline && p.isAlive()) {
      seen = Files.exists(out) ? Files.readAllLines(out).size() : 0;
      if (seen >= 4) {
        break;
      }
      Thread.sleep(50);
    }
    assertThat(p.isAlive()).as("the child is still running when killed (it had written %d lines)", seen).isTrue();
    p.destroyForcibly();
    p.waitFor(1, TimeUnit.MINUTES);
    int before = Files.readAllLines(out).size();
    assertThat(before).isBetween(4, rows - 1);

    BatchRunner.Summary s = BatchRunner.run(Manifest.read(m), chained(), 2, out, true, null);
    assertThat(s.skipped()).isEqualTo(before);
    assertThat(s.ran()).isEqualTo(rows - before);
    assertThat(s.exitStatus()).isZero();
    Map<Integer, Integer> counts = rowCounts(out);
    assertThat(counts).hasSize(rows);
    assertThat(counts.values()).allMatch(c -> c == 1);

    // A second resume has nothing left to do and writes nothing.
    long size = Files.size(out);
    BatchRunner.Summary again = BatchRunner.run(Manifest.read(m), chained(), 2, out, true, null);
    assertThat(again.ran()).isZero();
    assertThat(Files.size(out)).isEqualTo(size);
    assertThat(new File(out.toString()).length()).isEqualTo(size);
  }
}
