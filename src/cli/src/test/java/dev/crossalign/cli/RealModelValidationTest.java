package dev.crossalign.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.crossalign.testutil.TestModels;
import dev.crossalign.tflite.TfliteModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The whole path on real published models: validate --mode both exits 0, every op output of the model is compared in
 * both modes, rel_l2 <= 1e-5 isolated and <= 1e-4 chained. The oracle is the real TFLite interpreter.
 */
class RealModelValidationTest {
  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(
      strings = {
        "face_detection_short_range.tflite",
        "face_detection_full_range.tflite",
        "face_detection_full_range_sparse.tflite",
        "hand_landmark_lite.tflite",
        "hand_landmark_full.tflite",
        "pose_landmark_lite.tflite",
        "face_landmark.tflite",
        "palm_detection_lite.tflite",
        "hand_recrop.tflite",
        "object_detection_3d_camera.tflite"
      })
  void validatesEveryLayer(String file) throws Exception {
    Path model = TestModels.require(file);
    Path json = dir.resolve("report.json");
    CliTestSupport.Run r =
        CliTestSupport.run("validate", model.toString(), "--backends", "tflite,torch", "--mode", "both", "--json", json.toString(), "-q");
    assertThat(r.status()).as(r.out() + r.err()).isZero();
    JsonNode doc = new ObjectMapper().readTree(json.toFile());
    assertThat(doc.get("verdict").asText()).isEqualTo("aligned");
    assertThat(doc.get("unsupported")).isEmpty();
    Set<String> chained = new HashSet<>();
    Set<String> isolated = new HashSet<>();
    double worstIsolated = 0;
    double worstChained = 0;
    for (JsonNode t : doc.get("tensors")) {
      for (JsonNode c : t.get("comparisons")) {
        assertThat(c.get("status").asText()).as(t.get("name").asText()).isEqualTo("compared");
        double rel = c.get("rel_l2").asDouble();
        if (c.get("mode").asText().equals("isolated")) {
          isolated.add(t.get("name").asText());
          worstIsolated = Math.max(worstIsolated, rel);
        } else {
          chained.add(t.get("name").asText());
          worstChained = Math.max(worstChained, rel);
        }
      }
    }
    // every op output that runs at inference time (constant-folded weight ops aside) is compared in both modes
    TfliteModel m = TfliteModel.read(model);
    long runtimeOps =
        m.main().operators().stream()
            .filter(op -> op.builtin() != dev.crossalign.tflite.BuiltinOp.DEQUANTIZE && op.builtin() != dev.crossalign.tflite.BuiltinOp.DENSIFY)
            .mapToLong(op -> op.outputs().length)
            .sum();
    assertThat(isolated).hasSize((int) runtimeOps);
    assertThat(chained).containsAll(isolated);
    System.out.printf(java.util.Locale.ROOT, "VALIDATE-TABLE | %s | %.2e (%d) | %.2e (%d) |%n", file, worstChained,
        chained.size(), worstIsolated, isolated.size());
    assertThat(worstIsolated).as("worst isolated rel_l2").isLessThanOrEqualTo(1e-5);
    assertThat(worstChained).as("worst chained rel_l2").isLessThanOrEqualTo(1e-4);
  }

  @Test
  void sameSeedSameJsonExceptTiming() throws Exception {
    Path a = dir.resolve("a.json");
    Path b = dir.resolve("b.json");
    assertThat(CliTestSupport.run("validate", "--seed", "11", "--json", a.toString(), "-q").status()).isZero();
    assertThat(CliTestSupport.run("validate", "--seed", "11", "--json", b.toString(), "-q").status()).isZero();
    ObjectMapper om = new ObjectMapper();
    ObjectNode ja = (ObjectNode) om.readTree(a.toFile());
    ObjectNode jb = (ObjectNode) om.readTree(b.toFile());
    ja.remove("timing_ms");
    jb.remove("timing_ms");
    assertThat(om.writeValueAsString(ja)).isEqualTo(om.writeValueAsString(jb));
    // and the raw files differ at most in the timing block
    String ra = Files.readString(a).replaceAll("(?s)\"timing_ms\".*?\\}", "");
    String rb = Files.readString(b).replaceAll("(?s)\"timing_ms\".*?\\}", "");
    assertThat(ra).isEqualTo(rb);
  }

  @Test
  void demoShowsWhatNaivePaddingWouldCost() {
    CliTestSupport.Run r = CliTestSupport.run("validate");
    assertThat(r.status()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("PyTorch's naive padding=k//2 would be off by").contains("ALIGNED");
  }
}
