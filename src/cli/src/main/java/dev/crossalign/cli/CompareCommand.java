package dev.crossalign.cli;

import dev.crossalign.CrossalignException;
import dev.crossalign.align.AlignmentResult;
import dev.crossalign.engine.compare.CompareRequest;
import dev.crossalign.engine.compare.Comparer;
import dev.crossalign.engine.compare.Matching;
import dev.crossalign.engine.compare.TensorMatch;
import dev.crossalign.report.HtmlReport;
import dev.crossalign.report.JUnitReport;
import dev.crossalign.report.JsonReport;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "compare",
    mixinStandardHelpOptions = true,
    header = "Compares two models you converted yourself (.tflite, .onnx, TorchScript, .npz), tensor by tensor.",
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {Main.EXIT_ALIGNED, Main.EXIT_MISALIGNED, Main.EXIT_USAGE, Main.EXIT_UNSUPPORTED},
    description = {
      "Runs two models you bring (.tflite, .onnx, TorchScript .pt; or an .npz of tensors captured elsewhere)",
      "on the same inputs and compares every tensor that can be paired: by name, by graph structure, else by value",
      "(a TorchScript module's intermediates too: a frozen copy of its forward returns every tensor).",
      "The TFLite model is the reference whichever order the files are given in (else an ONNX model, else A).",
      "Exit 0 aligned, 1 a compared tensor fails, 2 unusable input, 3 model outputs that could not be paired."
    })
final class CompareCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "A", description = "One model: .tflite, .onnx, TorchScript (.pt) or .npz")
  Path a;

  @Parameters(index = "1", arity = "0..1", paramLabel = "B",
      description = "The other: .tflite, .onnx, TorchScript (.pt) or .npz (leave out with --torchscript)")
  Path b;

  @Option(names = "--torchscript", paramLabel = "F.pt", description = "A TorchScript module as B (the same as naming it as B)")
  Path torchscript;

  @Option(names = "--torchscript-layout", defaultValue = "auto", paramLabel = "auto|as-is|nchw",
      converter = Converters.TorchScriptLayoutConverter.class,
      description = "Rank-4 inputs for the TorchScript module: as A has them, permuted to NCHW, or auto (as is,"
          + " then NCHW if that fails; default: ${DEFAULT-VALUE})")
  CompareRequest.TorchScriptLayout torchscriptLayout;

  @Option(names = "--no-value-matching", description = "Do not pair tensors by value fingerprint")
  boolean noValueMatching;

  @Mixin RunOptions run;
  @Mixin ReportOptions report;

  @Override
  public Integer call() {
    if ((b == null) == (torchscript == null)) {
      throw CrossalignException.input(b == null ? "compare needs a second model B, or --torchscript F.pt"
          : "give either a second model B or --torchscript, not both");
    }
    report.checkTargets();
    report.outputs(run.inputFiles(new FilePlan().input("model A " + a, a).input("model B " + b, b)
        .input("--torchscript " + torchscript, torchscript))).check();
    CompareRequest req = new CompareRequest(a, b, torchscript, torchscriptLayout, run.spec(), !noValueMatching);
    Comparer.Outcome outcome;
    try (Progress progress = Progress.start("compare", 1, report.quiet)) {
      progress.phase("running both models, pairing and comparing their tensors");
      outcome = Comparer.compare(req);
    }
    AlignmentResult result = outcome.result();
    if (report.json != null) {
      ReportTarget.write(report.json, json(result, outcome.matching()), report.spec.commandLine().getOut());
    }
    PrintWriter stdout = report.spec.commandLine().getOut();
    if (report.html != null) {
      ReportTarget.write(report.html,
          HtmlReport.render(result, Comparer.errorSamples(outcome), matchingSections(outcome.matching())), stdout);
    }
    if (report.junit != null) {
      ReportTarget.write(report.junit, JUnitReport.render(result), stdout);
    }
    if (report.dumpDir != null) {
      Dumps.write(report.dumpDir, outcome.activations());
    }
    report.console(result);
    return ValidateCommand.exitStatus(result);
  }

  /** The HTML report's account of the matching: every pair with its method, and what stayed unpaired, with why. */
  static List<HtmlReport.Section> matchingSections(Matching m) {
    List<List<String>> pairs = new ArrayList<>();
    for (TensorMatch p : m.pairs()) {
      String how = m.reassemblies().get(p.a());
      pairs.add(List.of(p.a(), p.reassembly() == null ? p.b() : String.join(" + ", p.reassembly().parts()),
          p.method().jsonName().replace('_', ' '),
          p.margin() == null ? "" : String.format(Locale.ROOT, "%.3g", p.margin()),
          how != null ? how : p.permutation() == null ? "as is" : "permuted " + p.permutation()));
    }
    List<List<String>> unpaired = new ArrayList<>();
    for (Matching.UnpairedOutput u : m.unpairedOutputs()) {
      unpaired.add(List.of(u.side() + " output", u.tensor(), u.reason()));
    }
    m.unmatchedReasons().forEach((t, why) -> {
      if (m.unpairedOutputs().stream().noneMatch(u -> u.tensor().equals(t) && u.side().equals("reference"))) {
        unpaired.add(List.of("reference tensor", t, why));
      }
    });
    List<HtmlReport.Section> out = new ArrayList<>();
    out.add(new HtmlReport.Section("matching", "Matching: " + m.summary().replaceFirst("^matching: ", ""),
        List.of("reference", "candidate", "method", "margin", "how"), pairs));
    out.add(new HtmlReport.Section("unmatched", "Unmatched (" + unpaired.size() + ")",
        List.of("what", "tensor", "why"), unpaired));
    return out;
  }

  /** validate's JSON report with a "matching" object added after the report's own fields. */
  static String json(AlignmentResult result, Matching matching) {
    return JsonReport.toJson(result, "matching", matching.toJson());
  }
}
