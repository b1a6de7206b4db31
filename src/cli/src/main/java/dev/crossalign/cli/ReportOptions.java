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

  @Option(names = "--json", paramLabel = "FILE", description = "Write the JSON report ('-': stdout, the console table goes)")
  Path json;

  @Option(names = "--html", paramLabel = "FILE",
      description = "Write the self-contained HTML report: plots, sortable table ('-': stdout)")
  Path html;

  @Option(names = "--junit", paramLabel = "FILE",
      description = "Write JUnit XML: one testcase per compared tensor, pair and mode ('-': stdout)")
  Path junit;

  @Option(names = "--dump-dir", paramLabel = "DIR",
      description = "Write every captured tensor, one .npz per backend run (NCHW tensors permuted to the reference's NHWC)")
  Path dumpDir;

  @Option(names = "--max-rows", defaultValue = "25", paramLabel = "N", converter = Converters.AtLeast0.class,
      description = "Rows of the console table (default: ${DEFAULT-VALUE})")
  int maxRows;

  @Option(names = {"-q", "--quiet"}, description = "Only the verdict line on the console")
  boolean quiet;

  /** Adds this command's report outputs to {@code plan}. */
  FilePlan outputs(FilePlan plan) {
    return plan.output("--json", json).output("--html", html).output("--junit", junit)
        .outputDirectory("--dump-dir", dumpDir);
  }

  /**
   * What {@code --dump-dir} asks for, as the engine's per-run consumer: each backend run written as it ends, so that no
   * run is held past its own leg; null without {@code --dump-dir}.
   */
  java.util.function.BiConsumer<String, Activations> dumper() {
    return dumpDir == null ? null : (run, acts) -> Dumps.write(dumpDir, Map.of(run, acts));
  }

  /**
   * Writes the reports. {@code activations} are the tensors the engine kept for them (the worst comparison's pair,
   * for the HTML error histogram); the dumps were written by {@link #dumper()} while the validation ran.
   */
  void write(AlignmentResult result, Map<String, Activations> activations) {
    checkTargets();
    PrintWriter out = spec.commandLine().getOut();
    if (json != null) {
      ReportTarget.write(json, JsonReport.toJson(result), out);
    }
    if (html != null) {
      ReportTarget.write(html, dev.crossalign.report.HtmlReport.render(result, ErrorSamples.of(result, activations)),
          out);
    }
    if (junit != null) {
      ReportTarget.write(junit, dev.crossalign.report.JUnitReport.render(result), out);
    }
    console(result);
  }

  /** Refuses two reports on stdout before any work is done. */
  void checkTargets() {
    ReportTarget.atMostOneStdout("--json", json, "--html", html, "--junit", junit);
  }

  /** True when a report goes to stdout ("-"): the console table then stays off stdout. */
  boolean reportOnStdout() {
    return ReportTarget.isStdout(json) || ReportTarget.isStdout(html) || ReportTarget.isStdout(junit);
  }

  /**
   * The console table (or the verdict line with -q) on stdout; when a report went to stdout, only the verdict line,
   * on stderr, so that stdout holds the report alone.
   */
  void console(AlignmentResult result) {
    if (reportOnStdout()) {
      PrintWriter err = spec.commandLine().getErr();
      err.println(ConsoleReport.verdictLine(result));
      err.flush();
      return;
    }
    PrintWriter out = spec.commandLine().getOut();
    if (quiet) {
      out.println(ConsoleReport.verdictLine(result));
    } else {
      out.print(ConsoleReport.render(result, maxRows));
    }
    out.flush();
  }
}
