package dev.crossalign.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** truth --tolerance auto on the demo: a verdict with bounds, minimum tolerances and exit codes. */
class TruthAutoCommandTest {

  @Test
  void autoOnTheDemoIsAlignedWithBoundsAndMinimumTolerance() throws Exception {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int rc = Main.run(new PrintWriter(out), new PrintWriter(err), "truth", "--no-onnxruntime", "--tolerance", "auto",
        "--json", "-");
    assertThat(rc).as(err.toString()).isEqualTo(0);
    JsonNode root = new ObjectMapper().readTree(out.toString());
    assertThat(root.get("auto").get("aligned").asBoolean()).isTrue();
    assertThat(root.get("auto").get("bounded").asInt()).isEqualTo(root.get("rows").size());
    for (JsonNode row : root.get("rows")) {
      assertThat(row.get("bound").get("rule").asText()).isNotEmpty();
      assertThat(row.get("pass").asBoolean()).isTrue();
      for (JsonNode e : row.get("errors")) {
        assertThat(e.get("bound_factor").asDouble()).isLessThanOrEqualTo(1.0);
      }
    }
    // torch against tflite: the run's minimum atol is the largest per-tensor one
    JsonNode tol = root.get("min_tolerance").get(0);
    assertThat(tol.get("backend").asText()).isEqualTo("torch");
    double max = 0;
    for (JsonNode row : root.get("rows")) {
      for (JsonNode e : row.get("errors")) {
        if (e.get("backend").asText().equals("torch")) {
          max = Math.max(max, e.get("min_tolerance").get("atol").asDouble());
        }
      }
    }
    assertThat(tol.get("min_tolerance").get("atol").asDouble()).isEqualTo(max).isGreaterThan(0);
  }

  @Test
  void consoleSaysTheVerdictAndABadModeIsAUsageError() {
    StringWriter out = new StringWriter();
    int rc = Main.run(new PrintWriter(out), new PrintWriter(new StringWriter()), "truth", "--no-onnxruntime",
        "--tolerance", "auto");
    assertThat(rc).isEqualTo(0);
    assertThat(out.toString()).contains("--tolerance auto: ALIGNED, 17 op outputs")
        .contains("minimum fixed tolerance, torch against tflite: --atol ");
    StringWriter err = new StringWriter();
    int bad = Main.run(new PrintWriter(new StringWriter()), new PrintWriter(err), "truth", "--tolerance", "loose");
    assertThat(bad).isEqualTo(2);
    assertThat(err.toString().strip()).contains("Invalid value for option '--tolerance': expected report or auto, got 'loose'").doesNotContain("\n");
  }
}
