package dev.crossalign.engine;

import dev.crossalign.backend.tflite.TfliteBackend;
import dev.crossalign.backend.tflite.TfliteOptions;
import dev.crossalign.tflite.NativeSafety;
import dev.crossalign.tflite.TfliteModel;

/** Opens the TFLite reference on a model that has passed the pure-Java reader and the native-safety checks. */
public final class Reference {
  private Reference() {}

  public static TfliteBackend open(TfliteModel model, TfliteOptions options) {
    NativeSafety.check(model);
    return TfliteBackend.open(model.bytes(), model.label(), options);
  }
}
