package dev.crossalign.engine;

import dev.crossalign.backend.tflite.TfliteBackend;
import dev.crossalign.backend.tflite.TfliteOptions;
import dev.crossalign.tflite.TfliteModel;

/** Opens the TFLite reference on a model that has passed the pure-Java reader and the native-safety checks (run by TfliteBackend.open itself). */
public final class Reference {
  private Reference() {}

  public static TfliteBackend open(TfliteModel model, TfliteOptions options) {
    return TfliteBackend.open(model, options);
  }
}
