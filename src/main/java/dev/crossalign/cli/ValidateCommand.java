package dev.crossalign.cli;

import dev.crossalign.CrossalignException;
import dev.crossalign.align.AlignmentResult;
import dev.crossalign.align.Tolerance;
import dev.crossalign.align.Verdict;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.engine.ValidationRequest;
import dev.crossalign.engine.Validator;
import dev.crossalign.report.ConsoleReport;
import dev.crossalign.report.JsonReport;
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
    description = {
      "Runs MODEL (a .tflite file; none = the embedded demo) on TFLite and on the candidate backends with the same",
      "seeded inputs, and compares every tensor both produce, chained and/or isolated."
    })
final class ValidateCommand implements Callable<Integer> {
  @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL", description = ".tflite model (default: the embedded demo)")
  Path model;

  @Option(names = "--backends", split = ",", defaultValue = "tflite,torch",
      description = "Reference first: tflite,torch[,onnxruntime] (default: ${DEFAULT-VALUE})")
  List<String> backends;

  @Option(names = "--mode", defaultValue = "both", description = "chained, isolated or both (default: ${DEFAULT-VALUE})")
  String mode;

  @Option(names = "--export-onnx", paramLabel = "FILE", description = "Write the port as an ONNX model")
  Path exportOnnx;

  @Mixin RunOptions run;
  @Mixin ReportOptions report;
  @Mixin TfliteDelegateOption tfliteDelegate;
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    report.outputs(run.inputFiles(new FilePlan().input("model " + model, model)))
        .output("--export-onnx", exportOnnx).check();
    ValidationRequest req =
        new ValidationRequest(
            model,
            backends,
            ValidationRequest.RunMode.parse(mode),
            Device.parse(run.device),
            run.config(),
            run.inputs(),
            run.range()[0],
            run.range()[1],
            run.tolerance(),
            run.chainedRelL2,
            run.expectedRange(),
            exportOnnx,
            run.threads);
    Validator.Outcome outcome;
    try (Progress progress = Progress.start("validate", Validator.phases(req), report.quiet)) {
      outcome = Validator.validate(req, phase -> progress.step(1));
    }
    AlignmentResult result = outcome.result();
    report.write(result, outcome.activations());
    if (tfliteDelegate.requested()
        && !tfliteDelegate.check(model, run, spec.commandLine().getOut())
        && result.verdict() == Verdict.ALIGNED) {
      return Main.MISALIGNED;
    }
    return exitStatus(result);
  }

  static int exitStatus(AlignmentResult result) {
    return switch (result.verdict()) {
      case ALIGNED -> Main.ALIGNED;
      case MISALIGNED -> Main.MISALIGNED;
      case INCOMPLETE -> Main.UNSUPPORTED;
    };
  }
}
