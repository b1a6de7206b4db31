package dev.crossalign.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The run-spec options are typed: a bad value fails while picocli parses the command line (exit 2, one line naming
 * the option and what it takes, and the command's --help), before any file is looked at. Every case names a model
 * file that does not exist: were the value checked after parsing, the missing file would be the error instead.
 */
class RunSpecOptionsTest {
  private static final String MISSING = "/nonexistent/model.tflite";

  static Stream<Arguments> badValues() {
    return Stream.of(
        Arguments.of("validate", "--device", "tpu", "bad device 'tpu': expected cpu, cuda or cuda:N"),
        Arguments.of("validate", "--mode", "sideways", "bad --mode 'sideways': expected chained, isolated or both"),
        Arguments.of("validate", "--backends", "tflite,caffe",
            "unknown backend 'caffe': expected one of [tflite, torch, torch-xnnpack, onnxruntime]"),
        Arguments.of("validate", "--backends", "tflite,tflite-xnnpack",
            "unknown backend 'tflite-xnnpack': expected one of [tflite, torch, torch-xnnpack, onnxruntime]"),
        Arguments.of("validate", "--input-range", "1,0", "input range must be finite with low < high, got 1.0..0.0"),
        Arguments.of("validate", "--input-range", "3", "--input-range must be LOW,HIGH, got '3'"),
        Arguments.of("validate", "--threads", "0", "--threads must be at least 1, got 0"),
        Arguments.of("validate", "--atol", "-1", "must be a finite number >= 0, got '-1'"),
        Arguments.of("validate", "--rtol", "NaN", "must be a finite number >= 0, got 'NaN'"),
        Arguments.of("validate", "--chained-rel-l2", "Infinity", "must be a finite number, got 'Infinity'"),
        Arguments.of("validate", "--expected-range", "0,2", "--expected-range must be 0,1 or -1,1 or 0,255"),
        Arguments.of("truth", "--device", "gpu:x", "bad device 'gpu:x'"),
        Arguments.of("bench", "--backends", "tflite,cudnn",
            "unknown bench backend 'cudnn': expected one of [tflite, tflite-xnnpack, torch, torch-xnnpack,"
                + " onnxruntime]"),
        Arguments.of("bench", "--threads", "0", "--threads must be at least 1, got 0"),
        Arguments.of("bench", "--device", "tpu", "bad device 'tpu'"),
        Arguments.of("determinism", "--backends", "tflite-xnnpack",
            "unknown backend 'tflite-xnnpack': expected one of [tflite, torch, onnxruntime]"),
        Arguments.of("determinism", "--device", "cuda:x", "bad device 'cuda:x'"),
        Arguments.of("batch", "--backends", "tflite,caffe", "unknown backend 'caffe'"),
        Arguments.of("batch", "--mode", "sideways", "bad --mode 'sideways'"),
        Arguments.of("batch", "--isolation", "fork", "fork"),
        Arguments.of("batch", "--input-range", "0,0", "input range must be finite with low < high"));
  }

  @ParameterizedTest(name = "{0} {1} {2}")
  @MethodSource("badValues")
  void aBadValueFailsAtParseTime(String command, String option, String value, String says) {
    CliTestSupport.Run r = CliTestSupport.run(command, MISSING, option, value);
    CliTestSupport.assertRefusedAtParse(r, command, option, says, "nonexistent");
  }

  @Test
  void compareTakesTheSameRunSpecOptions() {
    CliTestSupport.Run r = CliTestSupport.run("compare", MISSING, MISSING, "--torchscript-layout", "sideways");
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err()).contains("--torchscript-layout must be auto, as-is or nchw, got 'sideways'")
        .doesNotContain("nonexistent");
    r = CliTestSupport.run("compare", MISSING, MISSING, "--device", "tpu");
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err()).contains("bad device 'tpu'").doesNotContain("nonexistent");
  }

  @Test
  void theHelpListsTheBackendsEachCommandTakes() {
    assertThat(help("validate")).contains("--backends=tflite,torch[,onnxruntime]")
        .contains("(default: tflite,torch)");
    assertThat(help("bench")).contains("Any of tflite, tflite-xnnpack, torch, onnxruntime (default:");
    assertThat(help("determinism")).contains("--backends=tflite,torch[,onnxruntime]");
  }

  /** The command's help with line wrapping undone. */
  private static String help(String command) {
    return CliTestSupport.run(command, "--help").out().replaceAll("\\s+", " ");
  }

  @Test
  void theReferenceMustComeFirst() {
    CliTestSupport.Run r = CliTestSupport.run("validate", "--backends", "torch,tflite");
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err()).isEqualTo("crossalign: --backends must start with tflite (the reference), got [torch, tflite]\n");
  }
}
