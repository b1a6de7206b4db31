package dev.crossalign.engine;

import dev.crossalign.align.InputChecks;
import dev.crossalign.align.Tolerance;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.tensor.HostTensor;
import java.util.Map;

/**
 * A request that carries a {@link RunSpec}: its shared components read through the request, written once here
 * instead of in every request record (validate, compare, batch).
 */
public interface WithRunSpec {
  RunSpec run();

  default Device device() {
    return run().device();
  }

  default DeterminismConfig config() {
    return run().config();
  }

  default Map<String, HostTensor> inputs() {
    return run().inputs();
  }

  default double inputLow() {
    return run().inputRange().low();
  }

  default double inputHigh() {
    return run().inputRange().high();
  }

  default Tolerance tolerance() {
    return run().tolerance();
  }

  default double relL2Budget() {
    return run().relL2Budget();
  }

  default InputChecks.ValueRange expectedRange() {
    return run().expectedRange();
  }

  default int tfliteThreads() {
    return run().tfliteThreads();
  }
}
