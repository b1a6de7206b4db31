package dev.crossalign.engine.compare;

import dev.crossalign.align.LayoutAligner;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tensor.HostTensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Lines up a tensor of side B with one of side A by shape alone (no layout tags: renamed or foreign models carry
 * none to trust): the same shape, the same shape once size-1 axes are dropped, or the NHWC/NCHW permutation of a
 * rank-4 shape. When several fit (a [1,8,8,8] tensor), the values decide: the one with the lowest rel_l2. The shape
 * arithmetic is {@link LayoutAligner}'s; the choice by values (no layout tags to go by) is this class's own.
 */
final class Alignment {
  private static final int[] NCHW_TO_NHWC = Layout.nchwToNhwc();
  private static final int[] NHWC_TO_NCHW = Layout.nhwcToNchw();

  private Alignment() {}

  /** B in A's element order and shape; {@code permutation} (torch.permute style) is null when taken as is. */
  record Aligned(HostTensor b, int[] permutation, double relL2, double cosine) {
    List<Integer> permutationList() {
      if (permutation == null) {
        return null;
      }
      List<Integer> l = new ArrayList<>();
      for (int v : permutation) {
        l.add(v);
      }
      return l;
    }
  }

  /** Whether some candidate permutation makes B's shape A's. */
  static boolean compatible(int[] a, int[] b) {
    return !candidates(a, b).isEmpty();
  }

  /** The candidate permutations (null = as is) that make shape b into shape a. */
  static List<int[]> candidates(int[] a, int[] b) {
    List<int[]> out = new ArrayList<>();
    if (HostTensor.numel(a) != HostTensor.numel(b)) {
      return out;
    }
    if (Arrays.equals(a, b) || Arrays.equals(LayoutAligner.squeeze(a), LayoutAligner.squeeze(b))) {
      out.add(null);
    }
    if (a.length == 4 && b.length == 4) {
      // with a [1,C,C,C]-like shape the layout permutations fit as well as "as is": the values decide
      for (int[] p : new int[][] {NCHW_TO_NHWC, NHWC_TO_NCHW}) {
        if (Arrays.equals(LayoutAligner.permuteShape(b, p), a)) {
          out.add(p);
        }
      }
    }
    return out;
  }

  /**
   * For whole model outputs, which converters reshape, squeeze and transpose at will: the candidates above, any axis
   * permutation (rank up to 5) that makes b's shape a's, and, with the same element count, a plain reshape.
   */
  static List<int[]> broadCandidates(int[] a, int[] b) {
    List<int[]> out = new ArrayList<>(candidates(a, b));
    if (HostTensor.numel(a) != HostTensor.numel(b)) {
      return out;
    }
    if (out.stream().noneMatch(p -> p == null)) {
      out.add(null);
    }
    if (a.length == b.length && a.length >= 2 && a.length <= 5) {
      for (int[] p : permutations(a.length)) {
        if (Arrays.equals(LayoutAligner.permuteShape(b, p), a) && !isIdentity(p)
            && out.stream().noneMatch(q -> q != null && Arrays.equals(q, p))) {
          out.add(p);
        }
      }
    }
    return out;
  }

  private static boolean isIdentity(int[] p) {
    for (int i = 0; i < p.length; i++) {
      if (p[i] != i) {
        return false;
      }
    }
    return true;
  }

  private static List<int[]> permutations(int n) {
    List<int[]> out = new ArrayList<>();
    permute(new int[n], new boolean[n], 0, out);
    return out;
  }

  private static void permute(int[] cur, boolean[] used, int k, List<int[]> out) {
    if (k == cur.length) {
      out.add(cur.clone());
      return;
    }
    for (int i = 0; i < cur.length; i++) {
      if (!used[i]) {
        used[i] = true;
        cur[k] = i;
        permute(cur, used, k + 1, out);
        used[i] = false;
      }
    }
  }

  /** The best-fitting alignment of b to a, or null when no candidate fits. */
  static Aligned align(HostTensor a, HostTensor b) {
    return align(a, b, candidates(a.shape(), b.shape()));
  }

  /** As {@link #align(HostTensor, HostTensor)} over {@link #broadCandidates}. */
  static Aligned alignBroad(HostTensor a, HostTensor b) {
    return align(a, b, broadCandidates(a.shape(), b.shape()));
  }

  private static Aligned align(HostTensor a, HostTensor b, List<int[]> cands) {
    Aligned best = null;
    for (int[] p : cands) {
      HostTensor c = p == null ? b.reshape(a.shape()).withLayout(a.layout()) : b.permute(p, a.layout());
      double[] s = similarity(a, c);
      Aligned al = new Aligned(c, p, s[0], s[1]);
      if (best == null || better(al, best)) {
        best = al;
      }
      if (cands.size() == 1) {
        break;
      }
    }
    return best;
  }

  private static boolean better(Aligned x, Aligned y) {
    if (Double.isNaN(y.relL2())) {
      return !Double.isNaN(x.relL2());
    }
    return x.relL2() < y.relL2();
  }

  /** {rel_l2, cosine} of b against a, in double; NaN where a side is not finite. */
  static double[] similarity(HostTensor a, HostTensor b) {
    long n = a.numel();
    double dot = 0;
    double na = 0;
    double nb = 0;
    double nd = 0;
    for (long i = 0; i < n; i++) {
      double x = a.getDouble(i);
      double y = b.getDouble(i);
      dot += x * y;
      na += x * x;
      nb += y * y;
      nd += (x - y) * (x - y);
    }
    double rel = Math.sqrt(nd) / Math.max(Math.sqrt(na), 1e-30);
    double cos;
    if (na == 0 && nb == 0) {
      cos = 1;
    } else if (na == 0 || nb == 0) {
      cos = 0;
    } else {
      cos = dot / (Math.sqrt(na) * Math.sqrt(nb));
    }
    return new double[] {rel, cos};
  }

  /** L2 norm in double: a cheap fingerprint to prune value matching. */
  static double norm(HostTensor t) {
    double s = 0;
    for (long i = 0, n = t.numel(); i < n; i++) {
      double v = t.getDouble(i);
      s += v * v;
    }
    return Math.sqrt(s);
  }

}
