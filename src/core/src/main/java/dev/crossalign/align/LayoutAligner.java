package dev.crossalign.align;

import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Brings a candidate tensor to the reference's layout so that their flat element orders mean the same thing. The
 * rules, first match wins:
 *
 * <ol>
 *   <li>different element counts: mismatch;
 *   <li>both rank 4, both layouts known (NHWC/NCHW) and different: the layout permutation, if it gives the
 *       reference's shape (this is the only rule that tells NCHW [1,4,4,4] from NHWC [1,4,4,4]);
 *   <li>equal shapes: as is;
 *   <li>equal shapes once size-1 axes are dropped ([1,1,1,10] vs [1,10]): as is, the flat order is the same;
 *   <li>both rank 4, the NCHW to NHWC permutation [0,2,3,1] when the reference is not tagged NCHW and the candidate
 *       not NHWC, or NHWC to NCHW [0,3,1,2] the other way round, if it gives the reference's shape;
 *   <li>same rank (at most {@value #MAX_SEARCH_RANK}): the one permutation of the candidate's axes that gives the
 *       reference's shape, counting permutations that differ only in where size-1 axes go as one; none or several
 *       (ambiguous, e.g. [2,2] transposed): mismatch.
 * </ol>
 *
 * A mismatch is a value, not an exception: the comparison is then reported with status SHAPE_MISMATCH.
 */
public final class LayoutAligner {
  static final int MAX_SEARCH_RANK = 8;
  private static final int[] NCHW_TO_NHWC = Layout.nchwToNhwc();
  private static final int[] NHWC_TO_NCHW = Layout.nhwcToNchw();

  private LayoutAligner() {}

  /** The outcome of aligning one candidate tensor. */
  public sealed interface Result permits Matched, Mismatch {}

  /**
   * The candidate, in the reference's element order. {@code permutation} is the torch.permute-style permutation
   * applied to the candidate (output axis k = candidate axis perm[k]), or null when it was taken as is.
   */
  public record Matched(HostTensor candidate, List<Integer> permutation) implements Result {
    public Matched {
      permutation = permutation == null ? null : List.copyOf(permutation);
    }
  }

  /** No permutation makes the candidate's shape the reference's; {@code reason} says what was found. */
  public record Mismatch(String reason) implements Result {}

  public static Result align(HostTensor ref, HostTensor cand) {
    return align(ref, cand, true);
  }

  /**
   * As {@link #align(HostTensor, HostTensor)}, but a permuted match keeps the candidate as it is: {@code
   * Matched.candidate()} is then {@code cand} itself and {@code Matched.permutation()} says how to read it (what
   * {@link Metrics#of(HostTensor, HostTensor, List, Tolerance)} does, with no permuted copy).
   */
  public static Result match(HostTensor ref, HostTensor cand) {
    return align(ref, cand, false);
  }

  private static Result align(HostTensor ref, HostTensor cand, boolean materialize) {
    int[] rs = ref.shape();
    int[] cs = cand.shape();
    if (ref.numel() != cand.numel()) {
      return mismatch(rs, cs, "element counts differ (" + ref.numel() + " vs " + cand.numel() + ")");
    }
    if (rs.length == 4 && cs.length == 4 && ref.layout() != Layout.ANY && cand.layout() != Layout.ANY
        && ref.layout() != cand.layout()) {
      int[] p = cand.layout().permutationTo(ref.layout());
      if (Arrays.equals(permuteShape(cs, p), rs)) {
        return permuted(cand, p, ref.layout(), materialize);
      }
    }
    if (Arrays.equals(rs, cs)) {
      return new Matched(cand, null);
    }
    if (Arrays.equals(squeeze(rs), squeeze(cs))) {
      return new Matched(cand, null);
    }
    if (rs.length != cs.length) {
      return mismatch(rs, cs, "ranks differ and no size-1 axes explain it");
    }
    if (rs.length == 4) {
      if (ref.layout() != Layout.NCHW && cand.layout() != Layout.NHWC
          && Arrays.equals(permuteShape(cs, NCHW_TO_NHWC), rs)) {
        return permuted(cand, NCHW_TO_NHWC, ref.layout(), materialize);
      }
      if (ref.layout() != Layout.NHWC && cand.layout() != Layout.NCHW
          && Arrays.equals(permuteShape(cs, NHWC_TO_NCHW), rs)) {
        return permuted(cand, NHWC_TO_NCHW, ref.layout(), materialize);
      }
    }
    if (rs.length > MAX_SEARCH_RANK) {
      return mismatch(rs, cs, "rank " + rs.length + " is above " + MAX_SEARCH_RANK + ", no permutation search");
    }
    List<int[]> found = new ArrayList<>();
    List<List<Integer>> effective = new ArrayList<>();
    searchPermutations(rs, cs, new int[rs.length], new boolean[rs.length], 0, found, effective);
    if (found.isEmpty()) {
      return mismatch(rs, cs, "no axis permutation matches");
    }
    if (effective.size() > 1) {
      return mismatch(rs, cs, "ambiguous: " + effective.size() + " axis permutations match");
    }
    return permuted(cand, found.get(0), ref.layout(), materialize);
  }

  private static Matched permuted(HostTensor cand, int[] p, Layout target, boolean materialize) {
    List<Integer> perm = new ArrayList<>(p.length);
    for (int v : p) {
      perm.add(v);
    }
    return new Matched(materialize ? cand.permute(p, target) : cand, perm);
  }

  private static Mismatch mismatch(int[] rs, int[] cs, String why) {
    return new Mismatch(
        "reference shape " + Arrays.toString(rs) + ", candidate shape " + Arrays.toString(cs) + ": " + why);
  }

  /** {@code shape} with its axes permuted torch.permute style: axis k of the result is axis p[k] of the input. */
  public static int[] permuteShape(int[] shape, int[] p) {
    int[] out = new int[p.length];
    for (int k = 0; k < p.length; k++) {
      out[k] = shape[p[k]];
    }
    return out;
  }

  /** {@code shape} without its size-1 axes: two shapes equal this way hold their elements in the same flat order. */
  public static int[] squeeze(int[] shape) {
    return Arrays.stream(shape).filter(d -> d != 1).toArray();
  }

  /**
   * Depth-first over permutations p with cs[p[k]] == rs[k]; the first found per "effective" permutation (the order of
   * the candidate's non-size-1 axes, which alone fixes the element order) is kept, so with axes tried in ascending
   * order the kept one puts size-1 axes in ascending order.
   */
  private static void searchPermutations(
      int[] rs, int[] cs, int[] p, boolean[] used, int k, List<int[]> found, List<List<Integer>> effective) {
    if (k == rs.length) {
      List<Integer> eff = new ArrayList<>();
      for (int v : p) {
        if (cs[v] != 1) {
          eff.add(v);
        }
      }
      if (!effective.contains(eff)) {
        effective.add(eff);
        found.add(p.clone());
      }
      return;
    }
    for (int ax = 0; ax < cs.length; ax++) {
      if (!used[ax] && cs[ax] == rs[k]) {
        used[ax] = true;
        p[k] = ax;
        searchPermutations(rs, cs, p, used, k + 1, found, effective);
        used[ax] = false;
      }
    }
  }
}
