package dev.crossalign.backend;

import dev.crossalign.UnsupportedOp;
import dev.crossalign.tensor.HostTensor;
import java.util.List;
import java.util.Map;

/**
 * A backend whose runs can hand each tensor to a {@link TensorSink} as it is produced, chained or per op on the
 * reference's tensors, so a validation compares and lets go of each instead of holding the whole run. What validate's
 * candidate legs need beyond {@link Backend}; found with {@link Backends#capability}.
 */
public interface StreamingBackend extends Backend, IsolatedRunner {
  /** The capture names of the tensors a run hands over, in run order (graph inputs included). */
  List<String> outputNames();

  /** What this backend could not lower: those ops' outputs are absent from its runs. */
  List<UnsupportedOp> unsupported();

  /** As {@link #run(Map)}, each tensor to {@code sink} as it comes instead of kept. */
  void run(Map<String, HostTensor> inputs, TensorSink sink);

  /** As {@link #runIsolated(Activations)}, each tensor to {@code sink} as it comes instead of kept. */
  void runIsolated(Activations reference, TensorSink sink);
}
