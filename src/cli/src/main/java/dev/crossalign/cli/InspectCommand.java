package dev.crossalign.cli;

import dev.crossalign.engine.DemoModel;
import dev.crossalign.engine.ModelSummary;
import dev.crossalign.tflite.TfliteModel;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "inspect",
    mixinStandardHelpOptions = true,
    header = "Summarises a .tflite model: inputs, outputs, ops and which backend runs them, weights, FLOPs.",
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {Main.EXIT_DONE, Main.EXIT_USAGE},
    description = "Inputs, outputs, op histogram with backend support, custom ops, weights, parameters and FLOPs of MODEL.")
final class InspectCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL", description = ".tflite model (default: the embedded demo)")
  Path model;

  @Option(names = "--json", paramLabel = "FILE", description = "Write the summary as JSON ('-': stdout, instead of the table)")
  Path json;

  @Mixin SharedOptions.Verbose verbose;

  @Override
  public Integer call() {
    new FilePlan().input("model " + model, model).output("--json", json).check();
    TfliteModel m = model == null ? TfliteModel.read(DemoModel.bytes(), DemoModel.LABEL) : TfliteModel.read(model);
    ModelSummary s = ModelSummary.of(m, model == null ? DemoModel.LABEL : model.toString());
    PrintWriter out = spec.commandLine().getOut();
    if (json != null) {
      ReportTarget.writeJson("--json", json, s, out);
      if (ReportTarget.isStdout(json)) {
        return 0;
      }
    }
    out.println("model: " + s.model());
    for (ModelSummary.TensorSig t : s.inputs()) {
      out.println("  input  " + t.name() + " " + t.dtype() + " " + Arrays.toString(t.shape()));
    }
    for (ModelSummary.TensorSig t : s.outputs()) {
      out.println("  output " + t.name() + " " + t.dtype() + " " + Arrays.toString(t.shape()));
    }
    out.println(String.format(Locale.ROOT, "ops (%d kinds):            count  tflite  torch  onnxruntime", s.ops().size()));
    for (Map.Entry<String, ModelSummary.OpCount> e : s.ops().entrySet()) {
      out.println(String.format(Locale.ROOT, "  %-26s %5d  %-6s  %-5s  %s", e.getKey(), e.getValue().count(),
          e.getValue().tflite() ? "yes" : "no", e.getValue().torch() ? "yes" : "no", e.getValue().onnxruntime() ? "yes" : "no"));
    }
    if (!s.customOps().isEmpty()) {
      out.println("custom ops: " + String.join(", ", s.customOps()));
    }
    out.println("weights: " + s.weightDtypes());
    out.println(String.format(Locale.ROOT, "parameters: %,d   FLOPs (estimate): %,d", s.parameters(), s.flops()));
    out.flush();
    return 0;
  }
}
