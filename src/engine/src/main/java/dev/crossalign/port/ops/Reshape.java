package dev.crossalign.port.ops;

import dev.crossalign.CrossalignException;
import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.onnx.OnnxOp;
import dev.crossalign.tflite.OpOptions;
import java.util.Arrays;
import dev.crossalign.port.codegen.Py;
import dev.crossalign.port.codegen.PyOp;
import java.util.List;
import java.util.Set;

/**
 * RESHAPE. The element order is TFLite's (row-major NHWC), so an NCHW value is first brought back to TFLite axis
 * order and only then reshaped. The new shape comes, as in the TFLite kernel, from the second input when it is a
 * vector (constant, or read at run time), else from the options' new_shape ([0] meaning a scalar, as legacy
 * converters wrote it), else from the output tensor's shape. One -1 takes the remaining element count.
 */
public final class Reshape implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("RESHAPE");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    int[] inShape = ctx.input(0).shape();
    if (ctx.hasInput(1) && ctx.input(1).shape().length == 1) {
      if (ctx.isConstant(1)) {
        int[] shape = resolve(ctx, Axes.constInts(ctx, 1, "shape"), inShape);
        return inputs -> new PortValue[] {Axes.fromTf(inputs[0].tfTensor().reshape(Axes.longs(shape)))};
      }
      return inputs -> {
        int[] shape;
        try {
          shape = resolve(Axes.ints(inputs[1].tensor()), Axes.shape(inputs[0].tfTensor()));
        } catch (IllegalArgumentException e) {
          throw CrossalignException.input("RESHAPE: " + e.getMessage());
        }
        return new PortValue[] {Axes.fromTf(inputs[0].tfTensor().reshape(Axes.longs(shape)))};
      };
    }
    int[] shape;
    if (ctx.op().options() instanceof OpOptions.Reshape r && r.newShape().length > 0) {
      shape = r.newShape().length == 1 && r.newShape()[0] == 0 ? new int[0] : r.newShape();
    } else {
      shape = ctx.output(0).shape();
    }
    int[] resolved = resolve(ctx, shape, inShape);
    return inputs -> new PortValue[] {Axes.fromTf(inputs[0].tfTensor().reshape(Axes.longs(resolved)))};
  }

  /** Resolves the one -1 and checks the element count, so a bad shape fails at prepare time with its reason. */
  static int[] resolve(LoweringContext ctx, int[] shape, int[] inShape) {
    try {
      return resolve(shape, inShape);
    } catch (IllegalArgumentException e) {
      throw ctx.unsupported(e.getMessage());
    }
  }

  static int[] resolve(int[] shape, int[] inShape) {
    long inCount = 1;
    for (int d : inShape) {
      inCount *= d;
    }
    int stretch = -1;
    long known = 1;
    for (int i = 0; i < shape.length; i++) {
      if (shape[i] == -1) {
        if (stretch >= 0) {
          throw new IllegalArgumentException("new shape " + Arrays.toString(shape) + " has more than one -1");
        }
        stretch = i;
      } else if (shape[i] < 0) {
        throw new IllegalArgumentException("new shape " + Arrays.toString(shape) + " has a negative dimension");
      } else {
        known *= shape[i];
      }
    }
    int[] out = shape.clone();
    if (stretch >= 0) {
      if (known == 0 || inCount % known != 0) {
        throw new IllegalArgumentException(
            "new shape " + Arrays.toString(shape) + " does not divide the " + inCount + " input elements");
      }
      out[stretch] = Math.toIntExact(inCount / known);
    } else if (known != inCount) {
      throw new IllegalArgumentException(
          "new shape " + Arrays.toString(shape) + " holds " + known + " elements, the input " + inCount);
    }
    return out;
  }

  @Override
  public Set<String> pythonOps() {
    return opNames();
  }

  @Override
  public void emitPython(PyOp p) {
    int[] inShape = p.inShape(0);
    int[] shape;
    if (p.hasInput(1) && p.inShape(1).length == 1) {
      if (!p.isConstant(1)) {
        throw p.unsupported("new shape computed at run time");
      }
      shape = Arrays.stream(p.ints(1, "shape")).mapToInt(Math::toIntExact).toArray();
    } else if (p.op().options() instanceof OpOptions.Reshape r && r.newShape().length > 0) {
      shape = r.newShape().length == 1 && r.newShape()[0] == 0 ? new int[0] : r.newShape();
    } else {
      shape = p.outShape(0);
    }
    int[] resolved;
    try {
      resolved = resolve(shape, inShape);
    } catch (IllegalArgumentException e) {
      throw p.unsupported(e.getMessage());
    }
    Axes.emitFromTf(p, 0, p.tf(0) + ".reshape(" + Py.ints(resolved) + ")", resolved.length);
  }

  @Override
  public Set<String> onnxOps() {
    return opNames();
  }

  @Override
  public void exportOnnx(OnnxOp s) {
    onnxReshape(s);
  }

  /** RESHAPE / SQUEEZE / EXPAND_DIMS: a Reshape in TFLite axes to the static output shape. */
  static void onnxReshape(OnnxOp s) {
    long[] shape = java.util.Arrays.stream(s.outShape(0)).asLongStream().toArray();
    s.node("Reshape", List.of(s.tf(0), s.i64(shape)), List.of(s.outTf(0)));
  }
}
