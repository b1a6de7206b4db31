package dev.crossalign.engine.truth;

import dev.crossalign.align.TruthTable;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.crossalign.report.TruthHtmlReport;
import java.io.IOException;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The truth lab's views on a deliberately broken port (a symmetric pad where TFLite's SAME pads after; the broken
 * backend is the real TFLite interpreter on the broken model): the page names the first failing tensor and the
 * diagnosis, the bound overlay holds each tensor's factor as the lab computed it, the diagnosis overlay the label.
 */
class TruthViewsTest {
  static TruthLab.Result broken;

  @BeforeAll
  static void run() {
    broken = BrokenPortDiagnosisTest.result("wrong pad");
  }

  @Test
  void pageCarriesTheVerdictTheFirstFailureAndEveryBackendsFactor() {
    TruthHtmlReport.Page p = TruthViews.page(broken, "wrong-pad", true);
    assertThat(p.verdict()).isEqualTo("MISALIGNED");
    assertThat(p.firstFailing()).isEqualTo("y");
    assertThat(p.headline()).contains("first outside its bound: 'y'").contains("broken at ")
        .contains("diagnosis: symmetric SAME padding");
    assertThat(p.backends()).containsExactly("tflite", "torch", "broken");
    assertThat(p.tensors()).extracting(TruthHtmlReport.Tensor::name)
        .containsExactlyElementsOf(broken.rows().stream().map(TruthTable.Row::tensor).toList());
    TruthHtmlReport.Tensor y = p.tensors().stream().filter(t -> t.name().equals("y")).findFirst().orElseThrow();
    assertThat(y.pass()).isFalse();
    double failure = broken.auto().failures().stream().filter(f -> f.tensor().equals("y")).findFirst()
        .orElseThrow().factor();
    assertThat(y.cells()).filteredOn(c -> c.backend().equals("broken")).singleElement()
        .satisfies(c -> assertThat(c.boundFactor()).isEqualTo(failure).isGreaterThan(10));
    assertThat(y.cells()).filteredOn(c -> !c.backend().equals("broken"))
        .allSatisfy(c -> assertThat(c.boundFactor()).isLessThanOrEqualTo(1));
    String html = TruthHtmlReport.render(p);
    assertThat(html).contains("<h1>MISALIGNED</h1>").contains("symmetric SAME padding")
        .contains("<title>first failing: y</title>");
    assertThat(TruthViews.page(broken, "wrong-pad", false).verdict()).isEqualTo("REPORT");
  }

  @Test
  void boundOverlayFollowsModelExplorersSchemaAndTheLabsFactors() throws IOException {
    JsonNode root = new ObjectMapper().readTree(TruthViews.boundOverlay(broken));
    assertThat(root.fieldNames()).toIterable().containsExactly("results", "thresholds");
    JsonNode results = root.get("results");
    assertThat(results.fieldNames()).toIterable()
        .containsExactlyElementsOf(broken.rows().stream().map(TruthTable.Row::tensor).toList());
    for (TruthTable.Row row : broken.rows()) {
      JsonNode n = results.get(row.tensor());
      assertThat(n.fieldNames()).toIterable().allSatisfy(f -> assertThat(f).isIn("value", "bgColor", "textColor"));
      assertThat(n.get("value").isNumber()).isTrue();
      double worst = row.errors().stream().mapToDouble(TruthTable.BackendError::allowedFactor).max().orElse(0);
      assertThat(n.get("value").asDouble()).as(row.tensor()).isEqualTo(worst);
      assertThat(n.get("value").asDouble() <= 1).isEqualTo(row.pass());
    }
    assertThat(results.get("y").get("bgColor").asText()).isEqualTo(TruthViews.FIRST);
    assertThat(results.get("pre").has("bgColor")).isFalse();
    double last = Double.NEGATIVE_INFINITY;
    for (JsonNode t : root.get("thresholds")) {
      assertThat(t.get("value").asDouble()).isGreaterThan(last);
      last = t.get("value").asDouble();
      assertThat(t.get("bgColor").asText()).matches("#[0-9a-f]{6}");
    }
    assertThat(root.get("thresholds").get(0).get("value").asDouble()).isEqualTo(1.0);
  }

  @Test
  void diagnosisOverlayLabelsTheFailingTensorWithItsHypothesis() throws IOException {
    JsonNode root = new ObjectMapper().readTree(TruthViews.hypothesisOverlay(broken));
    assertThat(root.fieldNames()).toIterable().containsExactly("results");
    JsonNode results = root.get("results");
    assertThat(results.fieldNames()).toIterable().containsExactly("y");
    JsonNode y = results.get("y");
    assertThat(Set.of("value", "bgColor")).containsAll(() -> y.fieldNames());
    assertThat(y.get("value").asText()).startsWith("broken ").contains("x the bound: symmetric SAME padding (error ");
    assertThat(y.get("bgColor").asText()).isEqualTo(TruthViews.FAR);
  }
}
