package dev.crossalign.port;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.testutil.TestModels;
import dev.crossalign.tflite.TfliteModel;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * --threads reaches every pool libtorch uses, as each library reports it itself: ATen's intra-op count and the
 * OpenBLAS copy libtorch links (openblas_get_num_threads, which starts at the core count and which at::set_num_threads
 * does not touch).
 */
class ThreadSettingsTest {
  @Test
  void oneThreadReachesAtenAndLibtorchsOpenBlas() {
    assumeTrue(Runtime.getRuntime().availableProcessors() > 1,
        "on one core every pool already has one thread: nothing would tell the setting from the default");
    TfliteModel model = TfliteModel.read(TestModels.require("face_detection_short_range.tflite"));
    try (PortBackend port = PortBackend.open(model, Device.CPU, DeterminismConfig.DETERMINISTIC.withIntraOpThreads(1))) {
      Map<String, String> info = port.info();
      assertThat(info).containsEntry("threads.intra_op", "1");
      assertThat(info).containsEntry("threads.openblas", "1");
      // the nolapack copy (not linked by libtorch) is set too, but has been seen to report its core count after: only
      // recorded
      assertThat(info).containsKey("threads.openblas_nolapack");
      assertThat(info).containsKey("threads.inter_op");
    }
  }
}
