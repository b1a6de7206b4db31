package dev.crossalign.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.crossalign.align.AlignmentResult;
import dev.crossalign.align.Comparison;
import dev.crossalign.align.Metrics;
import dev.crossalign.align.Mode;
import dev.crossalign.align.Tolerance;
import dev.crossalign.UnsupportedOp;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConsoleReportTest {

  static List<String> lines(String s) {
    return List.of(s.split("\n"));
  }

  @Test
  void misalignedReportShowsWorstRowsSeedChecksAndVerdict() {
    String text = ConsoleReport.render(ReportFixtures.misaligned(), 5);
    List<String> lines = lines(text);
    assertThat(lines.get(0)).matches("tensor +op +pair +mode +max_abs +rel_l2 +cosine +pass");
    // failing first: the all-NaN 'nanny' rows (no finite pair, rel_l2 NaN: worst; NaN on both sides is not a pass),
    // the two shape mismatches (no rel_l2), then the 'mid' rows
    assertThat(lines.get(1)).startsWith("nanny").contains("chained").contains("nan").endsWith("NO");
    assertThat(lines.get(2)).startsWith("nanny").contains("isolated");
    assertThat(lines.get(3)).startsWith("head").endsWith("NO (shape)");
    assertThat(lines.get(4)).startsWith("head").contains("isolated");
    assertThat(lines.get(5)).startsWith("mid").contains("chained").contains("1.00e+00")
        .contains("1.83e-01").endsWith("NO");
    assertThat(lines.get(6)).isEqualTo("(7 more comparisons not shown)");
    // a = [1,2,3,4], b = [1,2,3,5]
    assertThat(text).contains("First divergence: 'mid' (ADD, index 2, shape [4]), tflite~torch, chained\n"
        + "  mean      ref 2.5000e+00   cand 2.7500e+00\n"
        + "  diff      mean 2.5000e-01   sum 1.0000e+00   max_abs 1.0000e+00   rel_l2 1.8257e-01\n"
        + "  range     ref [1.0000e+00, 4.0000e+00]   cand [1.0000e+00, 5.0000e+00]\n"
        + "  distinct  ref 4   cand 4\n"
        + "  worst     at [3] (flat 3): ref 4.000000e+00   cand 5.000000e+00\n"
        + "  failing   1 of 4 elements\n");
    assertThat(text).contains("Not compared:\n  'head' tflite~torch: shape_mismatch, reference shape [6], "
        + "candidate shape [4, 2]: element counts differ (6 vs 8)\n\n");
    assertThat(text).contains("  first in tflite~torch isolated: 'mid' (ADD, index 2)\n");
    assertThat(text).contains("Unsupported ops:\n  CUSTOM_X x2: no torch lowering\n");
    assertThat(text).contains("Notes:\n  - naive padding would have cost 1.2e-01 max_abs\n");
    // 12 comparisons: 6 tensors x 2 modes; failing: head x2 (shape), mid x2, nanny x2 (NaN on both sides, not
    // accepted); 10 with numbers (head's two have none); max rel_l2 over finite values = 1/sqrt(30) = 0.1826
    assertThat(lines.get(lines.size() - 1)).isEqualTo("MISALIGNED: 6 of 12 comparisons fail, first at 'mid' "
        + "(tflite~torch, chained); compared: 10 comparisons (tflite~torch 5 chained + 5 isolated), max rel_l2 1.8e-01"
        + " over finite values; 2 comparisons with NaN/Inf (2 failing)"
        + " (atol 1e-05, rtol 0.0001)");
    assertThat(text).doesNotContain("\r").endsWith("\n");
  }

  @Test
  void alignedVerdictLine() {
    AlignmentResult r = ReportFixtures.aligned();
    // b = (1, f) with f = (float) 2.000000693 = 2 + 3 * 2^-22: rel_l2 = 3 * 2^-22 / sqrt(5) = 3.1987e-07
    double rel = 3 * Math.pow(2, -22) / Math.sqrt(5);
    assertThat(r.comparisons().get(1).metrics().relL2()).isCloseTo(rel, org.assertj.core.data.Offset.offset(1e-20));
    String text = ConsoleReport.render(r, 10);
    assertThat(lines(text).get(lines(text).size() - 1))
        .isEqualTo("ALIGNED: 4 comparisons (tflite~torch 2 chained + 2 isolated), max rel_l2 3.2e-07 (atol 1e-05,"
            + " rtol 0.0001)");
    assertThat(text).contains("Largest difference: 'b' (ADD, index 1, shape [2]), tflite~torch, chained\n");
    assertThat(text).doesNotContain("First divergence");
  }

  @Test
  void incompleteVerdictLineNamesTheUnsupportedOps() {
    AlignmentResult r = AlignmentResult.of("m", "cpu", 0, new Tolerance(1e-3, 0), List.of("tflite", "torch"),
        List.of(), List.of(new UnsupportedOp("CUSTOM", 3, "no kernel"), new UnsupportedOp("RFFT2D", 1, "x")),
        List.of(), Map.of(), Map.of());
    String text = ConsoleReport.render(r, 10);
    assertThat(text).endsWith("INCOMPLETE: unsupported ops CUSTOM x3, RFFT2D x1; no tensor compared\n");
    assertThat(text).doesNotContain("tensor  op");
  }

  @Test
  void zeroRowsLeavesTheTableOutAndNegativeIsRejected() {
    String text = ConsoleReport.render(ReportFixtures.misaligned(), 0);
    assertThat(text).doesNotContain("max_abs  ").startsWith("Not compared:\n");
    assertThatThrownBy(() -> ConsoleReport.render(ReportFixtures.misaligned(), -1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void multiplePairsAreCountedAndLongNamesClipped() {
    String longName = "model/very/deep/scope/block_12/depthwise_conv/BiasAdd;ReLU6";
    HostTensor t = HostTensor.ofFloats(new int[] {2}, Layout.ANY, new float[] {1, 2});
    Metrics m = Metrics.of(t, t, Tolerance.DEFAULT);
    List<Comparison> cs = List.of(
        new Comparison(longName, "DEPTHWISE_CONV_2D", 0, List.of(2), "tflite~torch", Mode.CHAINED, m,
            Comparison.Status.COMPARED, null, null),
        new Comparison(longName, "DEPTHWISE_CONV_2D", 0, List.of(2), "tflite~onnx", Mode.CHAINED, m,
            Comparison.Status.COMPARED, null, null));
    AlignmentResult r = AlignmentResult.of("m", "cpu", 0, Tolerance.DEFAULT, List.of("tflite", "torch", "onnx"), cs,
        List.of(), List.of(), Map.of(), Map.of());
    String text = ConsoleReport.render(r, 10);
    assertThat(text).contains("..." + longName.substring(longName.length() - 37) + "  DEPTHWISE_CONV_2D");
    assertThat(text).endsWith(
        "ALIGNED: 2 comparisons (tflite~torch 1 chained; tflite~onnx 1 chained), max rel_l2 0.0e+00 (atol 1e-05,"
            + " rtol 0.0001)\n");
  }

  @Test
  void distinctCountAtTheCapIsShownAsALowerBound() {
    int n = Metrics.DISTINCT_CAP + 1;
    float[] a = new float[n];
    float[] b = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = i;
      b[i] = i + (i == 7 ? 1 : 0);
    }
    Metrics m = Metrics.of(HostTensor.ofFloats(new int[] {n}, Layout.ANY, a),
        HostTensor.ofFloats(new int[] {n}, Layout.ANY, b), Tolerance.DEFAULT);
    Comparison c = new Comparison("x", "ADD", 3, List.of(n), "tflite~torch", Mode.ISOLATED, m,
        Comparison.Status.COMPARED, null, null);
    AlignmentResult r = AlignmentResult.of("m", "cpu", 0, Tolerance.DEFAULT, List.of("tflite", "torch"), List.of(c),
        List.of(), List.of(), Map.of(), Map.of());
    String text = ConsoleReport.render(r, 10);
    assertThat(text).contains("  distinct  ref >=4096   cand >=4096\n");
    assertThat(text).contains("  worst     at [7] (flat 7)");
  }

  @Test
  void shortestNumberForms() {
    assertThat(Numbers.shortest(1e-5)).isEqualTo("1e-05");
    assertThat(Numbers.shortest(1e-4)).isEqualTo("0.0001");
    assertThat(Numbers.shortest(0.5)).isEqualTo("0.5");
    assertThat(Numbers.shortest(123.0)).isEqualTo("123");
    assertThat(Numbers.shortest(3.25e20)).isEqualTo("3.25e+20");
    assertThat(Numbers.shortest(-2.5e-7)).isEqualTo("-2.5e-07");
    assertThat(Numbers.shortest(0)).isEqualTo("0");
    assertThat(Numbers.sci(Double.NaN, 2)).isEqualTo("nan");
    assertThat(Numbers.sci(Double.NEGATIVE_INFINITY, 2)).isEqualTo("-inf");
  }

  @Test
  void verdictLineIgnoresRelL2OfNumericallyZeroTensors() {
    Metrics big = Metrics.of(HostTensor.ofFloats(new int[] {2}, Layout.ANY, new float[] {1, 2}),
        HostTensor.ofFloats(new int[] {2}, Layout.ANY, new float[] {1, 2.0002f}), Tolerance.DEFAULT);
    Metrics tiny = Metrics.of(HostTensor.ofFloats(new int[] {1}, Layout.ANY, new float[] {2e-16f}),
        HostTensor.ofFloats(new int[] {1}, Layout.ANY, new float[] {0f}), Tolerance.DEFAULT);
    AlignmentResult r = AlignmentResult.of("m", "cpu", 0, Tolerance.DEFAULT, List.of("tflite", "torch"), List.of(
            new Comparison("a", "ADD", 0, List.of(2), "tflite~torch", Mode.CHAINED, big, Comparison.Status.COMPARED, null, null),
            new Comparison("s", "LOGISTIC", 1, List.of(1), "tflite~torch", Mode.CHAINED, tiny, Comparison.Status.COMPARED, null, null)),
        List.of(), List.of(), Map.of(), Map.of());
    assertThat(tiny.relL2()).isEqualTo(1.0);
    assertThat(ConsoleReport.verdictLine(r)).startsWith("ALIGNED: 2 comparisons (tflite~torch 2 chained), max rel_l2 8.9e-05");
  }
}
