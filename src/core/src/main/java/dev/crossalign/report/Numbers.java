package dev.crossalign.report;

import java.math.BigDecimal;
import java.util.Locale;

/** Number formats for human-facing text. Locale-independent, so the console output is the same everywhere. */
final class Numbers {
  private Numbers() {}

  /** Scientific with {@code digits} after the point ("3.1e-07"); "nan"/"inf"/"-inf" for non-finite values. */
  static String sci(double v, int digits) {
    if (!Double.isFinite(v)) {
      return nonFinite(v);
    }
    return String.format(Locale.ROOT, "%." + digits + "e", v);
  }

  static String fixed(double v, int digits) {
    if (!Double.isFinite(v)) {
      return nonFinite(v);
    }
    return String.format(Locale.ROOT, "%." + digits + "f", v);
  }

  /**
   * The shortest exact form, like Python's repr/%g: plain for exponents -4..15 ("0.0001", "2.5"), else scientific
   * with a two-digit exponent ("1e-05", "3.25e+20").
   */
  static String shortest(double v) {
    if (!Double.isFinite(v)) {
      return nonFinite(v);
    }
    if (v == 0) {
      return "0";
    }
    BigDecimal d = new BigDecimal(Double.toString(v)).stripTrailingZeros();
    int exp = d.precision() - d.scale() - 1;
    if (exp >= -4 && exp < 16) {
      return d.toPlainString();
    }
    BigDecimal mant = d.movePointLeft(exp).stripTrailingZeros();
    return mant.toPlainString() + String.format(Locale.ROOT, "e%s%02d", exp < 0 ? "-" : "+", Math.abs(exp));
  }

  private static String nonFinite(double v) {
    return v != v ? "nan" : (v > 0 ? "inf" : "-inf");
  }
}
