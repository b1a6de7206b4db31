package dev.crossalign.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BatchBenchCommandTest {
  @TempDir Path dir;

  @Test
  void batchWritesLinesResumesAndExitsWithTheWorstRow() throws Exception {
    Path m = dir.resolve("m.csv");
    Files.writeString(m, "model,seed\ndemo,1\ndemo,2\n");
    Path out = dir.resolve("o.jsonl");
    CliTestSupport.Run r = CliTestSupport.run("batch", m.toString(), "--workers", "2", "--jsonl", out.toString(),
        "--mode", "chained", "--max-memory", "3g");
    assertThat(r.status()).as(r.err()).isZero();
    assertThat(Files.readAllLines(out)).hasSize(2);
    assertThat(r.err()).contains("2 rows, 2 run, 0 skipped").contains("2 aligned, 0 crashed, 0 timed out, exit 0")
        .contains("2 workers, -Xmx").contains("budget 3072 MiB").contains("0 recycled");
    java.util.regex.Matcher rss = java.util.regex.Pattern
        .compile("peak RSS (\\d+) MiB per worker, (\\d+) MiB together").matcher(r.err());
    assertThat(rss.find()).as(r.err()).isTrue();
    long worker = Long.parseLong(rss.group(1));
    long together = Long.parseLong(rss.group(2));
    // a worker JVM with TFLite and libtorch loaded is tens of MiB at least, and under the cap; together (the batch's
    // JVM and both workers, sampled at one moment) more than one worker's sampled share and at most what the three
    // processes' peaks add up to. The batch's JVM is this test JVM here, which earlier tests grew past the 200 MiB a
    // real batch process is budgeted, so the cap itself does not bound "together" in-process (it does for the app)
    assertThat(worker).isBetween(20L, 3072L);
    assertThat(together).isGreaterThan(worker / 2).isLessThanOrEqualTo(ownPeakMib() + 2 * worker + 64);
    // the rate line: 2 rows over the minutes printed, and no tenths for 2 rows
    java.util.regex.Matcher rate = java.util.regex.Pattern
        .compile("crossalign batch: 2 rows run in ([0-9.]+) min, ([0-9.]+) rows/min").matcher(r.err());
    assertThat(rate.find()).as(r.err()).isTrue();
    double minutes = Double.parseDouble(rate.group(1)); // printed to 0.005 min
    assertThat(Double.parseDouble(rate.group(2))).isBetween(2 / (minutes + 0.005) - 0.01, 2 / (minutes - 0.005) + 0.01);
    assertThat(r.err()).doesNotContain("tenth");
    for (String line : Files.readAllLines(out)) {
      assertThat(new ObjectMapper().readTree(line).path("cpu_ms").asDouble()).as(line).isPositive();
    }

    Files.writeString(m, "model,seed\ndemo,1\ndemo,2\nnothere.tflite,3\n");
    CliTestSupport.Run again = CliTestSupport.run("batch", m.toString(), "--jsonl", out.toString(), "--resume");
    assertThat(again.status()).isEqualTo(2);
    assertThat(again.err()).contains("3 rows, 1 run, 2 skipped");
    List<String> lines = Files.readAllLines(out);
    assertThat(lines).hasSize(3);
    JsonNode last = new ObjectMapper().readTree(lines.get(2));
    assertThat(last.get("row").asInt()).isEqualTo(3);
    assertThat(last.get("exit_status").asInt()).isEqualTo(2);
    assertThat(last.get("error").asText()).contains("nothere.tflite");
  }

  /** This JVM's peak resident set (VmHWM of /proc/self/status), in MiB. */
  private static long ownPeakMib() throws java.io.IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmHWM:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
      }
    }
    throw new AssertionError("no VmHWM in /proc/self/status");
  }

  @Test
  void summaryNamesEveryRowNotAlignedAndLinesUseValidatesFieldNames() throws Exception {
    // a custom op TFLite has no kernel for: the row is incomplete (exit 3)
    dev.crossalign.tflite.TfliteWriter w = new dev.crossalign.tflite.TfliteWriter();
    int x = w.input("x", dev.crossalign.tflite.TensorType.FLOAT32, 1, 4);
    int c = w.tensor("c", dev.crossalign.tflite.TensorType.FLOAT32, 1, 4);
    w.custom("MyCustom", new int[] {x}, new int[] {c}, null);
    w.outputs(c);
    Files.write(dir.resolve("custom.tflite"), w.build());
    Path m = dir.resolve("m.csv");
    // row 4: no tolerance at all in isolated mode, where float32 rounding of two implementations differs
    Files.writeString(m, "model,seed,atol,rtol\ndemo,1,,\ncustom.tflite,0,,\nnothere.tflite,0,,\ndemo,2,1e-30,0\n");
    Path out = dir.resolve("o.jsonl");
    CliTestSupport.Run r = CliTestSupport.run("batch", m.toString(), "--jsonl", out.toString(), "--mode", "isolated",
        "--chained-rel-l2", "-1");
    assertThat(r.status()).as(r.err()).isEqualTo(3);
    List<String> lines = Files.readAllLines(out);
    ObjectMapper json = new ObjectMapper();
    java.util.Map<Integer, JsonNode> byRow = new java.util.HashMap<>();
    for (String l : lines) {
      JsonNode n = json.readTree(l);
      byRow.put(n.get("row").asInt(), n);
    }
    JsonNode custom = byRow.get(2);
    assertThat(custom.get("verdict").asText()).isEqualTo("incomplete");
    assertThat(custom.get("unsupported").get(0).get("op").asText()).isEqualTo("MyCustom");
    JsonNode mis = byRow.get(4);
    assertThat(mis.get("verdict").asText()).isEqualTo("misaligned");
    String tensor = mis.get("first_divergence").get("tensor").asText();
    assertThat(tensor).isNotEmpty();
    assertThat(mis.get("first_divergence").has("name")).isFalse();
    assertThat(byRow.get(1).get("unsupported")).isEmpty();
    // the summary names rows 2, 3 and 4 with their reasons, and not row 1
    // the custom op's output is a model output with no true reference value: a missing comparison, named as the
    // first divergence
    assertThat(r.err()).contains("3 row(s) not aligned:")
        .contains("  row 2 (" + dir.resolve("custom.tflite") + ", seed 0): incomplete at 'c' (tflite~torch isolated);"
            + " unsupported MyCustom x1 (custom op MyCustom has no kernel in the TFLite reference")
        .contains("  row 3 (" + dir.resolve("nothere.tflite") + ", seed 0): error (exit 2): ")
        .contains("  row 4 (demo, seed 2): misaligned at '" + tensor + "' (tflite~torch isolated)")
        .doesNotContain("  row 1 ");
    // --resume reads the reasons back from the file
    CliTestSupport.Run again = CliTestSupport.run("batch", m.toString(), "--jsonl", out.toString(), "--resume");
    assertThat(again.err()).contains("4 rows, 0 run, 4 skipped")
        .contains("  row 2 (" + dir.resolve("custom.tflite") + ", seed 0): incomplete at 'c'")
        .contains("  row 4 (demo, seed 2): misaligned at '" + tensor + "'");
  }

  @Test
  void batchToStdoutAndUsageErrors() throws Exception {
    Path m = dir.resolve("m.csv");
    Files.writeString(m, "model,seed\ndemo,3\n");
    CliTestSupport.Run r = CliTestSupport.run("batch", m.toString(), "--mode", "chained");
    assertThat(r.status()).isZero();
    JsonNode n = new ObjectMapper().readTree(r.out().strip());
    assertThat(n.get("verdict").asText()).isEqualTo("aligned");
    assertThat(n.get("seed").asLong()).isEqualTo(3);
    assertThat(CliTestSupport.run("batch", m.toString(), "--resume").err()).contains("--resume needs --jsonl");
    assertThat(CliTestSupport.run("batch", m.toString(), "--resume").status()).isEqualTo(2);
    assertThat(CliTestSupport.run("batch", dir.resolve("none.csv").toString()).status()).isEqualTo(2);
    assertThat(CliTestSupport.run("batch", m.toString(), "--workers", "-1").status()).isEqualTo(2);
    assertThat(CliTestSupport.run("batch", m.toString(), "--max-memory", "lots").err()).contains("--max-memory");
    assertThat(CliTestSupport.run("batch", m.toString(), "--isolation", "fork").err()).contains("--isolation");
    assertThat(CliTestSupport.run("batch", m.toString(), "--retry-crashed").err()).contains("needs --resume");
    assertThat(CliTestSupport.run("batch", m.toString(), "--row-timeout", "0").status()).isEqualTo(2);
    // a budget too small for one worker: refused before anything runs
    CliTestSupport.Run small = CliTestSupport.run("batch", m.toString(), "--max-memory", "10m");
    assertThat(small.status()).isEqualTo(2);
    assertThat(small.err()).contains("one worker needs about").contains("--max-memory");
    // a cap above the machine's memory caps nothing: refused in one line
    CliTestSupport.Run huge = CliTestSupport.run("batch", m.toString(), "--max-memory", "1000t");
    assertThat(huge.status()).isEqualTo(2);
    assertThat(huge.err().strip()).contains("is more than this machine's memory").doesNotContain("\n");
  }

  @Test
  void benchPrintsATableAndWritesJson() throws Exception {
    Path json = dir.resolve("b.json");
    CliTestSupport.Run r = CliTestSupport.run("bench", "--backends", "tflite-xnnpack,torch", "--warmup", "1",
        "--runs", "3", "--profile-ops", "--json", json.toString());
    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out()).contains("tflite-xnnpack").contains("torch").contains("CONV_2D").contains("slowest ops");
    JsonNode n = new ObjectMapper().readTree(json.toFile());
    assertThat(n.get("backends")).hasSize(2);
    assertThat(n.get("backends").get(0).get("runs").asInt()).isEqualTo(3);
    assertThat(n.get("ratios").get("torch").asDouble())
        .isEqualTo(n.get("backends").get(1).get("median_ms").asDouble()
            / n.get("backends").get(0).get("median_ms").asDouble());
    assertThat(CliTestSupport.run("bench", "--backends", "tflite,nope").status()).isEqualTo(2);
  }
}
