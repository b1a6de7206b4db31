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
    return of(ref, cand, permutation, tol, distinctAlways, null, null);
  }

  /**
   * As {@link #of(HostTensor, HostTensor, List, Tolerance, boolean)}, with the reference's own statistics (its mean,
   * min, max, NaN and Inf counts, first non-finite position) taken from {@code knownRef}, an earlier comparison's,
   * instead of accumulated again; null: accumulated here and handed to {@code computedRef} (when not null). The same
   * numbers either way (see {@link ReferenceStats}).
   */
  static Metrics of(HostTensor ref, HostTensor cand, List<Integer> permutation, Tolerance tol, boolean distinctAlways,
      SideStats knownRef, java.util.function.Consumer<SideStats> computedRef) {
    Objects.requireNonNull(tol, "tol");
    int[] perm = permutation == null ? null : permutation.stream().mapToInt(Integer::intValue).toArray();
    long n = ref.numel();
    if (cand.numel() != n) {
      throw new IllegalArgumentException(
          "element counts differ: reference " + Arrays.toString(ref.shape()) + " (" + n + ") vs candidate "
              + Arrays.toString(cand.shape()) + " (" + cand.numel() + ")");
    }
    ElementReader rb = ElementReader.of(cand, perm);
    PairScan s = PairScan.of(ref, cand, rb, tol, distinctAlways, knownRef);
    if (knownRef == null && computedRef != null) {
      computedRef.accept(s.a);
    }
    long outOfTol = s.outOfTolerance(ref, ElementReader.of(cand, perm));
    double normA = Math.sqrt(s.sumSqA);
    double normB = Math.sqrt(s.sumSqB);
    double relL2 = n > 0 && s.pairs == 0 ? Double.NaN : Math.sqrt(s.sumSqDiff) / Math.max(normA, TINY);
    double cosine;
    if (n > 0 && s.pairs == 0) {
      cosine = Double.NaN;
    } else if (s.sumSqA == 0 && s.sumSqB == 0) {
      cosine = 1.0;
    } else if (s.sumSqA == 0 || s.sumSqB == 0) {
      cosine = 0.0;
    } else {
      cosine = Math.max(-1.0, Math.min(1.0, s.dot / (normA * normB)));
    }
    boolean pass = s.nonFiniteMismatch == 0
        && (s.a.firstNonFinite < 0 && s.b.firstNonFinite < 0 || tol.acceptNonFinite())
        && (outOfTol == 0 || relL2 <= tol.relL2Budget());
    int distinctA = s.countingA ? s.da.count() : -1;
    int distinctB = s.countingB ? s.db.count() : -1;
    if (!pass && !(s.countingA && s.countingB)) {
      // a failing tensor: its counts inform (a collapsed or quantized candidate), count them all
      distinctA = countDistinct(ref, null).count();
      distinctB = countDistinct(cand, perm).count();
    }
    long argmax = s.firstMismatch >= 0 ? s.firstMismatch : s.argmaxFinite;
    return new Metrics(n, s.pairs, s.maxAbs, s.pairs > 0 ? s.sumAbs / s.pairs : Double.NaN, relL2, cosine,
        s.a.mean(), s.b.mean(), s.pairs > 0 ? s.sumDiff / s.pairs : Double.NaN, s.sumDiff,
        s.a.minOrNaN(), s.a.maxOrNaN(), s.b.minOrNaN(), s.b.maxOrNaN(), s.a.nan, s.b.nan, s.a.inf, s.b.inf,
        distinctA, distinctB, argmax, argmax < 0 ? List.of() : unravel(argmax, ref.shape()),
        argmax < 0 ? Double.NaN : ref.getDouble(argmax), argmax < 0 ? Double.NaN : cand.getDouble(rb.sourceIndex(argmax)),
        outOfTol, s.nonFiniteMismatch, s.a.firstNonFinite, s.b.firstNonFinite, pass);
  }

  private static DistinctCounter countDistinct(HostTensor t, int[] perm) {
    DistinctCounter dc = new DistinctCounter(DISTINCT_CAP);
    ElementReader r = ElementReader.of(t, perm);
    long n = t.numel();
    double[] buf = new double[(int) Math.min(PairScan.CHUNK, Math.max(n, 1))];
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
