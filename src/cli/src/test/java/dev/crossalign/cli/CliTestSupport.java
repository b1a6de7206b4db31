package dev.crossalign.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the CLI in-process with captured writers. */
final class CliTestSupport {
  record Run(int status, String out, String err) {}

  private CliTestSupport() {}

  /**
   * Writes {@code dir/custom.tflite}: one custom op named {@code code} over a [1,4,4,2] float input, which no TFLite
   * kernel, crossalign kernel or port family implements.
   */
  static java.nio.file.Path unknownCustomOpModel(java.nio.file.Path dir, String code) throws java.io.IOException {
    dev.crossalign.tflite.TfliteWriter w = new dev.crossalign.tflite.TfliteWriter();
    int x = w.input("x", dev.crossalign.tflite.TensorType.FLOAT32, 1, 4, 4, 2);
    int c = w.tensor("c", dev.crossalign.tflite.TensorType.FLOAT32, 1, 4, 4, 2);
    w.custom(code, new int[] {x}, new int[] {c}, new byte[0]);
    w.outputs(c);
    return java.nio.file.Files.write(dir.resolve("custom.tflite"), w.build());
  }

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
