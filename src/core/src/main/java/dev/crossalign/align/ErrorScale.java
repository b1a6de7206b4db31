package dev.crossalign.align;

import java.util.Comparator;

/**
 * The one rule for numerically zero references, used by every report (console ranking, "largest difference", the
 * verdict line's max rel_l2, the HTML plots and histogram, JUnit). Where the reference's largest magnitude is below
 * {@link #NEGLIGIBLE} (a saturated sigmoid at 1e-16, a mask of zeros), rel_l2 = ||ref - cand|| / ||ref|| compares
 * rounding noise with rounding noise: 1.0 for 2.3e-16 against 0, and cosine 0. There the error that means something is
 * the absolute one against the tensor's scale, {@code max_abs / max(1, max|ref|)}: the same scale the tolerance's atol
 * is applied at (max(1, max|ref|) is 1 there), so a zero-reference tensor ranks with the others by how far it is from
 * passing, not by how small its reference is.
 */
public final class ErrorScale {
  /** References whose largest finite |value| is below this are numerically zero. */
  public static final double NEGLIGIBLE = 1e-6;

  private ErrorScale() {}

  /** The tensor's scale: max(|min_ref|, |max_ref|) over its finite elements (0 when it has none). */
  public static double maxAbsRef(Metrics m) {
    double a = Math.max(Math.abs(m.minRef()), Math.abs(m.maxRef()));
    return Double.isFinite(a) ? a : 0;
  }

  /** True when the reference is numerically zero, so rel_l2 and cosine say nothing about this comparison. */
  public static boolean zeroReference(Metrics m) {
    return maxAbsRef(m) < NEGLIGIBLE;
  }

  /**
   * The error each report ranks and shows: rel_l2, or for a numerically zero reference max_abs / max(1, max|ref|)
   * (which is max_abs).
   */
  public static double error(Metrics m) {
    if (Double.isNaN(m.relL2())) {
      return Double.NaN; // no finite pair (all NaN/Inf): ranked worst of all, before comparisons without numbers
    }
    return zeroReference(m) ? m.maxAbs() / Math.max(1.0, maxAbsRef(m)) : m.relL2();
  }

  /** What {@link #error} is for this comparison: "rel_l2" or "max_abs (zero reference)". */
  public static String errorName(Metrics m) {
    return zeroReference(m) ? "max_abs (zero reference)" : "rel_l2";
  }

  /** One sentence for a report's legend. */
  public static String rule() {
    return "where the reference is numerically zero (max|ref| < "
        + String.format(java.util.Locale.ROOT, "%.0e", NEGLIGIBLE) + "), rel_l2 and cosine say nothing:"
        + " those tensors are ranked and shown by max_abs (their absolute error at the tolerance's scale, 1)";
  }

  /**
   * Failing first, then by {@link #error} descending; comparisons without numbers (shape mismatch, missing) count as
   * worst.
   */
  public static Comparator<Comparison> worstFirst() {
    return Comparator.comparing((Comparison c) -> c.passed())
        .thenComparing(c -> c.metrics() == null ? Double.POSITIVE_INFINITY : error(c.metrics()),
            Comparator.reverseOrder());
  }
}
