package dev.crossalign.port.ops;

import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.OpView;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.onnx.OnnxOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.port.codegen.Py;
import dev.crossalign.port.codegen.PyOp;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * PAD, PADV2 (constant value from input 2) and MIRROR_PAD (REFLECT excludes the edge, SYMMETRIC repeats it). The
 * paddings input is int32 [rank, 2] in TFLite axes; for an NCHW value each TFLite axis is mapped to its NCHW axis,
 * so a channel padding of a rank-4 tensor (BlazeFace's residual branches) pads torch axis 1. MIRROR_PAD is an
 * index_select per padded axis with indices built once, which covers both modes exactly.
 */
public final class Pad implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("PAD", "PADV2", "MIRROR_PAD");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    int[] shape = ctx.input(0).shape();
    int rank = shape.length;
    long[] p = OpConstants.ints(ctx, 1, "paddings");
    if (p.length != rank * 2) {
      throw ctx.unsupported("paddings has " + p.length + " values, expected " + rank * 2 + " for rank " + rank);
    }
    for (int a = 0; a < rank; a++) {
      long before = p[a * 2];
      long after = p[a * 2 + 1];
      if (before < 0 || after < 0) {
        throw ctx.unsupported("negative padding on axis " + a);
      }
      if (shape[a] + before + after > Integer.MAX_VALUE) {
        throw ctx.unsupported("padded axis " + a + " would exceed 2^31 elements");
      }
    }
    String name = ctx.op().opName();
    if (name.equals("MIRROR_PAD")) {
      return mirror(ctx, shape, p);
    }
    double value = 0;
    if (name.equals("PADV2") && ctx.hasInput(2)) {
      var t = ctx.constant(2);
      if (t == null) {
        throw ctx.unsupported("constant_values computed at run time");
      }
      if (t.numel() != 1) {
        throw ctx.unsupported("constant_values must hold one value");
      }
      value = t.item_double();
    }
    TensorType type = ctx.input(0).type();
    boolean floating = type != null && type.dtype() != null && type.dtype().isFloating();
    double fillValue = value;
    return inputs -> {
      Scalar fill = floating ? new Scalar(fillValue) : new Scalar((long) fillValue);
      PortValue v = inputs[0];
      boolean nchw = v.isNchw() && rank == 4;
      long[] pads = torchPads(p, rank, nchw);
      Tensor y = torch.constant_pad_nd(v.tensor(), pads, fill);
      if (y.dim() == 4) {
        y = y.contiguous(torch.MemoryFormat.ChannelsLast); // keep the convs that follow on their fast path
      }
      return new PortValue[] {new PortValue(y, v.layout())};
    };
  }

  /** torch's pad list: (before, after) pairs from the LAST torch axis backwards. */
  private static long[] torchPads(long[] p, int rank, boolean nchw) {
    long[] pads = new long[rank * 2];
    for (int tfAxis = 0; tfAxis < rank; tfAxis++) {
      int axis = nchw ? Axes.NHWC_TO_NCHW[tfAxis] : tfAxis;
      int slot = rank - 1 - axis;
      pads[slot * 2] = p[tfAxis * 2];
      pads[slot * 2 + 1] = p[tfAxis * 2 + 1];
    }
    return pads;
  }

  private static LoweredOp mirror(LoweringContext ctx, int[] shape, long[] p) {
    int rank = shape.length;
    long[][] tables = mirrorIndex(ctx, shape, p);
    Tensor[] index = new Tensor[rank];
    for (int a = 0; a < rank; a++) {
      if (tables[a] != null) {
        index[a] = OpConstants.index(ctx, tables[a]);
      }
    }
    return inputs -> {
      PortValue v = inputs[0];
      boolean nchw = v.isNchw() && rank == 4;
      Tensor y = v.tensor();
      for (int a = 0; a < rank; a++) {
        if (index[a] != null) {
          y = y.index_select(nchw ? Axes.NHWC_TO_NCHW[a] : a, index[a]);
        }
      }
      return new PortValue[] {new PortValue(y, v.layout())};
    };
  }

  /**
   * MIRROR_PAD's source index per padded axis (null where the axis is not padded): REFLECT excludes the edge,
   * SYMMETRIC repeats it. For the lowering and the code generation alike.
   */
  private static long[][] mirrorIndex(OpView ctx, int[] shape, long[] p) {
    OpOptions.MirrorPad o = (OpOptions.MirrorPad) ctx.op().options();
    boolean symmetric = o.mode() == 1;
    int rank = shape.length;
    long[][] index = new long[rank][];
    for (int a = 0; a < rank; a++) {
      long before = p[a * 2];
      long after = p[a * 2 + 1];
      if (before == 0 && after == 0) {
        continue;
      }
      int n = shape[a];
      long limit = symmetric ? n : n - 1;
      if (before > limit || after > limit) {
        throw ctx.unsupported(
            (symmetric ? "SYMMETRIC" : "REFLECT") + " padding " + Math.max(before, after) + " exceeds " + limit
                + " on axis " + a);
      }
      long[] idx = new long[(int) (n + before + after)];
      for (int k = 0; k < idx.length; k++) {
        long i = k - before;
        if (i < 0) {
          i = symmetric ? -i - 1 : -i;
        } else if (i >= n) {
          i = symmetric ? 2L * n - 1 - i : 2L * (n - 1) - i;
        }
        idx[k] = i;
      }
      index[a] = idx;
    }
    return index;
  }

  @Override
  public Set<String> pythonOps() {
    return opNames();
  }

  @Override
  public void emitPython(PyOp p) {
    int[] shape = p.inShape(0);
    int rank = shape.length;
    long[] pads = p.ints(1, "paddings");
    if (pads.length != rank * 2) {
      throw p.unsupported("paddings has " + pads.length + " values, expected " + rank * 2 + " for rank " + rank);
    }
    for (long v : pads) {
      if (v < 0) {
        throw p.unsupported("negative padding");
      }
    }
    if (p.opName().equals("MIRROR_PAD")) {
      long[][] tables = mirrorIndex(p, shape, pads);
      String y = p.value(0);
      for (int a = 0; a < rank; a++) {
        if (tables[a] != null) {
          String idx = p.table("mirror_axis" + a, dev.crossalign.tensor.HostTensor.ofLongs(
              new int[] {tables[a].length}, dev.crossalign.tensor.Layout.ANY, tables[a]));
          // each padded position reads its mirror source along TFLite axis a
          y = "torch.index_select(" + y + ", " + (rank == 4 ? Axes.NHWC_TO_NCHW[a] : a) + ", " + idx + ")";
        }
      }
      p.line(p.out(0) + " = " + y);
      return;
    }
    double value = 0;
    if (p.opName().equals("PADV2") && p.hasInput(2)) {
      var c = p.constant(2);
      if (c == null || c.numel() != 1) {
        throw p.unsupported("constant_values must be one constant value");
      }
      value = c.getDouble(0);
    }
    var type = p.input(0).type();
    boolean floating = type != null && type.dtype() != null && type.dtype().isFloating();
    String fill = floating ? Py.f32((float) value) : Long.toString((long) value);
    p.line(p.out(0) + " = F.pad(" + p.value(0) + ", " + Py.ints(torchPads(pads, rank, rank == 4)) + ", \"constant\", "
        + (floating ? fill : "float(" + fill + ")") + ")");
  }

  @Override
  public Set<String> onnxOps() {
    return opNames();
  }

  /** ONNX Pad on the native value (pads mapped to its axes); MIRROR_PAD REFLECT as mode reflect. */
  @Override
  public void exportOnnx(OnnxOp s) {
    String mode = "constant";
    if (s.opName().equals("MIRROR_PAD")) {
      OpOptions.MirrorPad o = s.options(OpOptions.MirrorPad.class);
      if (o.mode() != 0) {
        throw s.refuse("SYMMETRIC mirror padding has no ONNX Pad mode (only REFLECT maps to 'reflect')");
      }
      mode = "reflect";
    }
    int r = s.inShape(0).length;
    List<String> ins = new ArrayList<>(List.of(s.x(0), s.i64(onnxPads(s, r))));
    if (s.has(2)) {
      ins.add(s.tf(2)); // PADV2 constant value (a scalar or [1])
      if (s.inShape(2).length != 0) {
        String scalar = s.tmp("pad_value");
        s.node("Reshape", List.of(ins.remove(2), s.i64()), List.of(scalar));
        ins.add(scalar);
      }
    }
    s.node("Pad", ins, List.of(s.out(0)), OnnxGraphBuilder.attrs().putString("mode", mode));
  }

  /** TFLite paddings [rank, 2] -> ONNX pads [begins..., ends...] in the value's axis order. */
  private static long[] onnxPads(OnnxOp s, int r) {
    long[] p = s.constInts(1);
    if (p.length != 2L * r) {
      throw s.refuse("paddings of " + p.length + " values for rank " + r);
    }
    long[] out = new long[2 * r];
    for (int tfAxis = 0; tfAxis < r; tfAxis++) {
      int k = OnnxOp.axis(tfAxis, r);
      out[k] = p[2 * tfAxis];
      out[r + k] = p[2 * tfAxis + 1];
    }
    return out;
  }
}
