package dev.crossalign.backend;

import java.util.List;
import java.util.Set;

/**
 * A backend that can stand as validate's reference: besides its run, it says which custom ops it ran as
 * zero-writing placeholders and which tensors those zeros reach, so that the comparisons can leave them out. Found
 * with {@link Backends#capability}.
 */
public interface ReferenceBackend extends Backend {
  /** The custom_code of each node that ran as a placeholder, one entry per node, in node order. */
  List<String> placeholderCustomCodes();

  /** Capture names of the tensors written by placeholders: zeros, not the custom op's result. */
  Set<String> placeholderOutputs();

  /** Capture names of the tensors computed from a placeholder's zeros (placeholder outputs excluded). */
  Set<String> downstreamOfPlaceholders();
}
