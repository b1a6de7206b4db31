package dev.crossalign.engine.compare;

import dev.crossalign.backend.Backend;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.tflite.TfliteBackend;
import dev.crossalign.backend.tflite.TfliteOptions;
import dev.crossalign.port.PortBackend;
import dev.crossalign.tflite.TfliteModel;

/**
 * BackendConstructionTest's fixture (test sources only, never run): a use case that opens the TFLite interpreter
 * with its static factory, and the float64 port with its own, instead of through the providers, which the
 * construction rule must refuse.
 */
final class ArchFixtureDirectBackend {
  private ArchFixtureDirectBackend() {}

  static Backend opens(TfliteModel model) {
    return TfliteBackend.open(model, TfliteOptions.defaults());
  }

  static Backend truth(TfliteModel model) {
    return PortBackend.openFloat64(model, DeterminismConfig.DETERMINISTIC);
  }
}
