package dev.crossalign.engine.compare;

/**
 * A candidate tensor of B for a tensor of A, as the value-based passes rank them: its rel_l2 (a lower bound from the
 * norms when {@code bound}) and cosine.
 */
record Candidate(String b, double rel, double cos, boolean bound) {
  /** Whether its values agree with A's well enough to pair on values alone. */
  boolean agrees() {
    return !bound && cos > TensorMatcher.VALUE_COSINE && rel < TensorMatcher.VALUE_REL_L2;
  }

  /** How many times farther the runner-up is than the best (rel_l2 ratio); null when there is no runner-up. */
  static Double margin(double best, double second) {
    return Double.isInfinite(second) ? null : second / Math.max(best, 1e-12);
  }
}
