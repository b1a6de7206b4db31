package dev.crossalign.backend;

import dev.crossalign.tensor.HostTensor;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A backend of a graph format whose every node output can be fetched (ONNX Runtime), asked for only the tensors a
 * caller compares and handed them one at a time: validate's ONNX legs (chained, and isolated on the isolated form) need
 * this beyond {@link Backend}; found with {@link Backends#capability}.
 */
public interface SelectiveCapture extends Backend {
  /**
   * Runs the graph once per batch of about {@code fetchBatchBytes} of kept outputs ({@link Long#MAX_VALUE}: one run),
   * handing {@code sink} the inputs and then each fetched tensor whose name {@code keep} accepts (and every graph
   * output) as soon as it is on the host; none is kept here.
   */
  void run(Map<String, HostTensor> feeds, Predicate<String> keep, TensorSink sink, long fetchBatchBytes);

  /** As {@link #run(Map, Predicate, TensorSink, long)} in one run. */
  default void run(Map<String, HostTensor> feeds, Predicate<String> keep, TensorSink sink) {
    run(feeds, keep, sink, Long.MAX_VALUE);
  }
}
