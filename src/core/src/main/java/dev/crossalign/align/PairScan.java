package dev.crossalign.align;

import dev.crossalign.tensor.HostTensor;

/**
 * The one pass of {@link Metrics#of(HostTensor, HostTensor, java.util.List, Tolerance, boolean)} over a reference
 * ("a") and a candidate ("b") in flat order, a chunk at a time: each side's {@link SideStats}, the pair statistics of
 * the finite pairs, the non-finite mismatches, and the distinct-value counts while they inform. Each accumulator sees
 * its elements in the same order as an element-by-element loop would, so every sum is the same double.
 *
 * <p>The tolerance test needs {@code atol' = atol * max(1, max|a|)} (a scaled atol), known only after the pass; the
 * pass counts the pairs outside the tolerance at the running max|a| (which is never above the final one, so no pair
 * outside at the final atol' is missed) and only when it found one counts again with the final atol'
 * ({@link #outOfTolerance}): a passing tensor costs one read of each side, where a separate max|a| pass cost two of
 * the reference.
 */
final class PairScan {
  static final int CHUNK = 8192;

  final SideStats a;
  /** {@link #a} came from an earlier comparison of the same reference tensor: not accumulated again, and final. */
  private final boolean aKnown;
  final SideStats b = new SideStats();
  final DistinctCounter da = new DistinctCounter(Metrics.DISTINCT_CAP);
  final DistinctCounter db = new DistinctCounter(Metrics.DISTINCT_CAP);
  boolean countingA = true;
  boolean countingB = true;
  long pairs;
  double maxAbs;
  long argmaxFinite = -1;
  double sumAbs;
  double sumDiff;
  double sumSqDiff;
  double sumSqA;
  double sumSqB;
  double dot;
  long nonFiniteMismatch;
  long firstMismatch = -1;
  /** Finite pairs outside the tolerance at the running max|a| (an upper bound of the final count). */
  private long maybeOut;
  private final double atol;
  private final double rtol;
  private final boolean scaleAtol;

  private PairScan(Tolerance tol, SideStats knownA) {
    this.a = knownA != null ? knownA : new SideStats();
    this.aKnown = knownA != null;
    this.atol = tol.atol();
    this.rtol = tol.rtol();
    this.scaleAtol = tol.scaleAtol();
  }

  /**
   * Scans {@code ref} against {@code cand} read through {@code perm} (null: flat). Without {@code distinctAlways} the
   * first {@link Metrics#DISTINCT_PROBE} elements are the probe: after them a side goes on counting distinct values
   * only if it is integer or looks quantized. {@code knownA}: the reference's own statistics from an earlier
   * comparison (the same tensor, read in the same flat order, so the same doubles), or null to accumulate them here;
   * known, they also give the final atol' up front, so the pass's count of pairs outside the tolerance is exact.
   */
  static PairScan of(HostTensor ref, HostTensor cand, ElementReader rb, Tolerance tol, boolean distinctAlways,
      SideStats knownA) {
    PairScan s = new PairScan(tol, knownA);
    ElementReader ra = new ElementReader(ref);
    long n = ref.numel();
    int chunk = (int) Math.min(CHUNK, Math.max(n, 1));
    double[] ca = new double[chunk];
    double[] cb = new double[chunk];
    int firstLen = distinctAlways ? chunk : Math.min(chunk, Metrics.DISTINCT_PROBE);
    for (long base = 0, len; base < n; base += len) {
      len = (int) Math.min(base == 0 ? firstLen : chunk, n - base);
      if (base > 0 && !distinctAlways) {
        s.countingA = s.countingA && (!ref.dtype().isFloating() || s.da.count() <= Metrics.QUANTIZED_PROBE_DISTINCT);
        s.countingB = s.countingB && (!cand.dtype().isFloating() || s.db.count() <= Metrics.QUANTIZED_PROBE_DISTINCT);
      }
      ra.read(ca, (int) len);
      rb.read(cb, (int) len);
      s.add(ca, cb, (int) len, base);
    }
    return s;
  }

  private void add(double[] ca, double[] cb, int len, long base) {
    if (countingA && !da.saturated()) {
      count(da, ca, len);
    }
    if (countingB && !db.saturated()) {
      count(db, cb, len);
    }
    if (!aKnown) {
      a.add(ca, len, base);
    }
    b.add(cb, len, base);
    addPairs(ca, cb, len, base, scaleAtol ? atol * Math.max(1.0, a.maxAbs()) : atol);
  }

  /**
   * The pair statistics of one chunk, pairs outside {@code atol' + rtol*|a|} counted at {@code tolA}; the accumulators
   * are locals written back once per chunk (see {@link SideStats#add}).
   */
  private void addPairs(double[] ca, double[] cb, int len, long base, double tolA) {
    long np = pairs;
    double mx = maxAbs;
    long arg = argmaxFinite;
    double sAbs = sumAbs;
    double sDiff = sumDiff;
    double sSqDiff = sumSqDiff;
    double sSqA = sumSqA;
    double sSqB = sumSqB;
    double sDot = dot;
    long out = maybeOut;
    for (int i = 0; i < len; i++) {
      double x = ca[i];
      double y = cb[i];
      if (Double.isFinite(x) && Double.isFinite(y)) {
        double d = y - x;
        double ad = Math.abs(d);
        np++;
        sAbs += ad;
        sDiff += d;
        sSqDiff += d * d;
        sSqA += x * x;
        sSqB += y * y;
        sDot += x * y;
        if (ad > mx || arg < 0) {
          mx = ad;
          arg = base + i;
        }
        if (!(ad <= tolA + rtol * Math.abs(x))) {
          out++;
        }
      } else if (!(x == y || (x != x && y != y))) {
        nonFiniteMismatch++;
        if (firstMismatch < 0) {
          firstMismatch = base + i;
        }
      }
    }
    pairs = np;
    maxAbs = mx;
    argmaxFinite = arg;
    sumAbs = sAbs;
    sumDiff = sDiff;
    sumSqDiff = sSqDiff;
    sumSqA = sSqA;
    sumSqB = sSqB;
    dot = sDot;
    maybeOut = out;
  }

  private static void count(DistinctCounter d, double[] v, int len) {
    for (int i = 0; i < len && !d.saturated(); i++) {
      d.add(v[i]);
    }
  }

  /**
   * Finite pairs with {@code |a-b| > atol' + rtol*|a|} at the final atol': the pass's count when it found none, when
   * atol is not scaled or when the reference's statistics were known (its threshold was the final one), else a second
   * read of both sides.
   */
  long outOfTolerance(HostTensor ref, ElementReader rb) {
    if (maybeOut == 0 || !scaleAtol || aKnown) {
      return maybeOut;
    }
    double tolA = atol * Math.max(1.0, a.maxAbs());
    ElementReader ra = new ElementReader(ref);
    long n = ref.numel();
    double[] ca = new double[(int) Math.min(CHUNK, n)];
    double[] cb = new double[ca.length];
    long out = 0;
    for (long base = 0; base < n; base += ca.length) {
      int len = (int) Math.min(ca.length, n - base);
      ra.read(ca, len);
      rb.read(cb, len);
      for (int i = 0; i < len; i++) {
        double x = ca[i];
        double y = cb[i];
        if (Double.isFinite(x) && Double.isFinite(y) && !(Math.abs(y - x) <= tolA + rtol * Math.abs(x))) {
          out++;
        }
      }
    }
    return out;
  }
}
