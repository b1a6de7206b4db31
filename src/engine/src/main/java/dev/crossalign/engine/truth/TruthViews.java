package dev.crossalign.engine.truth;

import dev.crossalign.align.TruthTable;
import dev.crossalign.align.Diagnosis;
import dev.crossalign.align.Hypothesis;
import dev.crossalign.report.ModelExplorerOverlay;
import dev.crossalign.report.TruthHtmlReport;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The truth lab's result drawn for a person (issue 13, item 6): the HTML page's input and the Model Explorer overlays
 * coloured by the derived bound (pass / how many times outside it), beside the float32-floor overlay of
 * {@link TruthLab#overlay}.
 */
public final class TruthViews {
  private TruthViews() {}

  /** Overlay colours: within the bound, up to 10x, up to 1000x, beyond; an op output without a bound. */
  static final String PASS = "#b7e1cd";
  static final String NEAR = "#fce8b2";
  static final String FAR = "#f9cb9c";
  static final String OFF = "#f4c7c3";
  static final String UNBOUNDED = "#e0e0e0";
  /** The first failing tensor's own colour, whatever its factor. */
  static final String FIRST = "#e06666";

  /** The page's input: every row with its bound, pass and per-backend errors, the verdict, the diagnoses. */
  public static TruthHtmlReport.Page page(TruthLab.Result r, String model, boolean auto) {
    List<TruthHtmlReport.Tensor> tensors = new ArrayList<>();
    for (TruthTable.Row row : r.rows()) {
      List<TruthHtmlReport.Cell> cells = new ArrayList<>();
      for (TruthTable.BackendError e : row.errors()) {
        cells.add(new TruthHtmlReport.Cell(e.backend(), e.error().under(row.measure()), e.floorFactor(),
            e.allowedFactor(), e.within()));
      }
      tensors.add(new TruthHtmlReport.Tensor(row.tensor(), row.op(), row.bound() == null ? null
          : row.bound().rule().name(), row.bound() == null ? Double.NaN : row.bound().maxLimit(),
          row.floor().under(row.measure()), row.pass(), cells));
    }
    TruthTable.Auto a = r.auto();
    String verdict = !auto ? "REPORT" : a.aligned() ? "ALIGNED" : "MISALIGNED";
    return new TruthHtmlReport.Page(model, verdict, headline(r), r.backends().stream()
        .map(TruthTable.BackendSummary::backend).toList(), tensors,
        a.firstFailure() == null ? null : a.firstFailure().tensor(), r.diagnoses(), r.notes());
  }

  /** One sentence: the furthest backend, and under the bounds the first failure with its diagnosis. */
  public static String headline(TruthLab.Result r) {
    return headline(r.table());
  }

  /** As {@link #headline(TruthLab.Result)} for the table validate's result carries. */
  public static String headline(TruthTable r) {
    TruthTable.BackendSummary w = r.furthest();
    StringBuilder s = new StringBuilder(w == null ? "no op outputs with a float64 truth"
        : String.format(Locale.ROOT, "furthest from the float64 truth: %s, %.1fx the float32 floor at '%s' (%s)",
            w.backend(), w.worstFloorFactor(), w.worstTensor(), w.worstOp()));
    TruthTable.Failure f = r.auto().firstFailure();
    if (f == null) {
      s.append(String.format(Locale.ROOT, "; %d op outputs bounded, every backend within its bound",
          r.auto().bounded()));
    } else {
      Diagnosis d = r.diagnosisOf(f.tensor(), f.backend());
      Hypothesis h = d == null ? null : d.diagnosis();
      s.append(String.format(Locale.ROOT, "; first outside its bound: '%s' (%s), %s at %.3gx%s", f.tensor(), f.op(),
          f.backend(), f.factor(), h == null ? "" : ", diagnosis: " + h.name()));
    }
    return s.toString();
  }

  /**
   * Model Explorer node data coloured by the derived bound: each bounded op output's value is the largest factor of
   * any backend over its bound (at most 1 passes: green; to 10x yellow, to 1000x orange, red beyond); the first
   * failing tensor carries its own colour; ops no rule bounds are grey with value 0 (they are not judged).
   */
  public static byte[] boundOverlay(TruthLab.Result r) {
    Map<String, ModelExplorerOverlay.NodeValue> values = new LinkedHashMap<>();
    TruthTable.Failure first = r.auto().firstFailure();
    for (TruthTable.Row row : r.rows()) {
      if (row.bound() == null) {
        values.put(row.tensor(), new ModelExplorerOverlay.NodeValue(0, UNBOUNDED));
        continue;
      }
      double worst = row.errors().stream().mapToDouble(TruthTable.BackendError::allowedFactor)
          .filter(f -> !Double.isNaN(f)).max().orElse(0);
      boolean isFirst = first != null && first.tensor().equals(row.tensor());
      values.put(row.tensor(), new ModelExplorerOverlay.NodeValue(worst, isFirst ? FIRST : null));
    }
    return ModelExplorerOverlay.json(values, List.of(new ModelExplorerOverlay.Threshold(1, PASS),
        new ModelExplorerOverlay.Threshold(10, NEAR), new ModelExplorerOverlay.Threshold(1000, FAR),
        new ModelExplorerOverlay.Threshold(Double.MAX_VALUE, OFF)));
  }

  /**
   * Model Explorer node data of the diagnoses: for each diagnosed tensor a string value naming the backend, its
   * factor and the first-ranked hypothesis (or that none explains it). Model Explorer shows non-numeric node data as
   * labels (its {@code showLabelCountColumnsInChildrenStatsTable} counts them); the colours say explained (orange)
   * or not (red).
   */
  public static byte[] hypothesisOverlay(TruthLab.Result r) {
    Map<String, ModelExplorerOverlay.Label> labels = new LinkedHashMap<>();
    for (Diagnosis d : r.diagnoses()) {
      if (labels.containsKey(d.tensor())) {
        continue;
      }
      Hypothesis top = d.hypotheses().isEmpty() ? null : d.hypotheses().get(0);
      Hypothesis h = d.diagnosis();
      labels.put(d.tensor(), new ModelExplorerOverlay.Label(String.format(Locale.ROOT, "%s %.3gx the bound: %s",
          d.backend(), d.boundFactor(),
          h != null ? h.name() + String.format(Locale.ROOT, " (error %.2e -> %.2e)", h.errorBefore(), h.errorAfter())
              : "unexplained" + (top == null ? "" : "; nearest " + top.name())), h != null ? FAR : OFF));
    }
    return ModelExplorerOverlay.labels(labels);
  }
}
