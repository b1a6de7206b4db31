package dev.crossalign.port.onnx;

import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import java.util.List;
import java.util.Map;

/**
 * MAX_POOL_2D and AVERAGE_POOL_2D with TF SAME padding as asymmetric ONNX pads: MaxPool never picks a padded element
 * (TF pads with -inf), AveragePool with count_include_pad=0 divides by the real elements (as TF).
 */
final class PoolOps {
  private PoolOps() {}

  static void register(Map<BuiltinOp, OpExporter> m) {
    m.put(BuiltinOp.MAX_POOL_2D, s -> pool(s, "MaxPool"));
    m.put(BuiltinOp.AVERAGE_POOL_2D, s -> pool(s, "AveragePool"));
  }

  private static void pool(OnnxOp s, String type) {
    OpOptions.Pool2D o = s.options(OpOptions.Pool2D.class);
    int[] xs = s.inShape(0);
    if (xs.length != 4) {
      throw s.refuse("input of rank " + xs.length);
    }
    int[] ph = ConvOps.pad(o.padding(), xs[1], o.filterH(), o.strideH(), 1);
    int[] pw = ConvOps.pad(o.padding(), xs[2], o.filterW(), o.strideW(), 1);
    OnnxGraphBuilder.Attrs a = OnnxGraphBuilder.attrs()
        .putInts("kernel_shape", o.filterH(), o.filterW())
        .putInts("strides", o.strideH(), o.strideW())
        .putInts("pads", ph[0], pw[0], ph[1], pw[1]);
    if (type.equals("AveragePool")) {
      a.putInt("count_include_pad", 0);
    }
    s.node(type, List.of(s.x(0)), List.of(s.out(0, false, o.activation())), a);
  }
}
