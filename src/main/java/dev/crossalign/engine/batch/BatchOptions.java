package dev.crossalign.engine.batch;

import dev.crossalign.CrossalignException;
import dev.crossalign.align.Tolerance;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.engine.ValidationRequest;
import java.util.List;

/**
 * What every row of a batch shares; a row's own columns (seed, input, atol, rtol, backends) override it.
 *
 * @param modelsPerWorker how many opened models each worker keeps (least recently used one closed first)
 */
public record BatchOptions(
    List<String> backends,
    ValidationRequest.RunMode mode,
    Device device,
    DeterminismConfig config,
    double inputLow,
    double inputHigh,
    Tolerance tolerance,
    double chainedRelL2,
    int tfliteThreads,
    int modelsPerWorker) {

  public BatchOptions {
    backends = List.copyOf(backends);
    if (modelsPerWorker < 1) {
      throw CrossalignException.input("models per worker must be at least 1, got " + modelsPerWorker);
    }
  }

  public static BatchOptions defaults() {
    ValidationRequest d = ValidationRequest.defaults(null);
    return new BatchOptions(d.backends(), d.mode(), d.device(), d.config(), d.inputLow(), d.inputHigh(),
        d.tolerance(), d.chainedRelL2(), d.tfliteThreads(), 2);
  }
}
