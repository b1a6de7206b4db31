package dev.crossalign.align;

/**
 * The per-side statistics of {@link Metrics} (one side of a compared pair): its finite elements' count, sum, min and
 * max, and its NaN and Inf counts and first non-finite position, accumulated chunk by chunk in flat order.
 */
final class SideStats {
  long finite;
  double sum;
  double min = Double.POSITIVE_INFINITY;
  double max = Double.NEGATIVE_INFINITY;
  long nan;
  long inf;
  long firstNonFinite = -1;

  /**
   * Adds {@code v[0..len)}, the elements at flat positions {@code base...}. The accumulators are locals inside the loop
   * (written back once per chunk) so that even the quick JIT tier (C1, no scalar replacement of fields) keeps them in
   * registers; the order of the additions is the element order, so the sums are the same doubles.
   */
  void add(double[] v, int len, long base) {
    long fin = finite;
    double s = sum;
    double lo = min;
    double hi = max;
    for (int i = 0; i < len; i++) {
      double x = v[i];
      if (Double.isFinite(x)) {
        fin++;
        s += x;
        if (x < lo) {
          lo = x;
        }
        if (x > hi) {
          hi = x;
        }
      } else {
        nonFinite(x, base + i);
      }
    }
    finite = fin;
    sum = s;
    min = lo;
    max = hi;
  }

  private void nonFinite(double x, long position) {
    if (x != x) {
      nan++;
    } else {
      inf++;
    }
    if (firstNonFinite < 0) {
      firstNonFinite = position;
    }
  }

  /** Largest finite |x| so far (0 when there is none): what {@link Tolerance#effectiveAtol} scales by. */
  double maxAbs() {
    return finite == 0 ? 0 : Math.max(max, -min);
  }

  double mean() {
    return finite > 0 ? sum / finite : Double.NaN;
  }

  double minOrNaN() {
    return finite > 0 ? min : Double.NaN;
  }

  double maxOrNaN() {
    return finite > 0 ? max : Double.NaN;
  }
}
