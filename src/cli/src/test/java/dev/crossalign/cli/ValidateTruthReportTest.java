package dev.crossalign.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * validate --truth and --tolerance auto write the float64 truth into validate's own reports (issue 13): the JSON's
 * "truth" member in its documented key order, a bound and each backend's error per op output, and the HTML's truth
 * sections. With --atol 0 --rtol 0 the fixed verdict is MISALIGNED: under --truth it still decides (exit 1), under
 * --tolerance auto the truth does (exit 0). The minimum tolerance is checked against an independent path: the fixed
 * comparison's own max_abs of the same isolated tensor pair (Metrics), which it must equal.
 */
class ValidateTruthReportTest {
  @TempDir Path dir;

  private static final String[] STRICT = {"validate", "--backends", "tflite,torch,onnxruntime", "--mode", "isolated",
      "--atol", "0", "--rtol", "0"};

  @Test
  void truthInTheReportsWhileTheFixedToleranceDecides() throws Exception {
    Path json = dir.resolve("r.json");
    Path html = dir.resolve("r.html");
    CliTestSupport.Run r = CliTestSupport.run(args("--truth", "--json", json.toString(), "--html", html.toString()));
    assertThat(r.status()).as(r.out() + r.err()).isEqualTo(1);
    assertThat(r.out()).contains("float64 truth (--truth, not the exit status): ALIGNED");
    JsonNode doc = new ObjectMapper().readTree(json.toFile());
    assertThat(doc.get("verdict").asText()).isEqualTo("misaligned");
    JsonNode t = doc.get("truth");
    assertThat(names(t)).containsExactly("decides", "verdict", "bounded", "unbounded", "first_failure", "failures",
        "backends", "min_tolerance", "tensors", "notes");
    assertThat(t.get("decides").asBoolean()).isFalse();
    assertThat(t.get("verdict").asText()).isEqualTo("aligned");
    assertThat(t.get("bounded").asInt()).isEqualTo(17);
    assertThat(t.get("first_failure").isNull()).isTrue();
    assertThat(t.get("tensors")).hasSize(17);
    assertThat(doc.get("timing_ms").has("truth")).isTrue();

    // the fixed comparisons' max_abs per (tensor, candidate), isolated: an independent computation (Metrics)
    Map<String, Double> maxAbs = new HashMap<>();
    for (JsonNode tensor : doc.get("tensors")) {
      for (JsonNode c : tensor.get("comparisons")) {
        if (c.get("mode").asText().equals("isolated") && c.get("pair").asText().startsWith("tflite~")) {
          maxAbs.put(tensor.get("name").asText() + "/" + c.get("pair").asText().substring(7),
              c.get("max_abs").asDouble());
        }
      }
    }
    int checked = 0;
    for (JsonNode row : t.get("tensors")) {
      assertThat(names(row)).containsExactly("name", "op", "shape", "measure", "floor", "bound", "furthest", "pass",
          "errors", "diagnoses");
      assertThat(row.get("bound").isNull()).as(row.get("name").asText()).isFalse();
      assertThat(row.get("pass").asBoolean()).isTrue();
      assertThat(row.get("diagnoses")).isEmpty();
      List<String> backends = new ArrayList<>();
      for (JsonNode e : row.get("errors")) {
        backends.add(e.get("backend").asText());
        assertThat(names(e)).containsExactly("backend", "error", "max_abs", "rel_l2", "max_rel_err",
            "scaled_max_abs", "worst_index", "truth_at", "value_at", "floor_factor", "bound_factor", "allowed_factor",
            "allowance", "within", "min_tolerance");
        assertThat(e.get("allowed_factor").asDouble()).isBetween(0.0, 1.0);
        assertThat(e.get("within").asBoolean()).isTrue();
        Double fixed = maxAbs.get(row.get("name").asText() + "/" + e.get("backend").asText());
        if (fixed != null) {
          assertThat(e.get("min_tolerance").get("abs_atol").asDouble()).as(row.get("name") + " " + e.get("backend"))
              .isEqualTo(fixed);
          checked++;
        }
      }
      assertThat(backends).containsExactly("tflite", "torch", "onnxruntime");
    }
    assertThat(checked).as("min tolerances checked against the fixed comparison").isEqualTo(34);

    String page = Files.readString(html);
    assertThat(page).contains("id=\"truth\"", "id=\"truth-tensors\"", "id=\"truth-diagnoses\"",
        "Float64 truth: ALIGNED under the derived bounds (17 op outputs bounded)");
    assertThat(page).doesNotContain("decides the exit status");
  }

  @Test
  void underAutoTheTruthDecides() throws Exception {
    Path json = dir.resolve("auto.json");
    CliTestSupport.Run r = CliTestSupport.run(args("--tolerance", "auto", "--json", json.toString(), "-q"));
    assertThat(r.status()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("--tolerance auto: ALIGNED");
    JsonNode doc = new ObjectMapper().readTree(json.toFile());
    assertThat(doc.get("verdict").asText()).as("the fixed verdict, as the tolerance member says").isEqualTo(
        "misaligned");
    assertThat(doc.get("truth").get("decides").asBoolean()).isTrue();
    assertThat(doc.get("truth").get("verdict").asText()).isEqualTo("aligned");
  }

  private static String[] args(String... more) {
    List<String> a = new ArrayList<>(List.of(STRICT));
    a.addAll(List.of(more));
    return a.toArray(String[]::new);
  }

  private static List<String> names(JsonNode n) {
    List<String> out = new ArrayList<>();
    n.fieldNames().forEachRemaining(out::add);
    return out;
  }
}
