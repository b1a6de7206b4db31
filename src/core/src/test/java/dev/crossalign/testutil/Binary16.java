package dev.crossalign.testutil;

/**
 * IEEE 754 binary16 -> binary32 by the format's definition, written out for tests as an oracle independent of
 * crossalign's own widening: (-1)^s * 2^(e-15) * (1 + m/1024) for normal numbers, 2^-14 * m/1024 for subnormals,
 * infinities and NaNs with their payload shifted into the float's mantissa.
 */
public final class Binary16 {
  private Binary16() {}

  /** The float32 bits of half {@code h} (its 16 bits in the low half of the int). */
  public static int widenedBits(int h) {
    int s = (h >>> 15) & 1;
    int e = (h >>> 10) & 0x1f;
    int m = h & 0x3ff;
    if (e == 0x1f) {
      return (s << 31) | 0x7f800000 | (m << 13);
    }
    double v = e == 0 ? Math.scalb(m / 1024.0, -14) : Math.scalb(1 + m / 1024.0, e - 15);
    return Float.floatToRawIntBits((float) (s == 1 ? -v : v));
  }
}
