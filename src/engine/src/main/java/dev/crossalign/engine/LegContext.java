package dev.crossalign.engine;

import dev.crossalign.backend.Activations;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tflite.TfliteModel;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * What every leg of one validation reads: the request, the model, the inputs, the reference run (held for the whole
 * validation: every candidate is compared with it, and isolated runs are fed its tensors), where the worst pair's
 * tensors are kept, and {@code dumps}: where each complete run goes as it ends (--dump-dir), null when nobody wants
 * whole runs.
 */
record LegContext(
    ValidationRequest req,
    TfliteModel model,
    Map<String, HostTensor> inputs,
    Activations reference,
    WorstPair worst,
    BiConsumer<String, Activations> dumps) {

  void dump(String run, Activations acts) {
    if (dumps != null) {
      dumps.accept(run, acts);
    }
  }
}
