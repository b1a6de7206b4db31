package dev.crossalign.backend;

import dev.crossalign.tensor.HostTensor;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A backend that can stand as validate's reference: besides its run, it says which custom ops it ran as
 * zero-writing placeholders and which tensors those zeros reach, so that the comparisons can leave them out. Found
 * with {@link Backends#capability}.
 */
public interface ReferenceBackend extends Backend {
  /**
   * As {@link #run(Map)}, each tensor handed to {@code sink} as it is read instead of kept (validate writes its
   * reference to a file as it comes); returns the run's output names. This default runs whole, then hands over.
   */
  default List<String> run(Map<String, HostTensor> inputs, TensorSink sink) {
    Activations all = run(inputs);
    all.tensors().forEach(sink::accept);
    return all.outputNames();
  }

  /** The custom_code of each node that ran as a placeholder, one entry per node, in node order. */
  List<String> placeholderCustomCodes();

  /** Capture names of the tensors written by placeholders: zeros, not the custom op's result. */
  Set<String> placeholderOutputs();

  /** Capture names of the tensors computed from a placeholder's zeros (placeholder outputs excluded). */
  Set<String> downstreamOfPlaceholders();
}
