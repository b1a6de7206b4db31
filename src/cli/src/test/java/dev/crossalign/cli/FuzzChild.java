package dev.crossalign.cli;

import dev.crossalign.backend.BigStack;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A child JVM of the fuzz suite: runs the CLI (in this process, with captured writers) on each case of a case file,
 * one line per case (id, TAB, arguments separated by U+001F), and reports "B id" before and "E id status err" after
 * each, so that the parent knows which case was running when a native crash killed this JVM.
 */
public final class FuzzChild {
  static final char ARG_SEP = '\u001f';

  private FuzzChild() {}

  public static void main(String[] args) throws Exception {
    List<String> lines = Files.readAllLines(Path.of(args[0]), StandardCharsets.UTF_8);
    PrintStream report = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
    BigStack.call("fuzz-child", () -> {
      for (String line : lines) {
        int tab = line.indexOf('\t');
        String id = line.substring(0, tab);
        String[] cliArgs = line.substring(tab + 1).split(String.valueOf(ARG_SEP));
        report.println("B " + id);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status;
        try {
          status = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), cliArgs);
        } catch (Throwable t) {
          status = 99;
          err.write("escaped Main.run: " + t);
        }
        report.println("E " + id + " " + status + " " + escape(err.toString()));
      }
      return 0;
    });
    System.exit(0);
  }

  static String escape(String s) {
    return s.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r");
  }

  static String unescape(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 1 < s.length()) {
        char n = s.charAt(++i);
        b.append(n == 'n' ? '\n' : n == 'r' ? '\r' : n);
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }
}
