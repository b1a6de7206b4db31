package dev.crossalign.align;

import dev.crossalign.tensor.HostTensor;

/**
 * A tolerance derived from the math (issue 13, item 2): for each element of an op's output, how far a correct float32
 * implementation may be from the float64 truth of the same op on the same float32 inputs. {@code limit} holds that
 * distance per element, in the reference's axes; {@code rule} says how it was derived, {@code terms} the K of an
 * accumulation (0 for others) and {@code ulps} the multiple of the unit roundoff u = 2^-24 applied to the result.
 *
 * <p>The rules (u = 2^-24, gamma_K = K u / (1 - K u), the standard bound on a float32 sum of K terms in any order):
 * EXACT (data movement, max, relu: no rounding) 0; ROUNDED (one or two roundings of an elementwise result) ulps * u *
 * |t|; TRANSCENDENTAL (exp, logistic, tanh, ...) ulps * u * |t| with the ulps a correctly implemented float32 library
 * keeps; ACCUMULATION (conv, matmul, mean, average pool) gamma_K * sum|w x| + ulps * u * |t| with sum|w x| evaluated in
 * float64 on the absolute inputs and weights; SOFTMAX, RESIZE and HARD_SWISH their own closed forms (see the engine's
 * rules). Every limit also carries {@link #TINY}, the smallest normal float32: flushing a subnormal result to zero is
 * not an error.
 */
public record Bound(Rule rule, long terms, double ulps, double[] limit) {
  /** The unit roundoff of float32: half an ulp at 1.0. */
  public static final double U = 0x1p-24;
  /** Absolute slack on every limit: the smallest normal float32 (a subnormal flushed to zero passes). */
  public static final double TINY = 0x1p-126;

  public enum Rule { EXACT, ROUNDED, TRANSCENDENTAL, ACCUMULATION, SOFTMAX, RESIZE, HARD_SWISH }

  /** gamma_K = K u / (1 - K u): the relative bound on a float32 sum of K terms (Higham, Accuracy and Stability, 3.1). */
  public static double gamma(long k) {
    double ku = k * U;
    return ku < 1 ? ku / (1 - ku) : Double.POSITIVE_INFINITY;
  }

  /** What a report lists for the bound: rule, K, ulps, the largest and the median-free smallest limit. */
  public record Summary(Rule rule, long terms, double ulps, double maxLimit, double minLimit) {}

  public Summary summary() {
    double max = 0;
    double min = Double.POSITIVE_INFINITY;
    for (double l : limit) {
      max = Math.max(max, l);
      min = Math.min(min, l);
    }
    return new Summary(rule, terms, ulps, max, limit.length == 0 ? 0 : min);
  }

  /**
   * How one backend's tensor stands against the bound: {@code factor} the largest |v - t| / (limit + allowance) over
   * the elements (at most 1 passes), at {@code worstIndex}, with the truth, the value and the limit there.
   */
  public record Check(double factor, long worstIndex, double truthAt, double valueAt, double limitAt) {
    public boolean within() {
      return factor <= 1;
    }
  }

  /**
   * {@code value} against {@code truth} (both in the reference's axes) under this bound, widened by
   * {@code allowanceAbs} absolute (a library's documented approximation error). Non-finite values on either side are
   * an infinite excess unless both sides hold the same value.
   */
  public Check check(HostTensor truth, HostTensor value, double allowanceAbs) {
    long n = truth.numel();
    if (n != limit.length || value.numel() != n) {
      throw new IllegalArgumentException("bound of " + limit.length + " elements against tensors of " + n + " and "
          + value.numel());
    }
    double worst = 0;
    long at = n == 0 ? -1 : 0;
    for (long i = 0; i < n; i++) {
      double t = truth.getDouble(i);
      double v = value.getDouble(i);
      double f;
      if (!Double.isFinite(t) || !Double.isFinite(v)) {
        f = Double.compare(t, v) == 0 ? 0 : Double.POSITIVE_INFINITY;
      } else {
        double d = Math.abs(v - t);
        f = d == 0 ? 0 : d / (limit[(int) i] + allowanceAbs);
      }
      if (f > worst) {
        worst = f;
        at = i;
      }
    }
    return at < 0 ? new Check(0, -1, Double.NaN, Double.NaN, Double.NaN)
        : new Check(worst, at, truth.getDouble(at), value.getDouble(at), limit[(int) at] + allowanceAbs);
  }
}
