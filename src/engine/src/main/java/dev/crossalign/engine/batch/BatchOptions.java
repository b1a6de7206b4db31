package dev.crossalign.engine.batch;

import dev.crossalign.CrossalignException;
import dev.crossalign.backend.BackendKind;
import dev.crossalign.engine.RunSpec;
import dev.crossalign.engine.ValidationRequest;
import dev.crossalign.engine.WithRunSpec;
import java.util.List;

/**
 * What every row of a batch shares; a row's own columns (seed, input, atol, rtol, backends) override it.
 *
 * @param run device, config, generated-input range, tolerance with the chained rel_l2 budget, TFLite threads (its
 *     inputs and expected range are not used: a row names its own input)
 * @param modelsPerWorker how many opened models each worker keeps (least recently used one closed first)
 */
public record BatchOptions(
    List<BackendKind> backends, ValidationRequest.RunMode mode, RunSpec run, int modelsPerWorker)
    implements WithRunSpec {

  public BatchOptions {
    backends = List.copyOf(backends);
    java.util.Objects.requireNonNull(mode, "mode");
    java.util.Objects.requireNonNull(run, "run");
    if (modelsPerWorker < 1) {
      throw CrossalignException.input("models per worker must be at least 1, got " + modelsPerWorker);
    }
  }

  public static BatchOptions defaults() {
    ValidationRequest d = ValidationRequest.defaults(null);
    return new BatchOptions(d.backends(), d.mode(), d.run(), 2);
  }

  /** These options in another mode. */
  public BatchOptions withMode(ValidationRequest.RunMode m) {
    return new BatchOptions(backends, m, run, modelsPerWorker);
  }

  public double chainedRelL2() {
    return run.relL2Budget();
  }

}
