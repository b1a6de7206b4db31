package dev.crossalign.engine.truth;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.crossalign.align.Aligner;
import dev.crossalign.align.AlignmentResult;
import dev.crossalign.align.Mode;
import dev.crossalign.align.Tolerance;
import dev.crossalign.align.Verdict;
import dev.crossalign.backend.Activations;
import dev.crossalign.report.HtmlReport;
import dev.crossalign.report.JsonReport;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A failing float64 truth in validate's reports: the "wrong pad" broken port of {@link BrokenPortDiagnosisTest}
 * (its broken twin run by the real TFLite interpreter) attached to a result whose fixed comparison passes. The JSON's
 * truth is MISALIGNED at 'y' by the broken backend with the symmetric-pad hypothesis ranked first and explaining,
 * TFLite and the port within their bounds; under auto the deciding verdict is the truth's, under --truth the fixed
 * one; the HTML shows the diagnosis.
 */
class TruthInValidateReportsTest {

  @Test
  void aDiagnosedFailureReachesTheJsonAndHtmlReports() throws Exception {
    TruthLab.Result broken = BrokenPortDiagnosisTest.result("wrong pad");
    HostTensor v = HostTensor.ofFloats(new int[] {2}, Layout.ANY, new float[] {1, 2});
    Activations a = Activations.builder("tflite").add("y", "CONV_2D", 0, v).output("y").build();
    AlignmentResult fixed = AlignmentResult.of("wrong-pad", "cpu", 0, Tolerance.DEFAULT, List.of("tflite", "torch"),
        Aligner.compare(a, a, Mode.ISOLATED, Tolerance.DEFAULT), List.of(), List.of(), Map.of(), Map.of());
    assertThat(fixed.verdict()).isEqualTo(Verdict.ALIGNED);
    assertThat(fixed.decidingVerdict()).isEqualTo(Verdict.ALIGNED);
    assertThat(fixed.withTruth(broken.table(), false, 1).decidingVerdict()).isEqualTo(Verdict.ALIGNED);
    AlignmentResult auto = fixed.withTruth(broken.table(), true, 1);
    assertThat(auto.decidingVerdict()).isEqualTo(Verdict.MISALIGNED);

    JsonNode t = new ObjectMapper().readTree(JsonReport.toJson(auto)).get("truth");
    assertThat(t.get("decides").asBoolean()).isTrue();
    assertThat(t.get("verdict").asText()).isEqualTo("misaligned");
    assertThat(t.get("first_failure").get("tensor").asText()).isEqualTo("y");
    assertThat(t.get("first_failure").get("backend").asText()).isEqualTo("broken");
    assertThat(t.get("first_failure").get("factor").asDouble()).isGreaterThan(10);
    JsonNode y = null;
    for (JsonNode row : t.get("tensors")) {
      if (row.get("name").asText().equals("y")) {
        y = row;
      } else {
        assertThat(row.get("pass").asBoolean()).as(row.get("name").asText()).isTrue();
        assertThat(row.get("diagnoses")).isEmpty();
      }
    }
    assertThat(y).isNotNull();
    assertThat(y.get("pass").asBoolean()).isFalse();
    assertThat(y.get("bound").get("rule").asText()).isEqualTo("accumulation");
    for (JsonNode e : y.get("errors")) {
      boolean isBroken = e.get("backend").asText().equals("broken");
      assertThat(e.get("within").asBoolean()).as(e.get("backend").asText()).isEqualTo(!isBroken);
    }
    JsonNode d = y.get("diagnoses");
    assertThat(d).hasSize(1);
    assertThat(d.get(0).get("backend").asText()).isEqualTo("broken");
    JsonNode first = d.get(0).get("hypotheses").get(0);
    assertThat(first.get("name").asText()).isEqualTo("symmetric SAME padding");
    assertThat(first.get("explains").asBoolean()).isTrue();
    assertThat(first.get("error_after").asDouble()).isLessThan(first.get("error_before").asDouble() / 1000);

    String page = HtmlReport.render(auto);
    assertThat(page).contains("Float64 truth: MISALIGNED under the derived bounds", "first outside: &#39;y&#39;",
        "decides the exit status (--tolerance auto)", "symmetric SAME padding", "EXPLAINS");
  }
}
