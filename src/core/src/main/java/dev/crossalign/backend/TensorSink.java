package dev.crossalign.backend;

/**
 * Receives a backend run's tensors one at a time, in the order the run produces them (topological), so that a caller
 * can compare or write each and let it go instead of holding the whole run. A tensor handed over is the sink's: the
 * backend keeps no reference to it. {@link Activations.Builder} is the sink that keeps everything.
 */
@FunctionalInterface
public interface TensorSink {
  void accept(CapturedTensor t);
}
