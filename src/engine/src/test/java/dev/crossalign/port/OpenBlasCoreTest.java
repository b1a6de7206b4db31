package dev.crossalign.port;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.backend.Backend;
import dev.crossalign.backend.BackendKind;
import dev.crossalign.backend.BackendSpec;
import dev.crossalign.backend.Backends;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.engine.InputGenerator;
import dev.crossalign.testutil.TestModels;
import dev.crossalign.tflite.TfliteModel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The torch backend's config says which kernels OpenBLAS runs, as OpenBLAS itself says: a fresh JVM with
 * OPENBLAS_CORETYPE pinned to an old kernel set (Sandybridge, which no current CPU gets by itself) reports that set
 * for both copies, and the pin; without the variable no pin is reported and the copies report OpenBLAS's own pick.
 */
class OpenBlasCoreTest {
  @Test
  void configReportsTheKernelsEachOpenBlasCopyRuns() throws Exception {
    Path model = TestModels.require("face_detection_short_range.tflite");
    String pinned = child(model, "Sandybridge");
    assertThat(pinned).contains("core.openblas=Sandybridge", "core.openblas_nolapack=Sandybridge",
        "config=Sandybridge (OPENBLAS_CORETYPE in the environment)", "config.core=Sandybridge");
    String own = child(model, null);
    assertThat(own).contains("config=null").containsPattern("core\\.openblas=[A-Za-z0-9]+");
  }

  private static String child(Path model, String coreType) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), FreshProcess.class.getName(), model.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().remove(OpenBlasCore.VARIABLE);
    if (coreType != null) {
      pb.environment().put(OpenBlasCore.VARIABLE, coreType);
    }
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(240, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return out;
  }

  /** The child: a torch port runs once and prints what OpenBLAS says and what the backend's config says. */
  static final class FreshProcess {
    public static void main(String[] args) {
      TfliteModel model = TfliteModel.read(Path.of(args[0]));
      try (Backend b = Backends.open(BackendKind.TORCH, new BackendSpec(model, null, Device.CPU,
          DeterminismConfig.DETERMINISTIC.withIntraOpThreads(1), BackendSpec.Purpose.LATENCY))) {
        b.run(InputGenerator.inputs(model, 0, -1, 1, java.util.Map.of()));
        OpenBlasCore.cores().forEach((lib, core) -> System.out.println("core." + lib + "=" + core));
        System.out.println("config=" + b.info().get("openblas_coretype"));
        System.out.println("config.core=" + b.info().get("openblas_core.openblas"));
      }
    }
  }
}
