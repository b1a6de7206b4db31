package dev.crossalign.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/**
 * validate --tolerance auto: the exit status follows the derived bounds, not --atol/--rtol. With a zero fixed
 * tolerance the torch port's float32 rounding fails the fixed comparison (exit 1), while under the derived bounds the
 * same run is ALIGNED (exit 0).
 */
class ValidateAutoToleranceTest {

  @Test
  void autoJudgesByTheDerivedBoundsWhereAZeroFixedToleranceFails() {
    String[] strict = {"validate", "--backends", "tflite,torch", "--mode", "isolated", "--atol", "0", "--rtol", "0",
        "-q"};
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int fixed = Main.run(new PrintWriter(out), new PrintWriter(err), strict);
    assertThat(fixed).as(out + "\n" + err).isEqualTo(1);
    assertThat(out.toString()).doesNotContain("--tolerance auto");

    StringWriter out2 = new StringWriter();
    StringWriter err2 = new StringWriter();
    String[] auto = java.util.stream.Stream.concat(java.util.Arrays.stream(strict),
        java.util.stream.Stream.of("--tolerance", "auto")).toArray(String[]::new);
    int rc = Main.run(new PrintWriter(out2), new PrintWriter(err2), auto);
    assertThat(rc).as(out2 + "\n" + err2).isEqualTo(0);
    assertThat(out2.toString()).contains("--tolerance auto: ALIGNED, furthest from the float64 truth: ")
        .contains("; 17 op outputs bounded, every backend within its bound");
  }

  @Test
  void aBadModeIsAOneLineUsageError() {
    StringWriter err = new StringWriter();
    int rc = Main.run(new PrintWriter(new StringWriter()), new PrintWriter(err), "validate", "--tolerance", "loose");
    assertThat(rc).isEqualTo(2);
    assertThat(err.toString().strip()).contains("Invalid value for option '--tolerance': expected fixed or auto, got 'loose'").doesNotContain("\n");
  }
}
