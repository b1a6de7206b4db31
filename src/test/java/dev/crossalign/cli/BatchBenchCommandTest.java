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
        "--mode", "chained");
    assertThat(r.status()).as(r.err()).isZero();
    assertThat(Files.readAllLines(out)).hasSize(2);
    assertThat(r.err()).contains("2 rows, 2 run, 0 skipped").contains("2 aligned, 0 crashed, 0 timed out, exit 0")
        .contains("2 workers, -Xmx").contains("peak RSS");

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
