package dev.crossalign.engine.gpu;

/**
 * Error of a candidate against a reference, accumulated in double: the two numbers the GPU check reports per tensor.
 *
 * @param maxAbs largest |ref - cand|; NaN when a NaN appears on one side only or the lengths differ
 * @param relL2 ||ref - cand|| / max(||ref||, 1e-30)
 */
public record Errors(double maxAbs, double relL2) {

  public static Errors of(float[] ref, float[] cand) {
    if (ref.length != cand.length) {
      return new Errors(Double.NaN, Double.NaN);
    }
    double m = 0;
    double num = 0;
    double den = 0;
    for (int i = 0; i < ref.length; i++) {
      double a = ref[i];
      double d = a - cand[i];
      if (Double.isNaN(d)) {
        if (!(Double.isNaN(a) && Double.isNaN(cand[i]))) {
          return new Errors(Double.NaN, Double.NaN);
        }
        continue;
      }
      m = Math.max(m, Math.abs(d));
      num += d * d;
      den += a * a;
    }
    return new Errors(m, Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30));
  }

  /** Whether two float arrays hold the same bits, element by element. */
  public static boolean bitwiseEqual(float[] a, float[] b) {
    if (a.length != b.length) {
      return false;
    }
    for (int i = 0; i < a.length; i++) {
      if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
        return false;
      }
    }
    return true;
  }
}
