package dev.crossalign.align;

import dev.crossalign.tensor.HostTensor;

/**
 * The smallest fixed tolerance at which a candidate tensor would pass against its reference (issue 13, item 4):
 * {@code atol} with rtol = 0, in the units of {@link Tolerance}'s default scaled atol (atol * max(1, max|ref|));
 * {@code absAtol} the same without scaling (numpy.allclose's atol); {@code rtol} with atol = 0 (infinite when the
 * reference holds an exact zero the candidate misses). A pair with a non-finite element where the other side differs
 * passes at no tolerance: every field is then infinite.
 */
public record MinTolerance(double atol, double absAtol, double rtol) {
  public static final MinTolerance ZERO = new MinTolerance(0, 0, 0);

  public static MinTolerance of(HostTensor ref, HostTensor cand) {
    long n = ref.numel();
    if (cand.numel() != n) {
      throw new IllegalArgumentException("reference has " + n + " elements, the candidate " + cand.numel());
    }
    double maxRef = 0;
    double maxAbs = 0;
    double rtol = 0;
    for (long i = 0; i < n; i++) {
      double r = ref.getDouble(i);
      double c = cand.getDouble(i);
      if (!Double.isFinite(r) || !Double.isFinite(c)) {
        if (Double.compare(r, c) != 0) {
          return new MinTolerance(Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY);
        }
        continue;
      }
      maxRef = Math.max(maxRef, Math.abs(r));
      double d = Math.abs(c - r);
      maxAbs = Math.max(maxAbs, d);
      if (d > 0) {
        rtol = Math.max(rtol, Math.abs(r) == 0 ? Double.POSITIVE_INFINITY : d / Math.abs(r));
      }
    }
    return new MinTolerance(maxAbs / Math.max(1.0, maxRef), maxAbs, rtol);
  }

  /** The larger of each field: what a whole run needs. */
  public MinTolerance max(MinTolerance o) {
    return new MinTolerance(Math.max(atol, o.atol), Math.max(absAtol, o.absAtol), Math.max(rtol, o.rtol));
  }
}
