package dev.crossalign.engine.compare;

import dev.crossalign.backend.Backend;
import dev.crossalign.backend.tflite.TfliteBackend;
import dev.crossalign.backend.tflite.TfliteOptions;
import dev.crossalign.tflite.TfliteModel;

/**
 * BackendConstructionTest's fixture (test sources only, never run): a use case that opens the TFLite interpreter
 * with its static factory instead of through the provider, which the construction rule must refuse.
 */
final class ArchFixtureDirectBackend {
  private ArchFixtureDirectBackend() {}

  static Backend opens(TfliteModel model) {
    return TfliteBackend.open(model, TfliteOptions.defaults());
  }
}
