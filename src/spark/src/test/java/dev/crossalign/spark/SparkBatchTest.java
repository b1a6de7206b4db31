package dev.crossalign.spark;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.crossalign.testutil.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The manifest as a Spark job in local mode (local[2], two partitions): one JSON line per row, written as text. */
class SparkBatchTest {
  @TempDir Path dir;

  @Test
  void localModeWritesOneResultPerRow() throws Exception {
    Path face = TestModels.require("face_detection_short_range.tflite");
    Files.writeString(dir.resolve("m.csv"), "model,seed,atol,rtol\n"
        + "demo,1,,\n"
        + face + ",2,,\n"
        + "missing.tflite,3,,\n"
        + "demo,4,0,0\n"
        + face + ",5,,\n");
    Path out = dir.resolve("out");
    SparkSession spark = SparkSession.builder().master("local[2]").appName("crossalign-test")
        .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2").getOrCreate();
    try {
      SparkBatch.run(spark, dir.resolve("m.csv"), out.toString(),
          SparkBatch.Settings.defaults(), 2);
    } finally {
      spark.stop();
    }
    List<String> lines = new ArrayList<>();
    try (Stream<Path> parts = Files.list(out)) {
      for (Path p : parts.filter(p -> p.getFileName().toString().startsWith("part-")).toList()) {
        lines.addAll(Files.readAllLines(p));
      }
    }
    assertThat(Files.exists(out.resolve("_SUCCESS"))).isTrue();
    ObjectMapper json = new ObjectMapper();
    Map<Integer, JsonNode> byRow = new TreeMap<>();
    for (String l : lines) {
      JsonNode n = json.readTree(l);
      assertThat(byRow.put(n.get("row").asInt(), n)).as("row %s written once", n.get("row")).isNull();
    }
    assertThat(byRow.keySet()).containsExactly(1, 2, 3, 4, 5);
    assertThat(byRow.get(1).get("verdict").asText()).isEqualTo("aligned");
    assertThat(byRow.get(2).get("verdict").asText()).isEqualTo("aligned");
    assertThat(byRow.get(2).get("tensors_compared").asInt()).isGreaterThan(100);
    assertThat(byRow.get(5).get("exit_status").asInt()).isZero();
    // a missing model is an input error (exit 2), recorded without stopping the job
    assertThat(byRow.get(3).get("exit_status").asInt()).isEqualTo(2);
    assertThat(byRow.get(3).get("error").asText()).contains("missing.tflite");
    // zero tolerance: float32 rounding between TFLite and libtorch shows in isolated mode (misaligned, exit 1)
    assertThat(byRow.get(4).get("exit_status").asInt()).isEqualTo(1);
    assertThat(byRow.get(4).get("max_rel_l2").asDouble()).isGreaterThan(0);
  }
}
