package dev.crossalign.cli;

import dev.crossalign.align.AlignmentResult;
import dev.crossalign.align.TruthTable;
import dev.crossalign.align.Verdict;
import dev.crossalign.backend.BackendKind;
import dev.crossalign.backend.BackendKind.Ids;
import dev.crossalign.engine.ValidationRequest;
import dev.crossalign.engine.Validator;
import dev.crossalign.engine.truth.TruthViews;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "validate",
    mixinStandardHelpOptions = true,
    header = "Runs a .tflite model on TFLite and on the torch port (and ONNX Runtime) and compares every layer.",
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {Main.EXIT_ALIGNED, Main.EXIT_MISALIGNED, Main.EXIT_USAGE, Main.EXIT_UNSUPPORTED},
    description = {
      "Runs MODEL (a .tflite file; none = the embedded demo) on TFLite and on the candidate backends with the same",
      "seeded inputs, and compares every tensor both produce, chained and/or isolated."
    })
final class ValidateCommand implements Callable<Integer> {
  @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL", description = ".tflite model (default: the embedded demo)")
  Path model;

  @Option(names = "--backends", split = ",", defaultValue = Ids.TFLITE + "," + Ids.TORCH,
      paramLabel = Ids.TFLITE + "," + Ids.TORCH + "[," + Ids.ONNXRUNTIME + "]",
      converter = Converters.ValidateBackend.class,
      description = "Reference first: " + Ids.TFLITE + "," + Ids.TORCH + "[," + Ids.ONNXRUNTIME
          + "] (default: ${DEFAULT-VALUE})")
  List<BackendKind> backends;

  @Option(names = "--mode", defaultValue = "both", paramLabel = "chained|isolated|both",
      converter = Converters.ModeConverter.class, description = "chained, isolated or both (default: ${DEFAULT-VALUE})")
  ValidationRequest.RunMode mode;

  @Option(names = "--export-onnx", paramLabel = "FILE", description = "Write the port as an ONNX model")
  Path exportOnnx;

  /** What decides the exit status: the fixed tolerances or the truth's derived bounds. */
  enum ToleranceMode {
    FIXED,
    AUTO
  }

  @Option(names = "--tolerance", defaultValue = "fixed", paramLabel = "fixed|auto",
      converter = Converters.ValidateToleranceConverter.class,
      description = "fixed (default): the verdict under --atol/--rtol/--chained-rel-l2; auto: the exit status is the "
          + "truth lab's verdict under tolerances derived from the math (every backend within each op output's bound "
          + "of the float64 truth, isolated, on the CPU), printed as one more line; implies --truth")
  ToleranceMode tolerance;

  @Option(names = "--truth", description = "Also evaluate every op in float64 on the reference's inputs (isolated, on "
      + "the CPU) and write each backend's error against it, the derived bound, the minimum tolerance and the "
      + "diagnoses of tensors outside their bound into the reports (JSON \"truth\", an HTML section); the fixed "
      + "tolerance still decides. Costs about two more isolated runs")
  boolean truth;

  @Mixin RunOptions run;
  @Mixin ReportOptions report;
  @Mixin TfliteDelegateOption tfliteDelegate;
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    boolean auto = tolerance == ToleranceMode.AUTO;
    report.checkTargets();
    report.outputs(run.inputFiles(new FilePlan().input("model " + model, model)))
        .output("--export-onnx", exportOnnx).check();
    run.checkNpzMembers(model);
    ValidationRequest req = new ValidationRequest(model, backends, mode, run.spec(), exportOnnx,
        auto ? ValidationRequest.Truth.AUTO : truth ? ValidationRequest.Truth.REPORT : ValidationRequest.Truth.OFF);
    Validator.Outcome outcome;
    List<String> phases = Validator.phaseNames(req);
    try (Progress progress = Progress.start("validate", phases.size(), report.quiet)) {
      progress.phase(phases.get(0));
      outcome = Validator.validate(req, phase -> {
        progress.step(1);
        int next = (int) progress.done();
        progress.phase(next < phases.size() ? "running " + phases.get(next) + opCount(next, phases) : "reporting");
      }, report.dumper());
    }
    AlignmentResult result = outcome.result();
    report.write(result, outcome.activations());
    if (tfliteDelegate.requested()
        && !tfliteDelegate.check(model, run, spec.commandLine().getOut())
        && result.verdict() == Verdict.ALIGNED) {
      return Main.MISALIGNED;
    }
    if (result.truth() != null && result.verdict() != Verdict.INCOMPLETE) {
      truthLine(result.truth(), auto);
    }
    return exitStatus(result);
  }

  /**
   * One line with the truth's verdict under the derived bounds (on stderr when a report takes stdout): under
   * {@code --tolerance auto} it is the exit status, under {@code --truth} a finding beside the fixed verdict.
   */
  private void truthLine(TruthTable t, boolean auto) {
    TruthTable.Auto a = t.auto();
    String line = (auto ? "--tolerance auto: " : "float64 truth (--truth, not the exit status): ")
        + (a.aligned() ? "ALIGNED" : "MISALIGNED") + ", " + TruthViews.headline(t)
        + (a.unbounded().isEmpty() ? "" : "; no bound (not judged): " + String.join(", ", a.unbounded()));
    java.io.PrintWriter w = report.reportOnStdout() ? spec.commandLine().getErr() : spec.commandLine().getOut();
    w.println(line);
    w.flush();
  }

  /** " (N ops)" for the phases that run the model op by op. */
  private String opCount(int phase, List<String> phases) {
    String name = phases.get(phase);
    if (name.equals("load") || name.equals("torch prepare")) {
      return "";
    }
    if (ops == null) {
      try {
        ops = (model == null ? dev.crossalign.tflite.TfliteModel.read(dev.crossalign.engine.DemoModel.bytes(),
            dev.crossalign.engine.DemoModel.LABEL) : dev.crossalign.tflite.TfliteModel.read(model)).main().operators()
            .size();
      } catch (RuntimeException e) {
        ops = -1; // the validation itself reports what is wrong with the model
      }
    }
    return ops < 0 ? "" : " (" + ops + " ops)";
  }

  private Integer ops;

  static int exitStatus(AlignmentResult result) {
    return switch (result.decidingVerdict()) {
      case ALIGNED -> Main.ALIGNED;
      case MISALIGNED -> Main.MISALIGNED;
      case INCOMPLETE -> Main.UNSUPPORTED;
    };
  }
}
