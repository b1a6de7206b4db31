package dev.crossalign.backend;

/**
 * A backend that can run each op on the reference's own input tensors (isolated mode), so that a layer's error is its
 * own and not inherited from the layers before it.
 */
public interface IsolatedRunner {
  /**
   * For each op of the graph, feeds it the tensors {@code reference} holds for the op's inputs and returns what the op
   * produced, named after the reference tensors. Ops whose inputs the reference lacks are skipped.
   */
  Activations runIsolated(Activations reference);
}
