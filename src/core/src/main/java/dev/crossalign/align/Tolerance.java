package dev.crossalign.align;

import dev.crossalign.CrossalignException;

/**
 * How far a candidate element may be from the reference element: {@code |ref - cand| <= atol' + rtol * |ref|}. The
 * reference side scales the bound (as numpy.isclose scales by its second argument), so the test is not symmetric.
 *
 * <p>With {@code scaleAtol} (the default), {@code atol' = atol * max(1, max|ref|)} over the tensor: float32 rounding
 * error of a sum is proportional to the magnitude of its terms, not of its result, so an output element that cancels
 * to near zero in a layer whose values reach 100 carries ~1e-5 of honest rounding error. Without scaling, atol is
 * absolute, as numpy.allclose has it.
 *
 * <p>NaN and Inf never pass by default: a tensor holding one on either side fails even when both sides agree.
 * {@code acceptNonFinite} lets it pass when both sides agree element by element (NaN where NaN, the same-signed Inf
 * where Inf), for models where non-finite values are expected (masks of -inf, for example).
 */
public record Tolerance(double atol, double rtol, boolean scaleAtol, double relL2Budget, boolean acceptNonFinite) {
  /** The engine default; the CLI may override either value. */
  public static final Tolerance DEFAULT = new Tolerance(1e-5, 1e-4);

  public Tolerance(double atol, double rtol) {
    this(atol, rtol, true, -1);
  }

  public Tolerance(double atol, double rtol, boolean scaleAtol) {
    this(atol, rtol, scaleAtol, -1);
  }

  /** Non-finite values not accepted (the default). */
  public Tolerance(double atol, double rtol, boolean scaleAtol, double relL2Budget) {
    this(atol, rtol, scaleAtol, relL2Budget, false);
  }

  /** The same tolerance, accepting (or not) NaN/Inf that both sides hold at the same positions. */
  public Tolerance withAcceptNonFinite(boolean accept) {
    return new Tolerance(atol, rtol, scaleAtol, relL2Budget, accept);
  }

  /**
   * The same tolerance with an accumulated-error budget: a tensor whose elements are not all within atol/rtol still
   * passes when its rel_l2 is at most {@code budget}. Chained runs use it: after fifty layers, float32 rounding of
   * two correct implementations differs by more than any per-element bound meant for one layer.
   */
  public Tolerance withRelL2Budget(double budget) {
    return new Tolerance(atol, rtol, scaleAtol, budget, acceptNonFinite);
  }

  public Tolerance {
    if (!(atol >= 0) || !Double.isFinite(atol)) {
      throw CrossalignException.input("atol must be a finite number >= 0, got " + atol);
    }
    if (Double.isNaN(relL2Budget) || Double.isInfinite(relL2Budget)) {
      throw CrossalignException.input("rel_l2 budget must be a finite number, got " + relL2Budget);
    }
    if (!(rtol >= 0) || !Double.isFinite(rtol)) {
      throw CrossalignException.input("rtol must be a finite number >= 0, got " + rtol);
    }
  }

  /** Whether one pair of finite elements is within this tolerance. */
  public boolean allows(double ref, double cand) {
    return Math.abs(cand - ref) <= atol + rtol * Math.abs(ref);
  }

  /** The absolute part of the bound for a tensor whose largest finite |ref| is {@code maxAbsRef}. */
  public double effectiveAtol(double maxAbsRef) {
    return scaleAtol ? atol * Math.max(1.0, maxAbsRef) : atol;
  }
}
