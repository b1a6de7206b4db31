package dev.crossalign.align;

import dev.crossalign.CrossalignException;

/**
 * How far a candidate element may be from the reference element: {@code |ref - cand| <= atol + rtol * |ref|}. The
 * reference side scales the bound (as numpy.isclose scales by its second argument), so the test is not symmetric.
 */
public record Tolerance(double atol, double rtol) {
  /** The engine default; the CLI may override either value. */
  public static final Tolerance DEFAULT = new Tolerance(1e-5, 1e-4);

  public Tolerance {
    if (!(atol >= 0) || !Double.isFinite(atol)) {
      throw CrossalignException.input("atol must be a finite number >= 0, got " + atol);
    }
    if (!(rtol >= 0) || !Double.isFinite(rtol)) {
      throw CrossalignException.input("rtol must be a finite number >= 0, got " + rtol);
    }
  }

  /** Whether one pair of finite elements is within this tolerance. */
  public boolean allows(double ref, double cand) {
    return Math.abs(cand - ref) <= atol + rtol * Math.abs(ref);
  }
}
