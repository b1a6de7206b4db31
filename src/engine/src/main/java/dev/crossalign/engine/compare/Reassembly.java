package dev.crossalign.engine.compare;

import dev.crossalign.align.LayoutAligner;
import dev.crossalign.tensor.HostTensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * How one model output of the reference is rebuilt from the candidate's outputs: the concatenation of several of
 * them along one axis (each reshaped to the reference's shape with its own extent on that axis), or a slice of one
 * of them along one axis (after reshaping it to the reference's shape with the whole extent on that axis).
 *
 * @param kind concatenation or slice
 * @param axis the axis, in the reference's shape
 * @param parts the candidate tensors: the parts in order, or the one tensor sliced
 * @param lengths each part's extent on {@code axis} (for a slice: the slice's)
 * @param offset where the slice starts (0 for a concatenation)
 * @param total the extent on {@code axis} of the candidate tensor sliced (the reference's, for a concatenation)
 */
public record Reassembly(Kind kind, int axis, List<String> parts, List<Integer> lengths, int offset, int total) {
  /** The two ways outputs come apart. */
  public enum Kind { CONCAT, SLICE }

  public Reassembly {
    parts = List.copyOf(parts);
    lengths = List.copyOf(lengths);
  }

  /** One phrase for the report, e.g. "concat of 'a' [1,512,16] + 'b' [1,384,16] along axis 1". */
  String describe(int[] refShape) {
    if (kind == Kind.CONCAT) {
      StringBuilder s = new StringBuilder("concat of ");
      for (int i = 0; i < parts.size(); i++) {
        s.append(i == 0 ? "" : " + ").append('\'').append(parts.get(i)).append("' (").append(lengths.get(i))
            .append(')');
      }
      return s.append(" along axis ").append(axis).append(" of ").append(Arrays.toString(refShape)).toString();
    }
    return "slice [" + offset + ":" + (offset + lengths.get(0)) + ") of '" + parts.get(0) + "' along axis " + axis
        + " (its " + total + ")";
  }

  /** The candidate's tensors put together in the reference's shape (float32). */
  HostTensor apply(int[] refShape, java.util.function.Function<String, HostTensor> tensors) {
    if (kind == Kind.CONCAT) {
      List<HostTensor> ps = new ArrayList<>();
      for (int i = 0; i < parts.size(); i++) {
        ps.add(tensors.apply(parts.get(i)).reshape(withAxis(refShape, axis, lengths.get(i))));
      }
      return concat(ps, axis, refShape);
    }
    HostTensor whole = tensors.apply(parts.get(0)).reshape(withAxis(refShape, axis, total));
    return slice(whole, axis, offset, lengths.get(0));
  }

  static int[] withAxis(int[] shape, int axis, int extent) {
    int[] s = shape.clone();
    s[axis] = extent;
    return s;
  }

  /** The extent {@code t} must have on {@code axis} to be {@code shape} with that axis changed, else -1. */
  static int extentOn(int[] shape, int axis, int[] t) {
    long rest = HostTensor.numel(shape) / Math.max(1, shape[axis]);
    long n = HostTensor.numel(t);
    if (rest == 0 || n % rest != 0 || n / rest == 0) {
      return -1;
    }
    int e = (int) (n / rest);
    return Arrays.equals(LayoutAligner.squeeze(withAxis(shape, axis, e)), LayoutAligner.squeeze(t)) ? e : -1;
  }

  static HostTensor concat(List<HostTensor> parts, int axis, int[] shape) {
    long outer = 1;
    for (int k = 0; k < axis; k++) {
      outer *= shape[k];
    }
    long inner = 1;
    for (int k = axis + 1; k < shape.length; k++) {
      inner *= shape[k];
    }
    float[] out = new float[Math.toIntExact(HostTensor.numel(shape))];
    int o = 0;
    for (long i = 0; i < outer; i++) {
      for (HostTensor p : parts) {
        long len = p.dim(axis) * inner;
        long base = i * len;
        for (long j = 0; j < len; j++) {
          out[o++] = (float) p.getDouble(base + j);
        }
      }
    }
    return HostTensor.ofFloats(shape, dev.crossalign.tensor.Layout.ANY, out);
  }

  static HostTensor slice(HostTensor t, int axis, int offset, int length) {
    int[] shape = t.shape();
    long outer = 1;
    for (int k = 0; k < axis; k++) {
      outer *= shape[k];
    }
    long inner = 1;
    for (int k = axis + 1; k < shape.length; k++) {
      inner *= shape[k];
    }
    int[] outShape = withAxis(shape, axis, length);
    float[] out = new float[Math.toIntExact(HostTensor.numel(outShape))];
    int o = 0;
    for (long i = 0; i < outer; i++) {
      long base = (i * shape[axis] + offset) * inner;
      for (long j = 0; j < length * inner; j++) {
        out[o++] = (float) t.getDouble(base + j);
      }
    }
    return HostTensor.ofFloats(outShape, dev.crossalign.tensor.Layout.ANY, out);
  }
}
