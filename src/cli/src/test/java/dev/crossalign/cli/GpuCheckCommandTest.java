package dev.crossalign.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.crossalign.CrossalignException;
import dev.crossalign.backend.cudnn.Cudnn;
import dev.crossalign.engine.DemoModel;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The GPU check's command (moved out of engine so that picocli stays in the CLI module): bad values fail while the
 * command line is parsed, before any bundle is read (the bundle named here does not exist), with one line and exit 2;
 * a leg's refusal is one line on stderr after its stdout lines. The legs themselves: engine's GpuCheckTest.
 */
class GpuCheckCommandTest {
  @TempDir Path tmp;

  static CliTestSupport.Run gpuCheck(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status = GpuCheckCommand.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new CliTestSupport.Run(status, out.toString(), err.toString());
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
    "--repeat, 1, --repeat must be at least 2, got 1",
    "--repeat, two, must be a whole number, got 'two'",
    "--iterations, 0, --iterations must be at least 1, got 0",
    "--warmup, -1, must be at least 0, got -1",
    "--device, x, must be a whole number, got 'x'"
  })
  void badCudnnValuesFailAtParseTime(String option, String value, String message) {
    CliTestSupport.Run r = gpuCheck("cudnn", "--bundle", tmp.resolve("none").toString(), "--json",
        tmp.resolve("x.json").toString(), option, value);
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err().strip()).doesNotContain("\n").startsWith("gpu-check cudnn: Invalid value for option '" + option)
        .contains(message).endsWith("(try 'gpu-check cudnn --help')");
    assertThat(r.out()).isEmpty();
    assertThat(tmp.resolve("x.json")).doesNotExist();
  }

  @Test
  void aModelWithoutANameIsAUsageError() {
    CliTestSupport.Run r = gpuCheck("export", "--bundle", tmp.toString(), "--model", "face.tflite");
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err().strip()).doesNotContain("\n").startsWith("gpu-check export: ").contains("KEY=VALUE");
  }

  @Test
  void aMissingBundleIsOneLine() {
    CliTestSupport.Run r = gpuCheck("cpu", "--bundle", tmp.resolve("nope").toString(), "--json",
        tmp.resolve("x.json").toString());
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err().strip()).startsWith("gpu-check cpu: ").contains("not a GPU bundle").doesNotContain("\n");
  }

  @Test
  void cudnnWithoutAGpuPrintsItsLineAndOneRefusal() throws Exception {
    assumeTrue(!gpuPresent(), "a GPU is present: the refusal cannot be seen here");
    Path model = tmp.resolve("demo.tflite");
    Files.write(model, DemoModel.bytes());
    Path bundle = tmp.resolve("bundle");
    CliTestSupport.Run export = gpuCheck("export", "--bundle", bundle.toString(), "--model", "demo=" + model);
    assertThat(export.status()).as(export.err()).isZero();
    assertThat(export.out()).startsWith("export: demo: ");
    CliTestSupport.Run r = gpuCheck("cudnn", "--bundle", bundle.toString(), "--json",
        tmp.resolve("cudnn.json").toString(), "--no-truth");
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err().strip()).isEqualTo("gpu-check cudnn: " + r.out().strip().replaceFirst("^cudnn: unavailable: ", ""))
        .startsWith("gpu-check cudnn: " + Cudnn.NEEDS_GPU);
    assertThat(Files.readString(tmp.resolve("cudnn.json"))).contains("\"unavailable\"");
  }

  private static boolean gpuPresent() {
    try {
      Cudnn.require();
      return true;
    } catch (CrossalignException e) {
      return false;
    }
  }
}
