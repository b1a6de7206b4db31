package dev.crossalign.align;

import dev.crossalign.tensor.HostTensor;

/**
 * One backend's float32 tensor against the float64 truth of the same op on the same inputs (issue 13).
 *
 * <p>{@code maxRelErr} is the largest elementwise {@code |b - t| / (|t| + scale)} with {@code scale = 1e-6 *
 * max|t|}: the relative error of each element wherever the element is meaningful at the tensor's scale (a sigmoid
 * output of 1.6e-4 counts, a conv output that cancelled to 1e-12 of a tensor whose largest value is 10 does not).
 * Its float32 rounding floor is about 2^-24 = 6e-8. {@code relL2} is ||b - t|| / ||t||, {@code maxAbs} the largest
 * |b - t|, {@code worstIndex} the flat position of the largest elementwise relative error with {@code truthAt} and
 * {@code valueAt} the two values there. Non-finite values on either side where the other differs count as an
 * infinite error. {@code scaledMaxAbs} is maxAbs / max|t|: the error against the tensor's scale, the measure for
 * reductions (a conv output that cancels to almost nothing carries the rounding of its large terms). Accumulated in
 * double.
 */
public record TruthError(
    double maxAbs, double relL2, double maxRelErr, double scaledMaxAbs, long worstIndex, double truthAt,
    double valueAt, long count) {

  /** Below this relative scale of the tensor's largest magnitude, an element's relative error is damped. */
  public static final double SCALE = 1e-6;

  public static TruthError of(HostTensor truth, HostTensor value) {
    long n = truth.numel();
    if (value.numel() != n) {
      throw new IllegalArgumentException("truth has " + n + " elements, the backend's tensor " + value.numel());
    }
    double maxT = 0;
    for (long i = 0; i < n; i++) {
      double t = truth.getDouble(i);
      if (Double.isFinite(t)) {
        maxT = Math.max(maxT, Math.abs(t));
      }
    }
    double scale = SCALE * maxT + Double.MIN_NORMAL;
    double maxAbs = 0;
    double sumSq = 0;
    double sumSqT = 0;
    double maxRel = 0;
    long worst = n == 0 ? -1 : 0;
    for (long i = 0; i < n; i++) {
      double t = truth.getDouble(i);
      double b = value.getDouble(i);
      double d;
      if (!Double.isFinite(t) || !Double.isFinite(b)) {
        d = (Double.compare(t, b) == 0) ? 0 : Double.POSITIVE_INFINITY;
      } else {
        d = Math.abs(b - t);
        sumSq += d * d;
        sumSqT += t * t;
      }
      maxAbs = Math.max(maxAbs, d);
      double rel = d == 0 ? 0 : d / (Math.abs(t) + scale);
      if (rel > maxRel || Double.isNaN(rel)) {
        maxRel = Double.isNaN(rel) ? Double.POSITIVE_INFINITY : rel;
        worst = i;
      }
    }
    double relL2 = Math.sqrt(sumSq) / Math.max(Math.sqrt(sumSqT), Metrics.TINY);
    double truthAt = worst < 0 ? Double.NaN : truth.getDouble(worst);
    double valueAt = worst < 0 ? Double.NaN : value.getDouble(worst);
    double scaled = maxAbs == 0 ? 0 : maxAbs / Math.max(maxT, Double.MIN_NORMAL);
    return new TruthError(maxAbs, relL2, maxRel, scaled, worst, truthAt, valueAt, n);
  }

  /** The error under {@code measure}. */
  public double under(ErrorMeasure measure) {
    return measure == ErrorMeasure.ELEMENT_RELATIVE ? maxRelErr : scaledMaxAbs;
  }

  /** The float32 rounding floor of a truth tensor: the truth rounded to float32, measured the same way. */
  public static TruthError floor(HostTensor truth) {
    return of(truth, truth.toFloat32());
  }
}
