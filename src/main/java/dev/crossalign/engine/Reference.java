package dev.crossalign.engine;

import dev.crossalign.backend.BackendKind;
import dev.crossalign.backend.BackendSpec;
import dev.crossalign.backend.Backends;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.backend.ReferenceBackend;
import dev.crossalign.backend.tflite.TfliteBackend;
import dev.crossalign.backend.tflite.TfliteOptions;
import dev.crossalign.tflite.TfliteModel;

/** Opens the TFLite reference on a model that has passed the pure-Java reader and the native-safety checks (run by TfliteBackend.open itself). */
public final class Reference {
  private Reference() {}

  public static TfliteBackend open(TfliteModel model, TfliteOptions options) {
    return TfliteBackend.open(model, options);
  }

  /**
   * validate's reference, through its provider: the TFLite interpreter on the CPU with {@code threads} threads and
   * placeholders for custom ops without a kernel (a capture), every tensor preserved.
   */
  public static ReferenceBackend capture(TfliteModel model, DeterminismConfig config, int threads) {
    BackendSpec spec = new BackendSpec(model, null, Device.CPU, config.withIntraOpThreads(threads),
        BackendSpec.Purpose.CAPTURE);
    return Backends.open(BackendKind.TFLITE, spec, ReferenceBackend.class);
  }
}
