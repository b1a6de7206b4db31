package dev.crossalign.tflite;

import java.util.ArrayList;
import java.util.List;

/**
 * TFLite's STRIDED_SLICE rule as pure Java, the one copy the torch port, the generated PyTorch code and the ONNX
 * export use: ellipsis_mask and new_axis_mask are first expanded into an effective input shape (new axes become
 * size-1 dims, the ellipsis full ranges), then each effective axis gets TFLite's start/stop (negative indices wrapped,
 * clamped to [0, n] forward or [-1, n-1] backward, begin_mask/end_mask taking the full range, offset adding begin to
 * end, shrink_axis taking one element), and the shrunk axes are dropped. A negative stride is expressed as a flip of
 * the axis followed by a forward slice.
 *
 * @param effectiveShape the input shape with the new axes inserted
 * @param axes one slice per effective axis
 * @param shrink which effective axes are dropped from the output
 * @param outShape the output shape
 * @param anyNewAxis whether new_axis_mask added any axis
 */
public record StridedSlicePlan(int[] effectiveShape, List<AxisSlice> axes, boolean[] shrink, int[] outShape,
    boolean anyNewAxis) {
  /**
   * One effective axis: whether it is flipped first, where the slice starts in the (possibly flipped) axis, how many
   * elements, with which (positive) step.
   */
  public record AxisSlice(boolean flip, long start, long count, long step) {}

  /** TFLite's BuildStridedSliceParams + StartForAxis/StopForAxis, on the static shape. */
  public static StridedSlicePlan of(int[] in, int[] begin, int[] end, int[] strides, OpOptions.StridedSlice o) {
    Expansion x = Expansion.of(in.length, begin.length, o);
    Params p = Params.of(in, begin, end, strides, o, x);
    int dims = x.dims();
    List<AxisSlice> axes = new ArrayList<>();
    boolean[] shrink = new boolean[dims];
    List<Integer> outShape = new ArrayList<>();
    for (int i = 0; i < dims; i++) {
      int stride = p.sd()[i];
      if (stride == 0) {
        throw new IllegalArgumentException("stride of axis " + i + " is 0");
      }
      int n = p.eff()[i];
      int start = startForAxis(p.st()[i], stride, (p.bm() & (1 << i)) != 0, n);
      shrink[i] = (p.sm() & (1 << i)) != 0;
      int stop = stopForAxis(p.sp()[i], stride, (p.em() & (1 << i)) != 0, shrink[i], o.offset(), start, n);
      int len = (int) Math.ceil((stop - start) / (double) stride);
      len = Math.max(len, 0);
      if (shrink[i] && len != 1) {
        throw new IllegalArgumentException("shrink axis " + i + " selects " + len + " elements");
      }
      if (!shrink[i]) {
        outShape.add(len);
      }
      if (stride > 0) {
        axes.add(new AxisSlice(false, len == 0 ? 0 : start, len, stride));
      } else {
        // Element start, start+stride, ... of the axis is element (n-1-start), +|stride|, ... of the flipped axis.
        axes.add(new AxisSlice(true, len == 0 ? 0 : n - 1 - start, len, -(long) stride));
      }
    }
    return new StridedSlicePlan(p.eff(), axes, shrink, outShape.stream().mapToInt(Integer::intValue).toArray(),
        x.effNewAxis() != 0);
  }

  /**
   * The ellipsis and new axes expanded: the effective rank, the effective ellipsis and new-axis masks, where the
   * ellipsis starts and how many axes it adds beyond its own.
   */
  private record Expansion(int dims, int effEllipsis, int effNewAxis, int ellipsisStart, int expanded) {
    static Expansion of(int rank, int count, OpOptions.StridedSlice o) {
      int ellipsisMask = o.ellipsisMask();
      int newAxisMask = o.newAxisMask();
      if (Integer.bitCount(ellipsisMask) > 1) {
        throw new IllegalArgumentException("more than one ellipsis bit");
      }
      int numAddAxis = 0;
      for (int i = 0; i < count; i++) {
        if ((ellipsisMask & (1 << i)) == 0 && (newAxisMask & (1 << i)) != 0) {
          numAddAxis++;
        }
      }
      int dims = rank + numAddAxis;
      if (dims > 5) {
        throw new IllegalArgumentException("more than 5 dims including new axes");
      }
      int effEllipsis = 0;
      int effNewAxis = 0;
      int ellipsisStart = dims;
      int expanded = 0;
      for (int i = 0; i < dims; ) {
        if ((ellipsisMask & (1 << i)) != 0) {
          ellipsisStart = i;
          int ellipsisEnd = Math.max(i + 1, Math.min(i + 1 + numAddAxis + rank - count, dims));
          expanded = ellipsisEnd - ellipsisStart - 1;
          for (; i < ellipsisEnd; i++) {
            effEllipsis |= 1 << i;
          }
          continue;
        }
        if (i - expanded >= 0 && (newAxisMask & (1 << (i - expanded))) != 0) {
          effNewAxis |= 1 << i;
        }
        i++;
      }
      return new Expansion(dims, effEllipsis, effNewAxis, ellipsisStart, expanded);
    }
  }

  /**
   * Per effective axis: its size, begin, end and stride, and the effective begin, end and shrink masks (TFLite's
   * StridedSliceParams after the expansion).
   */
  private record Params(int[] eff, int[] st, int[] sp, int[] sd, int bm, int em, int sm) {
    static Params of(int[] in, int[] begin, int[] end, int[] strides, OpOptions.StridedSlice o, Expansion x) {
      int dims = x.dims();
      int count = begin.length;
      int[] eff = new int[dims];
      int[] st = new int[dims];
      int[] sp = new int[dims];
      int[] sd = new int[dims];
      int bm = 0;
      int em = 0;
      int sm = 0;
      int addedEllipsis = 0;
      int addedAxes = 0;
      for (int i = 0; i < dims; i++) {
        if ((x.effEllipsis() & (1 << i)) != 0) {
          addedEllipsis = Math.max(0, i - x.ellipsisStart());
          bm |= 1 << i;
          em |= 1 << i;
          sd[i] = 1;
          eff[i] = in[i - addedAxes];
        } else if ((x.effNewAxis() & (1 << i)) != 0) {
          st[i] = 0;
          sp[i] = 1;
          sd[i] = 1;
          eff[i] = 1;
          addedAxes++;
        } else if (i >= count + x.expanded()) {
          sd[i] = 1;
          bm |= 1 << i;
          em |= 1 << i;
          eff[i] = in[i - addedAxes];
        } else {
          int orig = i - addedEllipsis;
          st[i] = begin[orig];
          sp[i] = end[orig];
          sd[i] = strides[orig];
          bm |= bit(o.beginMask(), orig, i);
          em |= bit(o.endMask(), orig, i);
          sm |= bit(o.shrinkAxisMask(), orig, i);
          eff[i] = in[i - addedAxes];
        }
      }
      return new Params(eff, st, sp, sd, bm, em, sm);
    }

    /** Bit {@code to} set when bit {@code from} of {@code mask} is. */
    private static int bit(int mask, int from, int to) {
      return (mask & (1 << from)) != 0 ? 1 << to : 0;
    }
  }

  public static int startForAxis(int start, int stride, boolean masked, int n) {
    if (masked) {
      return stride > 0 ? 0 : n - 1;
    }
    long s = start < 0 ? (long) start + n : start;
    return stride > 0 ? (int) Math.max(0, Math.min(n, s)) : (int) Math.max(-1, Math.min(n - 1, s));
  }

  public static int stopForAxis(
      int stop, int stride, boolean masked, boolean shrink, boolean offset, int start, int n) {
    if (shrink) {
      return start >= n ? start : start + 1;
    }
    if (masked) {
      return stride > 0 ? n : -1;
    }
    long e = offset ? (long) stop + start : stop;
    if (e < 0) {
      e += n;
    }
    return stride > 0 ? (int) Math.max(0, Math.min(n, e)) : (int) Math.max(-1, Math.min(n - 1, e));
  }
}
