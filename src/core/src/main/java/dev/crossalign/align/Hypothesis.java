package dev.crossalign.align;

/**
 * One tested explanation of a mismatch (issue 13, item 5): the op recomputed in float64 with a suspected variant (a
 * symmetric SAME pad, reversed input channels, fp16-rounded weights, another resize coordinate mode, ...) on the
 * reference's own inputs, and the backend's tensor measured against that recomputation. {@code errorBefore} is the
 * backend's largest error against the truth over max|truth|, {@code errorAfter} the same against the variant;
 * {@code boundFactorAfter} the backend's distance from the variant in times the op's derived bound. {@code explains}
 * when the variant brings the backend within its bound (the error vanishes).
 */
public record Hypothesis(String name, String detail, double errorBefore, double errorAfter, double boundFactorAfter,
    boolean explains) {

  /** How much of the error the variant removes: errorBefore / errorAfter (infinite when it matches exactly). */
  public double reduction() {
    return errorAfter == 0 ? Double.POSITIVE_INFINITY : errorBefore / errorAfter;
  }
}
