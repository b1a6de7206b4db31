package dev.crossalign.cli;

import dev.crossalign.align.TruthTable;
import dev.crossalign.align.Diagnosis;
import dev.crossalign.align.Hypothesis;
import dev.crossalign.engine.DemoModel;
import dev.crossalign.engine.truth.Propagation;
import dev.crossalign.engine.truth.TruthLab;
import dev.crossalign.engine.truth.TruthViews;
import dev.crossalign.report.TruthHtmlReport;
import dev.crossalign.tensor.AtomicFiles;
import dev.crossalign.tflite.TfliteModel;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "truth",
    mixinStandardHelpOptions = true,
    header = "Measures each backend's output of every op against a float64 evaluation of that op.",
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {"0:a report, not a verdict; with --tolerance auto: every backend within every derived bound",
        "1:with --tolerance auto: a backend outside a tensor's derived bound (named, with its diagnosis)",
        Main.EXIT_USAGE, Main.EXIT_UNSUPPORTED},
    description = "Numerics lab: every op of MODEL evaluated in float64 (the port's code in double) on the TFLite "
        + "reference's own inputs, and each backend's output of that op (TFLite, the torch port, ONNX Runtime) "
        + "measured against it, beside the op's float32 rounding floor. Says which backend is off, not only that two "
        + "disagree. With --tolerance auto, each op output also gets a bound derived from the math (float32 "
        + "accumulation over sum|w x| for reductions, ulps of the result for elementwise and transcendental ops) and "
        + "the run is a verdict: ALIGNED when every backend is within every bound, else MISALIGNED with the backend, "
        + "the factor and a tested diagnosis.")
final class TruthCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL", description = ".tflite model (default: the embedded demo)")
  Path model;

  @Option(names = "--no-onnxruntime", description = "Leave ONNX Runtime out (TFLite and the torch port only)")
  boolean noOnnx;

  @Option(names = "--json", paramLabel = "FILE", description = "Write the per-tensor errors as JSON ('-' for stdout)")
  Path json;

  @Option(names = "--overlay", paramLabel = "FILE",
      description = "Write Google Model Explorer node data: per op output, the furthest backend's error in times the "
          + "float32 floor (green <= 8x, yellow <= 100x, orange <= 1e4x, red beyond)")
  Path overlay;

  @Option(names = "--overlay-bound", paramLabel = "FILE",
      description = "Write Model Explorer node data coloured by the derived bound: per op output, the furthest "
          + "backend's error in times its bound (green <= 1: within, yellow <= 10x, orange <= 1000x, red beyond; the "
          + "first failing op its own red; grey: no bound, not judged)")
  Path overlayBound;

  @Option(names = "--overlay-diagnosis", paramLabel = "FILE",
      description = "Write Model Explorer node data with a text label per diagnosed op output: the backend, its "
          + "factor over the bound and the first-ranked hypothesis (orange: explained, red: unexplained)")
  Path overlayDiagnosis;

  @Option(names = "--html", paramLabel = "FILE",
      description = "Write a self-contained HTML page: per op output each backend's error against the truth in times "
          + "its bound (chart and table), the bound, pass, the first failing tensor and the ranked hypotheses")
  Path html;

  @Option(names = "--max-rows", defaultValue = "20", paramLabel = "N", converter = Converters.AtLeast0.class,
      description = "Rows of the console table, worst floor factor first (default: ${DEFAULT-VALUE})")
  int maxRows;

  /** A report (exit 0) or a verdict under the derived bounds. */
  enum ToleranceMode {
    REPORT,
    AUTO
  }

  @Option(names = "--tolerance", defaultValue = "report", paramLabel = "report|auto",
      converter = Converters.TruthToleranceConverter.class,
      description = "report (default): a report, exit 0; auto: a verdict under the derived bounds (exit 0 or 1)")
  ToleranceMode tolerance;

  @Option(names = "--propagation", description = "Also run the torch port and ONNX Runtime (unless --no-onnxruntime) "
      + "chained and report per op and backend its own error (isolated), what it inherits (chained minus isolated) "
      + "and how much it amplifies its input error")
  boolean propagation;

  @Mixin RunOptions run;

  @Override
  public Integer call() {
    boolean auto = tolerance == ToleranceMode.AUTO;
    TfliteModel m = model == null ? TfliteModel.read(DemoModel.bytes(), DemoModel.LABEL) : TfliteModel.read(model);
    TruthLab.Result r = TruthLab.run(new TruthLab.Request(
        m, run.modelInputs(m), !noOnnx,
        run.config(), propagation));
    PrintWriter out = spec.commandLine().getOut();
    boolean stdoutJson = ReportTarget.isStdout(json);
    if (json != null) {
      ReportTarget.writeJson("--json", json, r, out);
    }
    if (overlay != null) {
      AtomicFiles.write(overlay, TruthLab.overlay(r));
    }
    if (overlayBound != null) {
      AtomicFiles.write(overlayBound, TruthViews.boundOverlay(r));
    }
    if (overlayDiagnosis != null) {
      AtomicFiles.write(overlayDiagnosis, TruthViews.hypothesisOverlay(r));
    }
    if (html != null) {
      TruthHtmlReport.write(TruthViews.page(r, model == null ? DemoModel.LABEL : model.toString(), auto), html);
    }
    if (!stdoutJson) {
      print(out, r, model == null ? DemoModel.LABEL : model.toString());
    }
    out.flush();
    return auto && !r.auto().aligned() ? Main.MISALIGNED : Main.ALIGNED;
  }

  private void print(PrintWriter out, TruthLab.Result r, String label) {
    List<String> backends = r.backends().stream().map(TruthTable.BackendSummary::backend).toList();
    out.println("float64 truth of " + r.rows().size() + " op outputs of " + label + "; error: elementwise ops the "
        + "largest relative error of an element, reductions (conv, matmul, mean, ...) the largest error over max|truth|;"
        + " x = times the float32 rounding floor, b = times the derived bound (above 1: outside)");
    StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%-40s %-18s %9s %-22s", "tensor", "op", "floor",
        "bound (rule, max)"));
    for (String b : backends) {
      head.append(String.format(Locale.ROOT, " %28s", b));
    }
    out.println(head.append("  furthest"));
    List<TruthTable.Row> rows = new ArrayList<>(r.rows());
    rows.sort(Comparator.comparingDouble(TruthCommand::worstFactor).reversed());
    for (TruthTable.Row row : rows.subList(0, Math.min(Math.max(maxRows, 0), rows.size()))) {
      StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-40s %-18s %9.1e", clip(row.tensor(), 40),
          clip(row.op(), 18), row.floor().under(row.measure())));
      line.append(row.bound() == null ? String.format(Locale.ROOT, " %-22s", "no bound")
          : String.format(Locale.ROOT, " %-14s %7.1e", row.bound().rule() + (row.bound().terms() > 0
              ? "(K=" + row.bound().terms() + ")" : ""), row.bound().maxLimit()));
      for (String b : backends) {
        TruthTable.BackendError e = row.errors().stream().filter(x -> x.backend().equals(b)).findFirst().orElse(null);
        line.append(e == null ? String.format(Locale.ROOT, " %28s", "-")
            : String.format(Locale.ROOT, " %9.1e (%7.1fx|%6.2fb)", e.error().under(row.measure()), e.floorFactor(),
                e.boundFactor()));
      }
      out.println(line.append("  ").append(row.furthest() == null ? "(all exact)" : row.furthest()));
    }
    for (String n : r.notes()) {
      out.println("note: " + n);
    }
    TruthTable.BackendSummary worst = r.furthest();
    if (worst == null) {
      out.println("no op outputs with a float64 truth");
      return;
    }
    StringBuilder verdict = new StringBuilder(String.format(Locale.ROOT,
        "furthest from the float64 truth: %s, error %.2e at '%s' (%s), %.1fx the float32 floor", worst.backend(),
        worst.worstError(), worst.worstTensor(), worst.worstOp(), worst.worstFloorFactor()));
    for (TruthTable.BackendSummary b : r.backends()) {
      if (b != worst) {
        verdict.append(String.format(Locale.ROOT, "; %s at most %.1fx ('%s')", b.backend(), b.worstFloorFactor(),
            b.worstTensor()));
      }
    }
    out.println(verdict);
    for (TruthTable.RunTolerance t : r.minTolerance()) {
      out.println(String.format(Locale.ROOT, "minimum fixed tolerance, %s against %s: --atol %.2e --rtol 0 ('%s') or "
          + "--atol 0 --rtol %.2e ('%s')", t.backend(), r.backends().get(0).backend(), t.minTolerance().atol(),
          t.atolTensor(), t.minTolerance().rtol(), t.rtolTensor()));
    }
    printPropagation(out, r);
    printAuto(out, r);
  }

  private void printPropagation(PrintWriter out, TruthLab.Result r) {
    List<String> backends = r.propagation().stream().map(Propagation.Layer::backend).distinct().toList();
    for (String backend : backends) {
      List<Propagation.Layer> mine = r.propagation().stream().filter(l -> l.backend().equals(backend)).toList();
      List<Propagation.Layer> byAmp = new ArrayList<>(mine);
      byAmp.removeIf(l -> !Double.isFinite(l.amplification()));
      byAmp.sort(Comparator.comparingDouble(Propagation.Layer::amplification).reversed());
      out.println("propagation through " + backend + " (relative L2 against TFLite; amplification = output error the "
          + "exact op makes of the chained input error / that input error):");
      out.println(String.format(Locale.ROOT, "%-40s %-18s %9s %9s %9s %9s %9s", "tensor", "op", "input", "own",
          "chained", "inherited", "amplif."));
      for (Propagation.Layer l : byAmp.subList(0, Math.min(Math.max(maxRows / 2, 3), byAmp.size()))) {
        out.println(String.format(Locale.ROOT, "%-40s %-18s %9.1e %9.1e %9.1e %9.1e %9.1f", clip(l.tensor(), 40),
            clip(l.op(), 18), l.inputError(), l.ownError(), l.chainedError(), l.inheritedError(), l.amplification()));
      }
      String h = Propagation.headline(mine);
      if (h != null) {
        out.println("largest amplifier: " + h);
      }
    }
  }

  private static void printAuto(PrintWriter out, TruthLab.Result r) {
    TruthTable.Auto a = r.auto();
    for (TruthTable.Row row : r.rows()) {
      for (TruthTable.BackendError e : row.errors()) {
        if (e.allowance() != null && e.boundFactor() > 1 && e.within()) {
          out.println(String.format(Locale.ROOT, "off the truth but allowed: %s on '%s' (%s) at %.0fx the bound "
              + "(%.2e vs %.2e at element %d), within its allowance: %s", e.backend(), row.tensor(), row.op(),
              e.boundFactor(), e.error().valueAt(), e.error().truthAt(), e.error().worstIndex(), e.allowance()));
        }
      }
    }
    for (Diagnosis d : r.diagnoses()) {
      out.println(String.format(Locale.ROOT, "diagnosis of '%s' (%s), %s at %.3gx its bound; %s:", d.tensor(), d.op(),
          d.backend(), d.boundFactor(), d.pattern()));
      int rank = 1;
      for (Hypothesis h : d.hypotheses().subList(0, Math.min(5, d.hypotheses().size()))) {
        out.println(String.format(Locale.ROOT, "  %d. %-44s error %.2e -> %.2e (%.3gx the bound)%s: %s", rank++,
            h.name(), h.errorBefore(), h.errorAfter(), h.boundFactorAfter(), h.explains() ? " EXPLAINS" : "",
            h.detail()));
      }
    }
    String unbounded = a.unbounded().isEmpty() ? "" : "; no bound (not judged): " + String.join(", ", a.unbounded());
    if (a.aligned()) {
      out.println(String.format(Locale.ROOT, "--tolerance auto: ALIGNED, %d op outputs, every backend within its "
          + "derived bound%s", a.bounded(), unbounded));
    } else if (a.firstFailure() == null) {
      out.println("--tolerance auto: MISALIGNED, no op output has a derived bound" + unbounded);
    } else {
      TruthTable.Failure f = a.firstFailure();
      TruthTable.Failure w = a.failures().get(0);
      Diagnosis d = r.diagnoses().stream().filter(x -> x.tensor().equals(f.tensor()) && x.backend().equals(
          f.backend())).findFirst().orElse(null);
      Hypothesis h = d == null ? null : d.diagnosis();
      out.println(String.format(Locale.ROOT, "--tolerance auto: MISALIGNED, %d of %d (tensor, backend) pairs outside "
          + "the bound; first '%s' (%s): %s at %.3gx its bound%s; worst %s on '%s' at %.3gx%s", a.failures().size(),
          r.rows().stream().mapToInt(x -> x.errors().size()).sum(), f.tensor(), f.op(), f.backend(), f.factor(),
          h == null ? " (no tested variant explains it)" : String.format(Locale.ROOT, ", diagnosis: %s (error %.2e -> "
              + "%.2e)", h.name(), h.errorBefore(), h.errorAfter()), w.backend(), w.tensor(), w.factor(), unbounded));
    }
  }

  private static double worstFactor(TruthTable.Row row) {
    return row.errors().stream().mapToDouble(TruthTable.BackendError::floorFactor).max().orElse(0);
  }

  private static String clip(String s, int n) {
    return s.length() <= n ? s : "..." + s.substring(s.length() - n + 3);
  }
}
