package dev.crossalign.align;

import dev.crossalign.tensor.HostTensor;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * How one candidate tensor differs from its reference, accumulated in double over the flat (row-major) elements.
 * "a" is the reference, "b" the candidate; both have the same number of elements (after {@link LayoutAligner}).
 *
 * <p>Conventions, so that every field has one meaning:
 *
 * <ul>
 *   <li>A position is a <em>finite pair</em> when both elements are finite. The difference statistics ({@code maxAbs},
 *       {@code meanAbs}, {@code relL2}, {@code cosine}, {@code meanDiff}, {@code sumDiff}) are over the finite pairs
 *       only; non-finite values are counted instead ({@code nan*}, {@code inf*}, {@code nonFiniteMismatch}).
 *   <li>A non-finite element agrees only with the identical non-finite value at the same position on the other side
 *       (NaN and NaN, +Inf and +Inf, -Inf and -Inf); anything else is a {@code nonFiniteMismatch}.
 *       {@code firstNonFiniteRef}/{@code firstNonFiniteCand} are the flat index of each side's first NaN or Inf (-1
 *       when none).
 *   <li>{@code pass}: no NaN or Inf on either side, unless the tolerance accepts non-finite values
 *       ({@link Tolerance#acceptNonFinite()}) and they agree element by element (no non-finite mismatch); and either
 *       every finite pair has {@code |a-b| <= atol' + rtol*|a|}
 *       (see {@link Tolerance}) or the tensor's rel_l2 is within the tolerance's accumulated-error budget (chained
 *       mode only; the budget is -1, i.e. none, by default).
 *   <li>The per-side statistics ({@code mean*}, {@code min*}, {@code max*}) are over that side's finite elements.
 *   <li>An average over nothing is NaN (a mean with no finite element); a sum over nothing is 0; {@code maxAbs} over
 *       no finite pair is 0; min/max over nothing are NaN. The JSON report writes NaN as null.
 *   <li>{@code relL2 = ||a-b|| / max(||a||, 1e-30)}; {@code cosine = a.b / (||a|| ||b||)}, 1.0 when both sides are
 *       all zero, 0.0 when exactly one is. Both are NaN when a non-empty tensor has no finite pair: all-NaN on both
 *       sides is not a rel_l2 of 0.
 *   <li>{@code distinctRef}/{@code distinctCand} count distinct values (all elements, NaN counted once, -0 as 0)
 *       exactly up to {@link #DISTINCT_CAP}; the value {@code DISTINCT_CAP} means "at least DISTINCT_CAP" (see
 *       {@link #distinctRefSaturated()}); -1 means "not counted" (a passing continuous tensor compared with
 *       {@code distinctAlways} false, as validate does).
 *   <li>{@code argmax} is the flat index of the worst element: the first non-finite mismatch if there is one, else
 *       the first position of the largest {@code |a-b|} (-1 for an empty tensor); {@code argmaxIndex} is the same
 *       position as a multi-index in the reference's shape, and {@code refAtArgmax}/{@code candAtArgmax} the two
 *       values there (NaN for an empty tensor).
 * </ul>
 */
public record Metrics(
    long count,
    long finitePairs,
    double maxAbs,
    double meanAbs,
    double relL2,
    double cosine,
    double meanRef,
    double meanCand,
    double meanDiff,
    double sumDiff,
    double minRef,
    double maxRef,
    double minCand,
    double maxCand,
    long nanRef,
    long nanCand,
    long infRef,
    long infCand,
    int distinctRef,
    int distinctCand,
    long argmax,
    List<Integer> argmaxIndex,
    double refAtArgmax,
    double candAtArgmax,
    long outOfTolerance,
    long nonFiniteMismatch,
    long firstNonFiniteRef,
    long firstNonFiniteCand,
    boolean pass) {

  /** Distinct counting stops here: a distinct count equal to this means "this many or more". */
  public static final int DISTINCT_CAP = 4096;

  /** The floor of the rel_l2 denominator, so that an all-zero reference gives a finite (huge) ratio. */
  public static final double TINY = 1e-30;

  private static final int CHUNK = 8192;

  /** How many leading elements decide whether a side looks quantized (see {@link #of(HostTensor, HostTensor, List, Tolerance, boolean)}). */
  static final int DISTINCT_PROBE = 1024;

  /** At most this many distinct values among the probe's elements: the side looks quantized, its count goes on. */
  static final int QUANTIZED_PROBE_DISTINCT = 256;

  public Metrics {
    argmaxIndex = List.copyOf(Objects.requireNonNull(argmaxIndex, "argmaxIndex"));
  }

  /** NaN or Inf on either side. */
  public boolean hasNonFinite() {
    return nanRef + nanCand + infRef + infCand > 0;
  }

  public boolean distinctRefSaturated() {
    return distinctRef >= DISTINCT_CAP;
  }

  public boolean distinctCandSaturated() {
    return distinctCand >= DISTINCT_CAP;
  }

  /**
   * Compares {@code cand} with {@code ref} element by element in flat order, in one pass. The shapes need not match
   * (the multi-index uses the reference's shape), the element counts must.
   *
   * @throws IllegalArgumentException when the element counts differ
   */
  /** Largest finite |x| of a tensor (0 when it has none). */
  static double maxAbsFinite(HostTensor t) {
    long n = t.numel();
    if (n == 0) {
      return 0;
    }
    ElementReader r = new ElementReader(t);
    int chunk = (int) Math.min(CHUNK, n);
    double[] buf = new double[chunk];
    double m = 0;
    for (long base = 0; base < n; base += chunk) {
      int len = (int) Math.min(chunk, n - base);
      r.read(buf, len);
      for (int i = 0; i < len; i++) {
        double a = Math.abs(buf[i]);
        if (a > m && a != Double.POSITIVE_INFINITY) {
          m = a;
        }
      }
    }
    return m;
  }

  public static Metrics of(HostTensor ref, HostTensor cand, Tolerance tol) {
    return of(ref, cand, null, tol);
  }

  /**
   * As {@link #of(HostTensor, HostTensor, Tolerance)}, with {@code cand} read through the axis permutation {@code
   * permutation} (torch.permute style, as {@link LayoutAligner.Matched#permutation()} gives it; null: as is) instead of
   * a permuted copy: an NCHW candidate against an NHWC reference costs no allocation.
   */
  public static Metrics of(HostTensor ref, HostTensor cand, List<Integer> permutation, Tolerance tol) {
    return of(ref, cand, permutation, tol, true);
  }

  /**
   * As {@link #of(HostTensor, HostTensor, List, Tolerance)}; with {@code distinctAlways} false the distinct values are
   * counted only where they inform: a failing tensor (both sides, in a second pass), an integer side, and a side that
   * looks quantized or degenerate (at most {@value #QUANTIZED_PROBE_DISTINCT} distinct values among its first
   * {@value #DISTINCT_PROBE} elements); elsewhere the count is -1, "not counted". Counting is a hash insert per
   * element, more than the rest of the loop together on a continuous tensor that passes, where it says nothing.
   */
  public static Metrics of(HostTensor ref, HostTensor cand, List<Integer> permutation, Tolerance tol,
      boolean distinctAlways) {
    Objects.requireNonNull(tol, "tol");
    int[] perm = permutation == null ? null : permutation.stream().mapToInt(Integer::intValue).toArray();
    long n = ref.numel();
    if (cand.numel() != n) {
      throw new IllegalArgumentException(
          "element counts differ: reference " + Arrays.toString(ref.shape()) + " (" + n + ") vs candidate "
              + Arrays.toString(cand.shape()) + " (" + cand.numel() + ")");
    }
    final double atol = tol.scaleAtol() ? tol.effectiveAtol(maxAbsFinite(ref)) : tol.atol();
    final double rtol = tol.rtol();
    ElementReader ra = new ElementReader(ref);
    ElementReader rb = ElementReader.of(cand, perm);
    DistinctCounter da = new DistinctCounter(DISTINCT_CAP);
    DistinctCounter db = new DistinctCounter(DISTINCT_CAP);
    int chunk = (int) Math.min(CHUNK, Math.max(n, 1));
    double[] ca = new double[chunk];
    double[] cb = new double[chunk];

    long finiteA = 0;
    long finiteB = 0;
    double sumA = 0;
    double sumB = 0;
    double minA = Double.POSITIVE_INFINITY;
    double maxA = Double.NEGATIVE_INFINITY;
    double minB = Double.POSITIVE_INFINITY;
    double maxB = Double.NEGATIVE_INFINITY;
    long nanA = 0;
    long nanB = 0;
    long infA = 0;
    long infB = 0;
    long pairs = 0;
    double maxAbs = 0;
    long argmaxFinite = -1;
    double sumAbs = 0;
    double sumDiff = 0;
    double sumSqDiff = 0;
    double sumSqA = 0;
    double sumSqB = 0;
    double dot = 0;
    long outOfTol = 0;
    long nonFiniteMismatch = 0;
    long firstMismatch = -1;
    long firstNonFiniteA = -1;
    long firstNonFiniteB = -1;

    // without distinctAlways the first chunk is the probe: after it a side goes on counting only if it is integer or
    // looks quantized
    boolean countingA = true;
    boolean countingB = true;
    int firstLen = distinctAlways ? chunk : Math.min(chunk, DISTINCT_PROBE);
    for (long base = 0, len; base < n; base += len) {
      len = (int) Math.min(base == 0 ? firstLen : chunk, n - base);
      if (base > 0 && !distinctAlways) {
        countingA = countingA && (!ref.dtype().isFloating() || da.count() <= QUANTIZED_PROBE_DISTINCT);
        countingB = countingB && (!cand.dtype().isFloating() || db.count() <= QUANTIZED_PROBE_DISTINCT);
      }
      ra.read(ca, (int) len);
      rb.read(cb, (int) len);
      boolean countA = countingA && !da.saturated();
      boolean countB = countingB && !db.saturated();
      for (int i = 0; i < len; i++) {
        double a = ca[i];
        double b = cb[i];
        boolean fa = Double.isFinite(a);
        boolean fb = Double.isFinite(b);
        if (countA) {
          da.add(a);
        }
        if (countB) {
          db.add(b);
        }
        if (fa) {
          finiteA++;
          sumA += a;
          if (a < minA) {
            minA = a;
          }
          if (a > maxA) {
            maxA = a;
          }
        } else {
          if (a != a) {
            nanA++;
          } else {
            infA++;
          }
          if (firstNonFiniteA < 0) {
            firstNonFiniteA = base + i;
          }
        }
        if (fb) {
          finiteB++;
          sumB += b;
          if (b < minB) {
            minB = b;
          }
          if (b > maxB) {
            maxB = b;
          }
        } else {
          if (b != b) {
            nanB++;
          } else {
            infB++;
          }
          if (firstNonFiniteB < 0) {
            firstNonFiniteB = base + i;
          }
        }
        if (fa && fb) {
          double d = b - a;
          double ad = Math.abs(d);
          pairs++;
          sumAbs += ad;
          sumDiff += d;
          sumSqDiff += d * d;
          sumSqA += a * a;
          sumSqB += b * b;
          dot += a * b;
          if (ad > maxAbs || argmaxFinite < 0) {
            maxAbs = ad;
            argmaxFinite = base + i;
          }
          if (!(ad <= atol + rtol * Math.abs(a))) {
            outOfTol++;
          }
        } else if (!(a == b || (a != a && b != b))) {
          nonFiniteMismatch++;
          if (firstMismatch < 0) {
            firstMismatch = base + i;
          }
        }
      }
    }

    double normA = Math.sqrt(sumSqA);
    double normB = Math.sqrt(sumSqB);
    double relL2 = n > 0 && pairs == 0 ? Double.NaN : Math.sqrt(sumSqDiff) / Math.max(normA, TINY);
    double cosine;
    if (n > 0 && pairs == 0) {
      cosine = Double.NaN;
    } else if (sumSqA == 0 && sumSqB == 0) {
      cosine = 1.0;
    } else if (sumSqA == 0 || sumSqB == 0) {
      cosine = 0.0;
    } else {
      cosine = Math.max(-1.0, Math.min(1.0, dot / (normA * normB)));
    }
    boolean pass = nonFiniteMismatch == 0
        && (firstNonFiniteA < 0 && firstNonFiniteB < 0 || tol.acceptNonFinite())
        && (outOfTol == 0 || relL2 <= tol.relL2Budget());
    if (!pass && !(countingA && countingB)) {
      // a failing tensor: its counts inform (a collapsed or quantized candidate), count them all
      da = countDistinct(ref, null);
      db = countDistinct(cand, perm);
      countingA = true;
      countingB = true;
    }
    long argmax = firstMismatch >= 0 ? firstMismatch : argmaxFinite;
    List<Integer> argmaxIndex = argmax < 0 ? List.of() : unravel(argmax, ref.shape());
    double refAt = argmax < 0 ? Double.NaN : ref.getDouble(argmax);
    double candAt = argmax < 0 ? Double.NaN : cand.getDouble(rb.sourceIndex(argmax));
    return new Metrics(
        n,
        pairs,
        maxAbs,
        pairs > 0 ? sumAbs / pairs : Double.NaN,
        relL2,
        cosine,
        finiteA > 0 ? sumA / finiteA : Double.NaN,
        finiteB > 0 ? sumB / finiteB : Double.NaN,
        pairs > 0 ? sumDiff / pairs : Double.NaN,
        sumDiff,
        finiteA > 0 ? minA : Double.NaN,
        finiteA > 0 ? maxA : Double.NaN,
        finiteB > 0 ? minB : Double.NaN,
        finiteB > 0 ? maxB : Double.NaN,
        nanA,
        nanB,
        infA,
        infB,
        countingA ? da.count() : -1,
        countingB ? db.count() : -1,
        argmax,
        argmaxIndex,
        refAt,
        candAt,
        outOfTol,
        nonFiniteMismatch,
        firstNonFiniteA,
        firstNonFiniteB,
        pass);
  }

  private static DistinctCounter countDistinct(HostTensor t, int[] perm) {
    DistinctCounter dc = new DistinctCounter(DISTINCT_CAP);
    ElementReader r = ElementReader.of(t, perm);
    long n = t.numel();
    double[] buf = new double[(int) Math.min(CHUNK, Math.max(n, 1))];
    for (long base = 0; base < n && !dc.saturated(); base += buf.length) {
      int len = (int) Math.min(buf.length, n - base);
      r.read(buf, len);
      for (int i = 0; i < len; i++) {
        dc.add(buf[i]);
      }
    }
    return dc;
  }

  /** Row-major multi-index of a flat position. */
  static List<Integer> unravel(long flat, int[] shape) {
    Integer[] idx = new Integer[shape.length];
    long rest = flat;
    for (int k = shape.length - 1; k >= 0; k--) {
      int d = shape[k];
      idx[k] = d == 0 ? 0 : (int) (rest % d);
      rest = d == 0 ? rest : rest / d;
    }
    return List.of(idx);
  }
}
