package dev.crossalign.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.crossalign.backend.cudnn.Cudnn;
import dev.crossalign.testutil.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The CLI options of the GPU/delegate work: --conv-algos (determinism) and --tflite-delegate (validate). */
class GpuOptionsCliTest {

  private static Path delegate(String name) {
    Path p = Path.of(System.getProperty("user.dir"), "target", "native",
        "lib" + name + ".so");
    if (!Files.isRegularFile(p) && "true".equalsIgnoreCase(System.getenv("CI"))) {
      throw new AssertionError(p + " not built by native/build.sh; CI=true requires it");
    }
    assumeTrue(Files.isRegularFile(p), p + " not built (native/build.sh needs gcc)");
    return p;
  }

  @Test
  void convAlgosWithoutAGpuExitsTwoWithTheReason() {
    assumeTrue(!Files.exists(Path.of("/proc/driver/nvidia/version")), "an NVIDIA driver is present");
    String model = TestModels.require("face_detection_short_range.tflite").toString();
    CliTestSupport.Run r = CliTestSupport.run("determinism", model, "--conv-algos");
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err()).startsWith("crossalign: " + Cudnn.NEEDS_GPU).hasLineCount(1);
  }

  @Test
  void validateWithAnExternalDelegateThatClaimsNothing() {
    String lib = delegate("test_delegate").toString();
    String model = TestModels.require("face_detection_short_range.tflite").toString();
    CliTestSupport.Run r = CliTestSupport.run("validate", model, "--backends", "tflite,torch", "--mode", "chained",
        "--tflite-delegate", lib);
    assertThat(r.err()).isEmpty();
    assertThat(r.out()).contains("tflite delegate " + lib + ": took 0 of ");
    assertThat(r.out()).containsPattern("output regressors: max_abs 0\\.00 .* ok");
    assertThat(r.status()).isZero();
  }

  @Test
  void validateWithADelegateLackingTheSymbolIsExitTwo() {
    String lib = delegate("not_a_delegate").toString();
    String model = TestModels.require("face_detection_short_range.tflite").toString();
    CliTestSupport.Run r = CliTestSupport.run("validate", model, "--mode", "chained", "--tflite-delegate", lib);
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err()).contains("lacks the symbol tflite_plugin_create_delegate").hasLineCount(1);
  }

  @Test
  void validateWithAMissingDelegateNamesThePath() {
    String model = TestModels.require("face_detection_short_range.tflite").toString();
    CliTestSupport.Run r = CliTestSupport.run("validate", model, "--mode", "chained", "--tflite-delegate",
        "/no/such/libdelegate.so:backend=x");
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err()).contains("/no/such/libdelegate.so does not exist").hasLineCount(1);
  }
}
