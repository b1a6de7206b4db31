package dev.crossalign.port.ops;

import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.OpView;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.onnx.OnnxOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.port.codegen.Py;
import dev.crossalign.port.codegen.PyOp;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.ResizeCoordinates;
import java.util.List;
import java.util.Set;
import org.bytedeco.pytorch.Tensor;

/**
 * RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR with TF's source-coordinate rules ({@link ResizeCoordinates}: float32
 * exactly as tensorflow/lite/kernels/internal/reference/resize_*.h), turned into index and weight tensors once; the
 * value is the sum of the four corners times (1 - d) / d weights, d used unclamped (negative near the border with
 * half-pixel centers, where y0 == y1 so the weights sum to 1). The generated code calls PyTorch's own bilinear
 * interpolation where its coordinate rule is TF's (half_pixel_centers, align_corners: {@link
 * ResizeCoordinates#torchBilinearSameRule}) and spells out the gathers only for the legacy mode (src = dst * in / out)
 * and nearest neighbour. The ONNX export names the equivalent Resize mode.
 */
public final class Resize implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    boolean bilinear = ctx.op().opName().equals("RESIZE_BILINEAR");
    if (bilinear) {
      OpConstants.requireFloat(ctx, 0);
    }
    Flags f = flags(ctx);
    boolean alignCorners = f.alignCorners();
    boolean halfPixel = f.halfPixel();
    int[] in = ctx.input(0).shape();
    long[] size = checkSize(ctx, OpConstants.ints(ctx, 1, "size"));
    int outH = (int) size[0];
    int outW = (int) size[1];
    if (!bilinear) {
      Tensor rows = OpConstants.index(ctx, ResizeCoordinates.nearest(in[1], outH, alignCorners, halfPixel));
      Tensor cols = OpConstants.index(ctx, ResizeCoordinates.nearest(in[2], outW, alignCorners, halfPixel));
      return inputs -> {
        Tensor x = inputs[0].nchwTensor();
        return new PortValue[] {PortValue.nchw(x.index_select(2, rows).index_select(3, cols))};
      };
    }
    ResizeCoordinates.Bilinear ya = ResizeCoordinates.bilinear(in[1], outH, alignCorners, halfPixel);
    ResizeCoordinates.Bilinear xa = ResizeCoordinates.bilinear(in[2], outW, alignCorners, halfPixel);
    Tensor y0 = OpConstants.index(ctx, ya.lo());
    Tensor y1 = OpConstants.index(ctx, ya.hi());
    Tensor x0 = OpConstants.index(ctx, xa.lo());
    Tensor x1 = OpConstants.index(ctx, xa.hi());
    Tensor wy0 = OpConstants.floats(ctx, ya.wLo(), 1, 1, outH, 1);
    Tensor wy1 = OpConstants.floats(ctx, ya.wHi(), 1, 1, outH, 1);
    Tensor wx0 = OpConstants.floats(ctx, xa.wLo(), 1, 1, 1, outW);
    Tensor wx1 = OpConstants.floats(ctx, xa.wHi(), 1, 1, 1, outW);
    return inputs -> {
      Tensor x = inputs[0].nchwTensor();
      Tensor top = x.index_select(2, y0);
      Tensor bottom = x.index_select(2, y1);
      // same association as the reference kernel: ((v * wy) * wx), summed left to right
      Tensor r = top.index_select(3, x0).mul(wy0).mul(wx0)
          .add(bottom.index_select(3, x0).mul(wy1).mul(wx0))
          .add(top.index_select(3, x1).mul(wy0).mul(wx1))
          .add(bottom.index_select(3, x1).mul(wy1).mul(wx1));
      return new PortValue[] {PortValue.nchw(r)};
    };
  }

  /** The coordinate rule's flags. */
  private record Flags(boolean alignCorners, boolean halfPixel) {}

  /** The flags and the rank-4 input, checked for the lowering and the code generation alike. */
  private static Flags flags(OpView v) {
    boolean alignCorners;
    boolean halfPixel;
    if (v.op().options() instanceof OpOptions.ResizeBilinear o) {
      alignCorners = o.alignCorners();
      halfPixel = o.halfPixelCenters();
    } else if (v.op().options() instanceof OpOptions.ResizeNearestNeighbor o) {
      alignCorners = o.alignCorners();
      halfPixel = o.halfPixelCenters();
    } else {
      alignCorners = false;
      halfPixel = false;
    }
    if (alignCorners && halfPixel) {
      throw v.unsupported("align_corners and half_pixel_centers both set");
    }
    if (v.input(0).shape().length != 4) {
      throw v.unsupported("expects a rank-4 input");
    }
    return new Flags(alignCorners, halfPixel);
  }

  private static long[] checkSize(OpView v, long[] size) {
    if (size.length != 2 || size[0] < 1 || size[1] < 1 || size[0] > 1 << 16 || size[1] > 1 << 16) {
      throw v.unsupported("size must be two positive values, got " + java.util.Arrays.toString(size));
    }
    return size;
  }

  @Override
  public Set<String> pythonOps() {
    return opNames();
  }

  @Override
  public void emitPython(PyOp p) {
    boolean bilinear = p.opName().equals("RESIZE_BILINEAR");
    if (bilinear) {
      OpConstants.requireFloat(p, 0);
    }
    Flags f = flags(p);
    boolean alignCorners = f.alignCorners();
    boolean halfPixel = f.halfPixel();
    int[] in = p.inShape(0);
    long[] size = checkSize(p, p.ints(1, "size"));
    int outH = (int) size[0];
    int outW = (int) size[1];
    String x = p.value(0);
    String rule = "TF " + (alignCorners ? "align_corners" : halfPixel ? "half_pixel_centers" : "legacy") + " source rows/cols";
    if (!bilinear) {
      String rows = p.table("rows", longs(ResizeCoordinates.nearest(in[1], outH, alignCorners, halfPixel)));
      String cols = p.table("cols", longs(ResizeCoordinates.nearest(in[2], outW, alignCorners, halfPixel)));
      p.line(p.out(0) + " = " + x + ".index_select(2, " + rows + ").index_select(3, " + cols + ")  # " + rule);
      return;
    }
    if (ResizeCoordinates.torchBilinearSameRule(alignCorners, halfPixel)) {
      // one channels-last-preserving kernel instead of 4 gathers and 12 arithmetic ops (pose_landmark_full: the
      // gathers' NCHW-contiguous results also made every later conv convert its input and output)
      p.line(p.out(0) + " = F.interpolate(" + x + ", size=" + Py.ints(outH, outW) + ", mode=\"bilinear\", align_corners="
          + (alignCorners ? "True" : "False") + ")  # " + rule + ": PyTorch's rule is TF's here");
      return;
    }
    ResizeCoordinates.Bilinear ya = ResizeCoordinates.bilinear(in[1], outH, alignCorners, halfPixel);
    ResizeCoordinates.Bilinear xa = ResizeCoordinates.bilinear(in[2], outW, alignCorners, halfPixel);
    String y0 = p.table("y0", longs(ya.lo()));
    String y1 = p.table("y1", longs(ya.hi()));
    String x0 = p.table("x0", longs(xa.lo()));
    String x1 = p.table("x1", longs(xa.hi()));
    String wy0 = p.table("wy0", HostTensor.ofFloats(new int[] {1, 1, outH, 1}, Layout.ANY, ya.wLo()));
    String wy1 = p.table("wy1", HostTensor.ofFloats(new int[] {1, 1, outH, 1}, Layout.ANY, ya.wHi()));
    String wx0 = p.table("wx0", HostTensor.ofFloats(new int[] {1, 1, 1, outW}, Layout.ANY, xa.wLo()));
    String wx1 = p.table("wx1", HostTensor.ofFloats(new int[] {1, 1, 1, outW}, Layout.ANY, xa.wHi()));
    String top = p.temp("top");
    String bottom = p.temp("bottom");
    p.line(top + " = " + x + ".index_select(2, " + y0 + ")  # " + rule);
    p.line(bottom + " = " + x + ".index_select(2, " + y1 + ")");
    // the reference kernel's association: ((v * wy) * wx), summed left to right
    p.line(p.out(0) + " = " + top + ".index_select(3, " + x0 + ") * " + wy0 + " * " + wx0
        + " + " + bottom + ".index_select(3, " + x0 + ") * " + wy1 + " * " + wx0
        + " + " + top + ".index_select(3, " + x1 + ") * " + wy0 + " * " + wx1
        + " + " + bottom + ".index_select(3, " + x1 + ") * " + wy1 + " * " + wx1);
  }

  private static HostTensor longs(long[] v) {
    return HostTensor.ofLongs(new int[] {v.length}, Layout.ANY, v);
  }

  @Override
  public Set<String> onnxOps() {
    return opNames();
  }

  /**
   * ONNX Resize (NCHW, output sizes from the TFLite output shape). Bilinear: TFLite clamps the lower source index at 0
   * and the upper at in - 1, which is what ONNX Resize linear does with its clamped source coordinate, so
   * half_pixel_centers -> "half_pixel" (not "pytorch_half_pixel", which differs for an output size of 1),
   * align_corners -> "align_corners", neither -> "asymmetric". Nearest (TFLite GetNearestNeighbor): neither ->
   * floor(x * in / out) = "asymmetric" + floor; align_corners -> round half away from zero of x * (in - 1) / (out - 1)
   * = "align_corners" + round_prefer_ceil (coordinates are never negative); half_pixel_centers -> floor((x + 0.5) * in
   * / out) = "tf_half_pixel_for_nn" + floor (opset 11..17).
   */
  @Override
  public void exportOnnx(OnnxOp s) {
    OnnxGraphBuilder.Attrs a;
    if (s.opName().equals("RESIZE_BILINEAR")) {
      OpOptions.ResizeBilinear o = s.options(OpOptions.ResizeBilinear.class);
      String mode = o.alignCorners() ? "align_corners" : o.halfPixelCenters() ? "half_pixel" : "asymmetric";
      a = OnnxGraphBuilder.attrs().putString("mode", "linear").putString("coordinate_transformation_mode", mode);
    } else {
      OpOptions.ResizeNearestNeighbor o = s.options(OpOptions.ResizeNearestNeighbor.class);
      if (o.alignCorners() && o.halfPixelCenters()) {
        throw s.refuse("align_corners together with half_pixel_centers has no ONNX coordinate mode");
      }
      String mode = o.alignCorners() ? "align_corners" : o.halfPixelCenters() ? "tf_half_pixel_for_nn" : "asymmetric";
      String nearest = o.alignCorners() ? "round_prefer_ceil" : "floor";
      a = OnnxGraphBuilder.attrs().putString("mode", "nearest").putString("coordinate_transformation_mode", mode)
          .putString("nearest_mode", nearest);
    }
    int[] xs = s.inShape(0);
    int[] os = s.outShape(0);
    if (xs.length != 4 || os.length != 4) {
      throw s.refuse("input of rank " + xs.length);
    }
    String sizes = s.i64(os[0], os[3], os[1], os[2]);
    s.node("Resize", List.of(s.x(0), "", "", sizes), List.of(s.out(0)), a);
  }
}
