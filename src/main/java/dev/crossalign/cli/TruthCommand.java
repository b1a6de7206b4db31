package dev.crossalign.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.crossalign.CrossalignException;
import dev.crossalign.engine.DemoModel;
import dev.crossalign.engine.InputGenerator;
import dev.crossalign.engine.truth.TruthLab;
import dev.crossalign.tensor.AtomicFiles;
import dev.crossalign.tflite.TfliteModel;
import java.io.IOException;
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
    exitCodeList = {"0:a report, not a verdict", Main.EXIT_USAGE, Main.EXIT_UNSUPPORTED},
    description = "Numerics lab: every op of MODEL evaluated in float64 (the port's code in double) on the TFLite "
        + "reference's own inputs, and each backend's output of that op (TFLite, the torch port, ONNX Runtime) "
        + "measured against it, beside the op's float32 rounding floor. Says which backend is off, not only that two "
        + "disagree. Exit 0 (a report, not a verdict).")
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

  @Option(names = "--max-rows", defaultValue = "20", paramLabel = "N",
      description = "Rows of the console table, worst floor factor first (default: ${DEFAULT-VALUE})")
  int maxRows;

  @Mixin RunOptions run;

  /** The truth document's mapper (snake_case, indented). */
  private static final ObjectMapper JSON = new ObjectMapper()
      .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).enable(SerializationFeature.INDENT_OUTPUT);

  @Override
  public Integer call() {
    TfliteModel m = model == null ? TfliteModel.read(DemoModel.bytes(), DemoModel.LABEL) : TfliteModel.read(model);
    TruthLab.Result r = TruthLab.run(new TruthLab.Request(
        m, InputGenerator.inputs(m, run.seed, run.inputRange.low(), run.inputRange.high(), run.inputs()), !noOnnx, run.config()));
    PrintWriter out = spec.commandLine().getOut();
    boolean stdoutJson = json != null && json.toString().equals("-");
    if (json != null) {
      ObjectMapper mapper = JSON;
      try {
        if (stdoutJson) {
          out.println(mapper.writeValueAsString(r));
        } else {
          AtomicFiles.write(json, mapper.writeValueAsBytes(r));
        }
      } catch (IOException e) {
        throw CrossalignException.input("--json " + json + ": cannot write (" + e.getMessage() + ")");
      }
    }
    if (overlay != null) {
      AtomicFiles.write(overlay, TruthLab.overlay(r));
    }
    if (!stdoutJson) {
      print(out, r, model == null ? DemoModel.LABEL : model.toString());
    }
    out.flush();
    return Main.ALIGNED;
  }

  private void print(PrintWriter out, TruthLab.Result r, String label) {
    List<String> backends = r.backends().stream().map(TruthLab.BackendSummary::backend).toList();
    out.println("float64 truth of " + r.rows().size() + " op outputs of " + label + "; error: elementwise ops the "
        + "largest relative error of an element, reductions (conv, matmul, mean, ...) the largest error over max|truth|;"
        + " x = times the float32 rounding floor");
    StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%-40s %-18s %9s", "tensor", "op", "floor"));
    for (String b : backends) {
      head.append(String.format(Locale.ROOT, " %20s", b));
    }
    out.println(head.append("  furthest"));
    List<TruthLab.Row> rows = new ArrayList<>(r.rows());
    rows.sort(Comparator.comparingDouble(TruthCommand::worstFactor).reversed());
    for (TruthLab.Row row : rows.subList(0, Math.min(Math.max(maxRows, 0), rows.size()))) {
      StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-40s %-18s %9.1e", clip(row.tensor(), 40),
          clip(row.op(), 18), row.floor().under(row.measure())));
      for (String b : backends) {
        TruthLab.BackendError e = row.errors().stream().filter(x -> x.backend().equals(b)).findFirst().orElse(null);
        line.append(e == null ? String.format(Locale.ROOT, " %20s", "-")
            : String.format(Locale.ROOT, " %9.1e (%7.1fx)", e.error().under(row.measure()), e.floorFactor()));
      }
      out.println(line.append("  ").append(row.furthest() == null ? "(all exact)" : row.furthest()));
    }
    for (String n : r.notes()) {
      out.println("note: " + n);
    }
    TruthLab.BackendSummary worst = r.furthest();
    if (worst == null) {
      out.println("no op outputs with a float64 truth");
      return;
    }
    StringBuilder verdict = new StringBuilder(String.format(Locale.ROOT,
        "furthest from the float64 truth: %s, error %.2e at '%s' (%s), %.1fx the float32 floor", worst.backend(),
        worst.worstError(), worst.worstTensor(), worst.worstOp(), worst.worstFloorFactor()));
    for (TruthLab.BackendSummary b : r.backends()) {
      if (b != worst) {
        verdict.append(String.format(Locale.ROOT, "; %s at most %.1fx ('%s')", b.backend(), b.worstFloorFactor(),
            b.worstTensor()));
      }
    }
    out.println(verdict);
  }

  private static double worstFactor(TruthLab.Row row) {
    return row.errors().stream().mapToDouble(TruthLab.BackendError::floorFactor).max().orElse(0);
  }

  private static String clip(String s, int n) {
    return s.length() <= n ? s : "..." + s.substring(s.length() - n + 3);
  }
}
