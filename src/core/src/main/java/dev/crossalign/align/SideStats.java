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

  /** Adds {@code v[0..len)}, the elements at flat positions {@code base...}. */
  void add(double[] v, int len, long base) {
    for (int i = 0; i < len; i++) {
      double x = v[i];
      if (Double.isFinite(x)) {
        finite++;
        sum += x;
        if (x < min) {
          min = x;
        }
        if (x > max) {
          max = x;
        }
      } else {
        if (x != x) {
          nan++;
        } else {
          inf++;
        }
        if (firstNonFinite < 0) {
          firstNonFinite = base + i;
        }
      }
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
