package dev.crossalign.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.crossalign.testutil.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeterminismCommandTest {
  @TempDir Path dir;

  @Test
  void everyBackendIsBitwiseIdenticalOnCpu() throws Exception {
    Path model = TestModels.require("face_detection_short_range.tflite");
    Path json = dir.resolve("d.json");
    CliTestSupport.Run r = CliTestSupport.run("determinism", model.toString(), "--repeat", "5",
        "--backends", "tflite,torch,onnxruntime", "--json", json.toString());
    assertThat(r.status()).as(r.out() + r.err()).isZero();
    JsonNode doc = new ObjectMapper().readTree(json.toFile());
    assertThat(doc.get("backends")).hasSize(3);
    for (JsonNode b : doc.get("backends")) {
      assertThat(b.get("runs").asInt()).isEqualTo(5);
      assertThat(b.get("bitwise_identical").asBoolean()).as(b.get("name").asText()).isTrue();
      assertThat(b.get("tensors_compared").asInt()).isGreaterThan(50);
    }
    assertThat(doc.get("config").get("cudnn_deterministic").asText()).isEqualTo("true");
    assertThat(doc.get("config").get("tflite.version").asText()).isEqualTo("2.20.0");
  }

  @Test
  void profileFilesAreCheckedStrictly() throws Exception {
    Path bad = Files.writeString(dir.resolve("p.properties"), "cudnn_determinstic=true\n");
    CliTestSupport.Run r = CliTestSupport.run("determinism", "--profile", bad.toString());
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err()).contains("unknown key 'cudnn_determinstic'");
    assertThat(CliTestSupport.run("determinism", "--profile", "nope").status()).isEqualTo(2);
    assertThat(CliTestSupport.run("determinism", "--repeat", "1").status()).isEqualTo(2);
  }

  @Test
  void comparingProfilesReportsWhatChanged() {
    CliTestSupport.Run r = CliTestSupport.run("determinism", "--repeat", "2", "--compare-profile", "tf32-default");
    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out()).contains("profile deterministic -> tf32-default:");
  }
}
