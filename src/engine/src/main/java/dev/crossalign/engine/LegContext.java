package dev.crossalign.engine;

import dev.crossalign.align.ReferenceStats;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.TensorSink;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tflite.TfliteModel;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * What every leg of one validation reads: the request, the model, the inputs, the reference run (held for the whole
 * validation: every candidate is compared with it, and isolated runs are fed its tensors) and the file holding it
 * ({@code referenceStore}, null when the reference is on the heap), where the worst pair's
 * tensors are kept, {@code dumps}: where each complete run goes as it ends (--dump-dir), null when nobody wants
 * whole runs, and {@code referenceStats}: the reference tensors' own statistics, shared by every comparison with them.
 */
record LegContext(
    ValidationRequest req,
    TfliteModel model,
    Map<String, HostTensor> inputs,
    Activations reference,
    SpilledRun referenceStore,
    WorstPair worst,
    BiConsumer<String, Activations> dumps,
    ReferenceStats referenceStats) {

  /** With {@code referenceStats} of {@code reference}: each reference tensor's own statistics made once, for all legs. */
  LegContext(ValidationRequest req, TfliteModel model, Map<String, HostTensor> inputs, Activations reference,
      SpilledRun referenceStore, WorstPair worst, BiConsumer<String, Activations> dumps) {
    this(req, model, inputs, reference, referenceStore, worst, dumps, new ReferenceStats(reference));
  }

  /**
   * The last sink of a streaming run: as its tensors go by, the pages that run's comparisons and feeds read from the
   * reference's file and from {@code held} (ONNX Runtime's run compared with, or null) leave the process's RSS again
   * ({@link SpilledRun#readAndDrop}). A null {@code referenceStore}: a reference on the heap, nothing to drop.
   */
  TensorSink pageDrops(SpilledRun held) {
    return t -> {
      long bytes = t.tensor().data().remaining();
      if (referenceStore != null) {
        referenceStore.readAndDrop(bytes);
      }
      if (held != null) {
        held.readAndDrop(bytes);
      }
    };
  }

  void dump(String run, Activations acts) {
    if (dumps != null) {
      dumps.accept(run, acts);
    }
  }
}
