package dev.crossalign.report;

import dev.crossalign.align.Diagnosis;
import dev.crossalign.align.Hypothesis;
import dev.crossalign.align.TruthTable;
import java.util.ArrayList;
import java.util.List;

/**
 * The float64 truth of a validation (issue 13) as sections of the HTML report, after the notes: the verdict under the
 * derived bounds and each backend's worst factors and minimum fixed tolerance; every op output with its bound, pass
 * and each backend's error against the truth in times the float32 floor and the bound; the ranked hypotheses of each
 * diagnosed tensor. Text tables only (HtmlReport escapes every cell).
 */
final class TruthSections {
  private TruthSections() {}

  static List<HtmlReport.Section> of(TruthTable t, boolean decides) {
    if (t == null) {
      return List.of();
    }
    return List.of(backends(t, decides), tensors(t), diagnoses(t));
  }

  private static HtmlReport.Section backends(TruthTable t, boolean decides) {
    TruthTable.Failure f = t.auto().firstFailure();
    String title = "Float64 truth: " + (t.auto().aligned() ? "ALIGNED" : "MISALIGNED") + " under the derived bounds ("
        + t.auto().bounded() + " op outputs bounded" + (t.auto().unbounded().isEmpty() ? ""
            : ", " + t.auto().unbounded().size() + " without a bound, not judged")
        + (f == null ? "" : "; first outside: '" + f.tensor() + "', " + f.backend() + " at "
            + Numbers.sci(f.factor(), 2) + "x") + (decides ? "; decides the exit status (--tolerance auto)" : "")
        + ")";
    List<List<String>> rows = new ArrayList<>();
    for (TruthTable.BackendSummary b : t.backends()) {
      TruthTable.RunTolerance m = t.minTolerance().stream().filter(x -> x.backend().equals(b.backend())).findFirst()
          .orElse(null);
      rows.add(List.of(b.backend(), Integer.toString(b.tensors()), Integer.toString(b.furthestCount()),
          Numbers.sci(b.worstBoundFactor(), 2), b.worstBoundTensor() == null ? "" : b.worstBoundTensor(),
          Numbers.sci(b.worstFloorFactor(), 2), b.worstTensor(),
          m == null ? "(reference)" : Numbers.sci(m.minTolerance().atol(), 2) + " / " + Numbers.sci(
              m.minTolerance().rtol(), 2)));
    }
    return new HtmlReport.Section("truth", title, List.of("backend", "op outputs", "furthest on",
        "worst x bound", "at", "worst x float32 floor", "at", "min atol / rtol vs reference"), rows);
  }

  private static HtmlReport.Section tensors(TruthTable t) {
    List<String> backends = t.backends().stream().map(TruthTable.BackendSummary::backend).toList();
    List<String> header = new ArrayList<>(List.of("tensor", "op", "bound (rule, K)", "max limit", "floor", "pass"));
    for (String b : backends) {
      header.add(b + ": error (x floor, x bound)");
    }
    List<List<String>> rows = new ArrayList<>();
    for (TruthTable.Row row : t.rows()) {
      List<String> cells = new ArrayList<>(List.of(row.tensor(), row.op(),
          row.bound() == null ? "none (not judged)" : row.bound().rule().name().toLowerCase(java.util.Locale.ROOT)
              + (row.bound().terms() > 0 ? " K=" + row.bound().terms() : ""),
          row.bound() == null ? "" : Numbers.sci(row.bound().maxLimit(), 2),
          Numbers.sci(row.floor().under(row.measure()), 2), row.pass() ? "yes" : "NO"));
      for (String b : backends) {
        TruthTable.BackendError e = row.errors().stream().filter(x -> x.backend().equals(b)).findFirst()
            .orElse(null);
        cells.add(e == null ? "-" : Numbers.sci(e.error().under(row.measure()), 2) + " ("
            + Numbers.fixed(e.floorFactor(), 1) + "x, " + (Double.isNaN(e.allowedFactor()) ? "-"
                : Numbers.sci(e.allowedFactor(), 2) + "x") + (e.allowance() != null && e.boundFactor() > 1
                    ? " allowed" : "") + ")");
      }
      rows.add(cells);
    }
    return new HtmlReport.Section("truth-tensors", "Float64 truth per op output (error: elementwise ops the largest "
        + "relative error of an element, reductions the largest error over max|truth|)", header, rows);
  }

  private static HtmlReport.Section diagnoses(TruthTable t) {
    List<List<String>> rows = new ArrayList<>();
    for (Diagnosis d : t.diagnoses()) {
      int rank = 1;
      for (Hypothesis h : d.hypotheses()) {
        rows.add(List.of(d.tensor(), d.backend(), Numbers.sci(d.boundFactor(), 2), Integer.toString(rank++), h.name(),
            Numbers.sci(h.errorBefore(), 2) + " -> " + Numbers.sci(h.errorAfter(), 2),
            Numbers.sci(h.boundFactorAfter(), 2), h.explains() ? "EXPLAINS" : "", h.detail()));
      }
    }
    return new HtmlReport.Section("truth-diagnoses", "Diagnoses of tensors outside their bound (ranked hypotheses, "
        + "each the op recomputed in float64 with the suspected variant)", List.of("tensor", "backend", "x bound",
            "rank", "hypothesis", "error before -> after", "x bound after", "", "detail"), rows);
  }
}
