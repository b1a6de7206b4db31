package dev.crossalign.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the CLI in-process with captured writers. */
final class CliTestSupport {
  record Run(int status, String out, String err) {}

  private CliTestSupport() {}

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Run(status, out.toString(), err.toString());
  }

  /**
   * A bad option value refused while the command line is parsed: exit 2, nothing on stdout, one line on stderr naming
   * the option and the reason, with the command's help hint, and never reaching the model ({@code notReached}: the
   * missing model's name, which a later check would have printed).
   */
  static void assertRefusedAtParse(Run r, String command, String option, String says, String notReached) {
    assertThat(r.status()).as(r.err()).isEqualTo(2);
    assertThat(r.err().strip().lines()).as(r.err()).hasSize(1);
    assertThat(r.err()).startsWith("crossalign: Invalid value for option '" + option + "'")
        .contains(says)
        .endsWith("(try 'crossalign " + command + " --help')\n")
        .doesNotContain(notReached);
    assertThat(r.out()).isEmpty();
  }
}
