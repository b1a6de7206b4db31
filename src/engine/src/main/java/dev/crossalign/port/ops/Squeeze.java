package dev.crossalign.port.ops;

import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.onnx.OnnxOp;
import dev.crossalign.tflite.OpOptions;
import java.util.Arrays;
import dev.crossalign.port.codegen.Py;
import dev.crossalign.port.codegen.PyOp;
import java.util.Set;

/**
 * SQUEEZE: drops the listed size-1 axes (negative allowed), or every size-1 axis when the list is empty. Works in
 * TFLite axis order (the remaining axes keep TF's order), a reshape of the TFLite-ordered value.
 */
public final class Squeeze implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("SQUEEZE");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    int[] in = ctx.input(0).shape();
    int[] dims = ctx.op().options() instanceof OpOptions.Squeeze s ? s.squeezeDims() : new int[0];
    boolean[] drop = new boolean[in.length];
    if (dims.length == 0) {
      for (int i = 0; i < in.length; i++) {
        drop[i] = in[i] == 1;
      }
    } else {
      for (int d : dims) {
        int a = Axes.normalize(ctx, d, in.length, "squeeze dim");
        if (in[a] != 1) {
          throw ctx.unsupported("squeeze dim " + d + " has size " + in[a] + ", not 1");
        }
        drop[a] = true;
      }
    }
    int[] out = new int[in.length];
    int n = 0;
    for (int i = 0; i < in.length; i++) {
      if (!drop[i]) {
        out[n++] = in[i];
      }
    }
    long[] shape = Axes.longs(Arrays.copyOf(out, n));
    return inputs -> new PortValue[] {Axes.fromTf(inputs[0].tfTensor().reshape(shape))};
  }

  @Override
  public Set<String> pythonOps() {
    return opNames();
  }

  @Override
  public void emitPython(PyOp p) {
    int[] out = p.outShape(0);
    if (HostTensorShapes.numel(out) != HostTensorShapes.numel(p.inShape(0))) {
      throw p.unsupported("output shape " + Arrays.toString(out) + " does not hold the input's elements");
    }
    Axes.emitFromTf(p, 0, p.tf(0) + ".reshape(" + Py.ints(out) + ")", out.length);
  }

  @Override
  public Set<String> onnxOps() {
    return opNames();
  }

  /** A Reshape in TFLite axes to the static output shape. */
  @Override
  public void exportOnnx(OnnxOp s) {
    Reshape.onnxReshape(s);
  }
}
