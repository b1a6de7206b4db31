package dev.crossalign.port.ops;

import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.onnx.OnnxOp;
import dev.crossalign.tflite.SliceShape;
import java.util.Arrays;
import dev.crossalign.port.codegen.PyOp;
import java.util.List;
import java.util.function.Function;
import java.util.Set;
import org.bytedeco.pytorch.Tensor;

/**
 * SLICE with constant begin and size (size -1 = to the end of the axis). Rank is kept, so an NCHW value is sliced
 * on the mapped dims and stays NCHW.
 */
public final class Slice implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("SLICE");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    int[] shape = ctx.input(0).shape();
    int[] begin = Axes.constInts(ctx, 1, "begin");
    int[] size = Axes.constInts(ctx, 2, "size");
    if (begin.length != shape.length || size.length != shape.length) {
      throw ctx.unsupported(
          "begin " + Arrays.toString(begin) + " / size " + Arrays.toString(size) + " do not match rank "
              + shape.length);
    }
    long[] out = outShape(shape, Axes.longs(begin), Axes.longs(size), ctx::unsupported);
    int[] len = Arrays.stream(out).mapToInt(Math::toIntExact).toArray();
    return inputs -> {
      PortValue x = inputs[0];
      Tensor t = x.tensor();
      for (int i = 0; i < shape.length; i++) {
        if (begin[i] != 0 || len[i] != shape[i]) {
          t = t.narrow(Axes.dim(x, i), begin[i], len[i]);
        }
      }
      return new PortValue[] {new PortValue(t, x.layout())};
    };
  }

  /**
   * TFLite's SLICE output shape ({@link SliceShape}); where TFLite refuses it or it leaves the input, {@code refuse}'s
   * exception (the lowering's, the generated code's or the export's) with the one message all three give.
   */
  private static long[] outShape(int[] shape, long[] begin, long[] size,
      Function<String, ? extends RuntimeException> refuse) {
    long[] out;
    try {
      out = SliceShape.of(shape, begin, size);
    } catch (IllegalArgumentException e) {
      out = null;
    }
    if (out == null) {
      throw refuse.apply("begin " + Arrays.toString(begin) + " size " + Arrays.toString(size) + " outside shape "
          + Arrays.toString(shape));
    }
    return out;
  }

  @Override
  public Set<String> pythonOps() {
    return opNames();
  }

  @Override
  public void emitPython(PyOp p) {
    int[] shape = p.inShape(0);
    long[] begin = p.ints(1, "begin");
    long[] size = p.ints(2, "size");
    if (begin.length != shape.length || size.length != shape.length) {
      throw p.unsupported("begin / size do not match rank " + shape.length);
    }
    long[] out = outShape(shape, begin, size, p::unsupported);
    String[] index = new String[shape.length];
    for (int i = 0; i < shape.length; i++) {
      long len = out[i];
      int dim = shape.length == 4 ? Axes.NHWC_TO_NCHW[i] : i;
      index[dim] = begin[i] == 0 && len == shape[i] ? ":" : begin[i] + ":" + (begin[i] + len);
    }
    p.line(p.out(0) + " = " + p.value(0) + "[" + String.join(", ", index) + "]");
  }

  @Override
  public Set<String> onnxOps() {
    return opNames();
  }

  /** ONNX Slice in TFLite axes: end = begin + size, size -1 = to the end. */
  @Override
  public void exportOnnx(OnnxOp s) {
    long[] begin = s.constInts(1);
    long[] size = s.constInts(2);
    outShape(s.inShape(0), begin, size, s::refuse);
    int r = s.inShape(0).length;
    long[] end = new long[r];
    long[] axes = new long[r];
    for (int i = 0; i < r; i++) {
      end[i] = size[i] < 0 ? Long.MAX_VALUE : begin[i] + size[i];
      axes[i] = i;
    }
    s.node("Slice", List.of(s.tf(0), s.i64(begin), s.i64(end), s.i64(axes)), List.of(s.outTf(0)));
  }
}
