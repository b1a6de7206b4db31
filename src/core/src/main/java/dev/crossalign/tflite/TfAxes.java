package dev.crossalign.tflite;

import java.util.TreeSet;
import java.util.function.Function;

/**
 * TF's axis rules, the one copy the reader's declared-shape rule ({@link DerivedShapes}), the torch port, its
 * generated code and the ONNX export use: an axis in [-rank, rank) made non-negative, and a reduction's axis list
 * (negative and repeated axes allowed) as sorted distinct axes (reduce.cc's ResolveAxis).
 */
public final class TfAxes {
  private TfAxes() {}

  /** {@code axis} made non-negative, else {@code refuse}'s exception ("axis 5 is out of range for rank 4"). */
  public static int normalize(long axis, int rank, String what, Function<String, ? extends RuntimeException> refuse) {
    if (axis < -rank || axis >= rank) {
      throw refuse.apply(what + " " + axis + " is out of range for rank " + rank);
    }
    return (int) (axis < 0 ? axis + rank : axis);
  }

  /** A reduction's axis list as sorted distinct axes of a rank-{@code rank} input, else {@code refuse}'s exception. */
  public static int[] reduction(long[] given, int rank, Function<String, ? extends RuntimeException> refuse) {
    TreeSet<Integer> set = new TreeSet<>();
    for (long a : given) {
      set.add(normalize(a, rank, "axis", refuse));
    }
    return set.stream().mapToInt(Integer::intValue).toArray();
  }

  /** The shape a reduction over sorted distinct {@code axes} leaves of {@code in}: 1 there with keepDims, else gone. */
  public static long[] reducedShape(int[] in, int[] axes, boolean keepDims) {
    long[] out = new long[keepDims ? in.length : in.length - axes.length];
    for (int i = 0, j = 0, k = 0; i < in.length; i++) {
      boolean reduced = k < axes.length && axes[k] == i;
      k += reduced ? 1 : 0;
      if (keepDims) {
        out[j++] = reduced ? 1 : in[i];
      } else if (!reduced) {
        out[j++] = in[i];
      }
    }
    return out;
  }
}
