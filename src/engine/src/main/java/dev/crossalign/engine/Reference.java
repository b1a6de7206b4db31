package dev.crossalign.engine;

import dev.crossalign.backend.Backend;
import dev.crossalign.backend.BackendKind;
import dev.crossalign.backend.BackendSpec;
import dev.crossalign.backend.Backends;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.backend.ReferenceBackend;
import dev.crossalign.backend.tflite.TfliteBackend;
import dev.crossalign.backend.tflite.TfliteOptions;
import dev.crossalign.tflite.TfliteModel;

/**
 * Opens the TFLite reference through its provider, on a model that has passed the pure-Java reader and the
 * native-safety checks (run by the backend's own open).
 */
public final class Reference {
  private Reference() {}

  /**
   * The interpreter with exactly {@code options} (threads, delegate, placeholders), as the concrete backend for the
   * callers that read its plan or tensors by index (the delegate check, the GPU bundles, the truth lab).
   */
  public static TfliteBackend open(TfliteModel model, TfliteOptions options) {
    return Backends.open(BackendKind.TFLITE, spec(model, DeterminismConfig.DETERMINISTIC, options.threads())
        .withOptions(options), TfliteBackend.class);
  }

  /**
   * The interpreter with its builtin kernels and no placeholders, every tensor preserved: a custom op without a
   * kernel refuses the model (exit 3) instead of running as zeros. compare's TFLite side, where no op is skipped.
   */
  public static Backend exact(TfliteModel model, int threads) {
    return Backends.open(BackendKind.TFLITE, spec(model, DeterminismConfig.DETERMINISTIC, threads)
        .withOptions(TfliteOptions.defaults().withThreads(threads)));
  }

  /**
   * validate's reference, through its provider: the TFLite interpreter on the CPU with {@code threads} threads and
   * placeholders for custom ops without a kernel (a capture), every tensor preserved.
   */
  public static ReferenceBackend capture(TfliteModel model, DeterminismConfig config, int threads) {
    return Backends.open(BackendKind.TFLITE, spec(model, config, threads), ReferenceBackend.class);
  }

  private static BackendSpec spec(TfliteModel model, DeterminismConfig config, int threads) {
    return new BackendSpec(model, null, Device.CPU, config.withIntraOpThreads(threads), BackendSpec.Purpose.CAPTURE);
  }
}
