package dev.crossalign.engine;

import dev.crossalign.backend.BackendKind;
import dev.crossalign.UnsupportedOp;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.ReferenceBackend;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tflite.TfliteModel;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the reference run left: its tensors and what the interpreter said about them, read before it closes (the
 * interpreter's arena holds a second copy of every tensor; the comparisons read this copy). The tensors are views of
 * {@code store}, a temporary file written as the capture is read, so the reference, which every leg reads for the
 * whole validation, holds no heap and no native memory (pose_landmark_heavy: 194 MB); the legs drop the pages they
 * read ({@link LegContext#pageDrops}). Closing it closes the store; views handed out stay readable.
 */
record ReferenceRun(
    Activations activations,
    SpilledRun store,
    Map<String, String> info,
    List<String> placeholders,
    Set<String> placeholderOutputs,
    Set<String> downstream,
    double ms,
    double cpuMs) implements AutoCloseable {

  /**
   * Runs the reference and holds its capture. {@code openMs} and {@code openCpuMs}: what opening the interpreter cost
   * the caller (wall, and the calling thread's CPU time), counted in the run's timing.
   */
  static ReferenceRun of(ReferenceBackend tflite, Map<String, HostTensor> inputs, double openMs, double openCpuMs) {
    long t = System.nanoTime();
    long c = ThreadCpu.nanos();
    SpilledRun store = SpilledRun.create(tflite.name());
    try {
      List<String> outputs = tflite.run(inputs, store);
      return new ReferenceRun(store.activations(outputs), store, tflite.info(), tflite.placeholderCustomCodes(),
          tflite.placeholderOutputs(), tflite.downstreamOfPlaceholders(), openMs + Validator.ms(t),
          openCpuMs + ThreadCpu.msSince(c));
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
  }

  @Override
  public void close() {
    store.close();
  }

  /** The custom ops that ran as placeholders, each once, in the order first met. */
  Set<String> customOps() {
    return perCustomOp().keySet();
  }

  private Map<String, Integer> perCustomOp() {
    Map<String, Integer> n = new LinkedHashMap<>();
    placeholders.forEach(p -> n.merge(p, 1, Integer::sum));
    return n;
  }

  /** The reference's leg: its config, timing, and an unsupported entry per custom op it ran as a placeholder. */
  LegResult result(TfliteModel model, ValidationRequest req) {
    LegResult.Builder b = new LegResult.Builder();
    b.timing.put("run.tflite", ms);
    b.timing.put("cpu.run.tflite", cpuMs);
    info.forEach((k, v) -> b.config.put(BackendKind.TFLITE.configKey(k), v));
    perCustomOp().forEach((op, count) -> b.unsupported.add(new UnsupportedOp(op, count, Placeholders.placeholderReason(op))));
    return b.build(null);
  }
}
