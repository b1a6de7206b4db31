package dev.crossalign.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.crossalign.CrossalignException;
import dev.crossalign.tensor.AtomicFiles;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Where one report goes: a file (written atomically), or stdout when the option's value is "-". */
final class ReportTarget {
  static final String STDOUT = "-";

  private ReportTarget() {}

  static boolean isStdout(Path target) {
    return target != null && target.toString().equals(STDOUT);
  }

  /** Writes {@code text} to the file, or prints it on {@code out} for "-". */
  static void write(Path target, String text, PrintWriter out) {
    if (isStdout(target)) {
      out.print(text);
      if (!text.endsWith("\n")) {
        out.println();
      }
      out.flush();
    } else {
      AtomicFiles.write(target, text.getBytes(StandardCharsets.UTF_8));
    }
  }

  /**
   * The mapper of the CLI's own JSON documents (inspect, truth, determinism): snake_case keys, indented. The
   * validate/compare report has its own writer (report.JsonReport), bench and batch theirs in the engine.
   */
  static final ObjectMapper JSON = new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .enable(SerializationFeature.INDENT_OUTPUT);

  /** {@code doc} as {@link #JSON} to the file of {@code option}, or on {@code out} for "-". */
  static void writeJson(String option, Path target, Object doc, PrintWriter out) {
    String text;
    try {
      text = JSON.writeValueAsString(doc);
    } catch (JsonProcessingException e) {
      throw CrossalignException.input(option + " " + target + ": cannot write (" + e.getMessage() + ")");
    }
    write(target, text, out);
  }

  /** At most one report can go to stdout; two would interleave. {@code options} alternates names and values. */
  static void atMostOneStdout(Object... namesAndTargets) {
    List<String> onStdout = new ArrayList<>();
    for (int i = 0; i < namesAndTargets.length; i += 2) {
      if (isStdout((Path) namesAndTargets[i + 1])) {
        onStdout.add((String) namesAndTargets[i]);
      }
    }
    if (onStdout.size() > 1) {
      throw CrossalignException.input(String.join(" and ", onStdout) + " both write to stdout ('-'): give one of them a"
          + " file name");
    }
  }
}
