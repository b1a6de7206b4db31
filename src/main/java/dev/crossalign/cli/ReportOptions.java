package dev.crossalign.cli;

import dev.crossalign.align.AlignmentResult;
import dev.crossalign.backend.Activations;
import dev.crossalign.report.ConsoleReport;
import dev.crossalign.report.JsonReport;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Where the results go. */
final class ReportOptions {
  @Spec(Spec.Target.MIXEE) picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--json", paramLabel = "FILE", description = "Write the JSON report")
  Path json;

  @Option(names = "--html", paramLabel = "FILE", description = "Write the self-contained HTML report (plots, sortable table)")
  Path html;

  @Option(names = "--junit", paramLabel = "FILE", description = "Write JUnit XML: one testcase per compared tensor and pair")
  Path junit;

  @Option(names = "--dump-dir", paramLabel = "DIR",
      description = "Write every captured tensor, one .npz per backend run (NCHW tensors permuted to the reference's NHWC)")
  Path dumpDir;

  @Option(names = "--max-rows", defaultValue = "25", description = "Rows of the console table (default: ${DEFAULT-VALUE})")
  int maxRows;

  @Option(names = {"-q", "--quiet"}, description = "Only the verdict line on the console")
  boolean quiet;

  /** Adds this command's report outputs to {@code plan}. */
  FilePlan outputs(FilePlan plan) {
    return plan.output("--json", json).output("--html", html).output("--junit", junit)
        .outputDirectory("--dump-dir", dumpDir);
  }

  void write(AlignmentResult result, Map<String, Activations> activations) {
    PrintWriter out = spec.commandLine().getOut();
    if (json != null) {
      JsonReport.write(result, json);
    }
    if (html != null) {
      dev.crossalign.report.HtmlReport.write(result, ErrorSamples.of(result, activations), html);
    }
    if (junit != null) {
      dev.crossalign.report.JUnitReport.write(result, junit);
    }
    if (dumpDir != null) {
      Dumps.write(dumpDir, activations);
    }
    if (quiet) {
      out.println(ConsoleReport.verdictLine(result));
    } else {
      out.print(ConsoleReport.render(result, maxRows));
    }
    out.flush();
  }
}
