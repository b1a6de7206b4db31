package dev.crossalign.align;

import java.util.List;

/**
 * The ranked hypotheses for one backend's tensor that exceeds its derived bound: every variant that applies to the op
 * tested, best first (the one that makes the error vanish, then by the error left). {@code pattern} describes where
 * the error sits (e.g. "84% of the error in the last row and column"), a hint beside the tests.
 */
public record Diagnosis(String tensor, String op, String backend, double boundFactor, String pattern,
    List<Hypothesis> hypotheses) {

  /** The first hypothesis when it explains the error, else null. */
  public Hypothesis diagnosis() {
    return hypotheses.isEmpty() || !hypotheses.get(0).explains() ? null : hypotheses.get(0);
  }
}
