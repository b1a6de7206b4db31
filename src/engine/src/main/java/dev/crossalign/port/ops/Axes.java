package dev.crossalign.port.ops;

import dev.crossalign.backend.torch.TorchTensors;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.PortValue;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.TfAxes;
import java.util.Arrays;
import java.util.function.Function;
import org.bytedeco.pytorch.Tensor;

/**
 * Axis bookkeeping shared by the shape ops: TFLite (NHWC) axes against values that may flow as NCHW, and the small
 * integer operands (axes, shapes, perms, begin/end) these ops read from constant inputs.
 */
final class Axes {
  /** TFLite axis of a rank-4 NHWC tensor -> the torch dim of the same axis in an NCHW value: n 0, h 2, w 3, c 1. */
  static final int[] NHWC_TO_NCHW = {Layout.nchwDim(0), Layout.nchwDim(1), Layout.nchwDim(2), Layout.nchwDim(3)};

  private Axes() {}

  /** The torch dim of TFLite axis {@code axis} (already normalized) in {@code v}. */
  static long dim(PortValue v, int axis) {
    return v.isNchw() ? NHWC_TO_NCHW[axis] : axis;
  }

  /** {@code axis} in [-rank, rank) made non-negative; out of range is refused at prepare time. */
  static int normalize(dev.crossalign.port.OpView ctx, int axis, int rank, String what) {
    return normalize(axis, rank, what, ctx::unsupported);
  }

  /**
   * The one place a TF axis is normalized: {@code axis} in [-rank, rank) made non-negative, else {@code refuse}'s
   * exception ("axis 5 is out of range for rank 4"): the lowering's and code generation's refusal, or the ONNX
   * export's.
   */
  static int normalize(long axis, int rank, String what, Function<String, ? extends RuntimeException> refuse) {
    return TfAxes.normalize(axis, rank, what, refuse);
  }

  /**
   * A reduction's TF axis list (negative and repeated axes allowed) as sorted distinct axes of a rank-{@code rank}
   * input; shared by every reduction's lowering, generated code and ONNX export.
   */
  static int[] reductionAxes(long[] given, int rank, Function<String, ? extends RuntimeException> refuse) {
    return TfAxes.reduction(given, rank, refuse);
  }

  /**
   * The normalized {@code axis} of input 0 for an op whose tensor {@code indexTensor} holds indices (gather's indices,
   * arg-min/max's result), that tensor refused unless it is int32 or int64 ("{what} {its type}").
   */
  static int indexAxis(dev.crossalign.port.OpView v, long axis, dev.crossalign.tflite.TensorInfo indexTensor,
      String what) {
    int a = normalize(axis, v.input(0).shape().length, "axis", v::unsupported);
    requireIndexType(v, indexTensor, what);
    return a;
  }

  /** Refuses {@code t} unless it holds int32 or int64 (indices, arg-min/max results): "{what} {its type}". */
  private static void requireIndexType(dev.crossalign.port.OpView v, dev.crossalign.tflite.TensorInfo t, String what) {
    DType dt = t.type() == null ? null : t.type().dtype();
    if (dt != DType.INT32 && dt != DType.INT64) {
      throw v.unsupported(what + " " + t.type());
    }
  }

  /**
   * A value in TFLite axis order handed on: rank 4 becomes an NCHW view (the port's convention for rank-4
   * activations, a permute without a copy), any other rank keeps TFLite axes.
   */
  static PortValue fromTf(Tensor t) {
    return t.dim() == 4 ? PortValue.nchw(PortValue.toNchw(t)) : PortValue.tf(t);
  }

  /**
   * Assigns output {@code k} from {@code tfExpr}, an expression in TFLite axes of rank {@code rank}: a rank-4 result
   * is permuted to the generated code's NCHW.
   */
  static void emitFromTf(dev.crossalign.port.codegen.PyOp p, int k, String tfExpr, int rank) {
    p.line(p.out(k) + " = " + (rank == 4 ? tfExpr + ".permute(0, 3, 1, 2)" : tfExpr));
  }

  /** The integer values of constant input {@code i} (int32 or int64), or a prepare-time refusal. */
  static int[] constInts(LoweringContext ctx, int i, String what) {
    if (!ctx.hasInput(i)) {
      throw ctx.unsupported(what + " input is missing");
    }
    int[] declared = ctx.input(i).shape();
    if (declared.length > 0 && HostTensor.numel(declared) == 0) {
      // An empty operand has no buffer bytes, so it is not a "constant" to the reader, yet its value is known.
      return new int[0];
    }
    Tensor t = ctx.constant(i);
    if (t == null) {
      throw ctx.unsupported(what + " computed at run time");
    }
    DType dt = ctx.input(i).type() == null ? null : ctx.input(i).type().dtype();
    if (dt != DType.INT32 && dt != DType.INT64) {
      throw ctx.unsupported(what + " must be int32 or int64, got " + ctx.input(i).type());
    }
    try {
      return ints(t);
    } catch (IllegalArgumentException e) {
      throw ctx.unsupported(what + ": " + e.getMessage());
    }
  }

  /** The values of a small integer tensor, brought to the host (any device). */
  static int[] ints(Tensor t) {
    HostTensor h = TorchTensors.toHost(t, Layout.ANY);
    int[] out = new int[Math.toIntExact(h.numel())];
    for (int k = 0; k < out.length; k++) {
      double v = h.getDouble(k);
      if (v > Integer.MAX_VALUE || v < Integer.MIN_VALUE) {
        throw new IllegalArgumentException("integer operand " + (long) v + " does not fit in int32");
      }
      out[k] = (int) v;
    }
    return out;
  }

  /** The shape of {@code t} as ints. */
  static int[] shape(Tensor t) {
    int rank = (int) t.dim();
    int[] s = new int[rank];
    for (int i = 0; i < rank; i++) {
      s[i] = Math.toIntExact(t.size(i));
    }
    return s;
  }

  static long[] longs(int[] v) {
    return Arrays.stream(v).asLongStream().toArray();
  }

  /** Whether input {@code i} is quantized (scale/zero point): value-changing ops refuse those. */
  static boolean quantized(dev.crossalign.port.OpView ctx, int i) {
    return ctx.hasInput(i) && ctx.input(i).isQuantized();
  }
}
