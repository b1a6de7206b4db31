package dev.crossalign.port.onnx;

import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import java.util.List;
import java.util.Map;

/**
 * RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR as ONNX Resize (NCHW, output sizes from the TFLite output shape).
 *
 * <p>Bilinear: TFLite clamps the lower source index at 0 and the upper at in - 1, which is what ONNX Resize linear does
 * with its clamped source coordinate, so half_pixel_centers -> "half_pixel" (not "pytorch_half_pixel", which differs
 * for an output size of 1), align_corners -> "align_corners", neither -> "asymmetric". Nearest (TFLite
 * GetNearestNeighbor): neither -> floor(x * in / out) = "asymmetric" + floor; align_corners -> round half away from
 * zero of x * (in - 1) / (out - 1) = "align_corners" + round_prefer_ceil (coordinates are never negative);
 * half_pixel_centers -> floor((x + 0.5) * in / out) = "tf_half_pixel_for_nn" + floor (opset 11..17).
 */
final class ResizeOps {
  private ResizeOps() {}

  static void register(Map<BuiltinOp, OpExporter> m) {
    m.put(BuiltinOp.RESIZE_BILINEAR, ResizeOps::bilinear);
    m.put(BuiltinOp.RESIZE_NEAREST_NEIGHBOR, ResizeOps::nearest);
  }

  private static void bilinear(OnnxOp s) {
    OpOptions.ResizeBilinear o = s.options(OpOptions.ResizeBilinear.class);
    String mode = o.alignCorners() ? "align_corners" : o.halfPixelCenters() ? "half_pixel" : "asymmetric";
    resize(s, OnnxGraphBuilder.attrs().putString("mode", "linear").putString("coordinate_transformation_mode", mode));
  }

  private static void nearest(OnnxOp s) {
    OpOptions.ResizeNearestNeighbor o = s.options(OpOptions.ResizeNearestNeighbor.class);
    if (o.alignCorners() && o.halfPixelCenters()) {
      throw s.refuse("align_corners together with half_pixel_centers has no ONNX coordinate mode");
    }
    String mode = o.alignCorners() ? "align_corners" : o.halfPixelCenters() ? "tf_half_pixel_for_nn" : "asymmetric";
    String nearest = o.alignCorners() ? "round_prefer_ceil" : "floor";
    resize(s, OnnxGraphBuilder.attrs().putString("mode", "nearest").putString("coordinate_transformation_mode", mode)
        .putString("nearest_mode", nearest));
  }

  private static void resize(OnnxOp s, OnnxGraphBuilder.Attrs a) {
    int[] xs = s.inShape(0);
    int[] os = s.outShape(0);
    if (xs.length != 4 || os.length != 4) {
      throw s.refuse("input of rank " + xs.length);
    }
    String sizes = s.i64(os[0], os[3], os[1], os[2]);
    s.node("Resize", List.of(s.x(0), "", "", sizes), List.of(s.out(0)), a);
  }
}
