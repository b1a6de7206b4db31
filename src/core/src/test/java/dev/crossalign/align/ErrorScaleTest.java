package dev.crossalign.align;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.report.ConsoleReport;
import dev.crossalign.report.JUnitReport;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The one rule for numerically zero references, and every report that applies it. */
class ErrorScaleTest {
  static Comparison cmp(String name, float[] ref, float[] cand) {
    Metrics m = Metrics.of(HostTensor.ofFloats(new int[] {ref.length}, Layout.ANY, ref),
        HostTensor.ofFloats(new int[] {cand.length}, Layout.ANY, cand), Tolerance.DEFAULT);
    return new Comparison(name, "OP", 0, List.of(ref.length), "tflite~torch", Mode.CHAINED, m,
        Comparison.Status.COMPARED, null, null);
  }

  // the case: a sigmoid flag whose reference is 2.3e-16 and candidate 0 (rel_l2 1, cosine 0, passes)
  static final Comparison FLAG = cmp("flag", new float[] {2.3e-16f}, new float[] {0f});
  // a real tensor 3.9e-05 off in rel_l2: (3, 4) against (3, 4.000195): ||d|| / ||ref|| = 1.95e-4 / 5
  static final Comparison REAL = cmp("real", new float[] {3f, 4f}, new float[] {3f, 4.000195f});

  @Test
  void relL2SaysNothingOnAZeroReferenceSoMaxAbsRanks() {
    assertThat(FLAG.metrics().relL2()).isEqualTo(1.0);
    assertThat(FLAG.metrics().pass()).isTrue();
    assertThat(ErrorScale.zeroReference(FLAG.metrics())).isTrue();
    assertThat(ErrorScale.error(FLAG.metrics())).isEqualTo((double) 2.3e-16f);
    assertThat(ErrorScale.zeroReference(REAL.metrics())).isFalse();
    double rel = Math.abs(4.000195f - 4.0) / 5.0;
    assertThat(ErrorScale.error(REAL.metrics())).isCloseTo(rel, org.assertj.core.data.Offset.offset(1e-12));
    assertThat(ErrorScale.errorName(FLAG.metrics())).isEqualTo("max_abs (zero reference)");
  }

  @Test
  void consoleRanksTheRealTensorFirstAndSaysWhy() {
    AlignmentResult r = AlignmentResult.of("m", "cpu", 0, Tolerance.DEFAULT, List.of("tflite", "torch"),
        List.of(FLAG, REAL), List.of(), List.of(), Map.of(), Map.of());
    assertThat(r.worstFirst()).containsExactly(REAL, FLAG);
    String text = ConsoleReport.render(r, 10);
    assertThat(text).contains("Largest difference: 'real'");
    String flagRow = text.lines().filter(l -> l.startsWith("flag")).findFirst().orElseThrow();
    assertThat(flagRow).contains("zero ref").doesNotContain("1.00e+00").doesNotContain("0.0000000");
    assertThat(text).contains("(zero ref: where the reference is numerically zero (max|ref| < 1e-06)");
    assertThat(ConsoleReport.verdictLine(r)).contains("max rel_l2 3.9e-05");
  }

  @Test
  void aFailingZeroReferenceIsJudgedByMaxAbsEverywhere() {
    // 1e-9 against 0.5: out of tolerance; rel_l2 would be 5e8, meaningless; max_abs 0.5 is the error
    Comparison bad = cmp("mask", new float[] {1e-9f, 0f}, new float[] {0.5f, 0f});
    AlignmentResult r = AlignmentResult.of("m", "cpu", 0, Tolerance.DEFAULT, List.of("tflite", "torch"),
        List.of(REAL, bad), List.of(), List.of(), Map.of(), Map.of());
    String text = ConsoleReport.render(r, 10);
    assertThat(text).contains("First divergence: 'mask'")
        .contains("  zero ref  max|ref| 1.00e-09 < 1e-06: judged by max_abs 5.00e-01; rel_l2 and cosine say nothing here");
    String xml = JUnitReport.render(r);
    assertThat(xml).contains("message=\"max_abs 5.000e-01 on a numerically zero reference (max|ref| 1.00e-09 &lt; 1e-06:"
        + " rel_l2 and cosine say nothing)");
  }
}
