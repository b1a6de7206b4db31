package dev.crossalign.engine.gpu;

import dev.crossalign.CrossalignException;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.cudnn.ConvEpilogue;
import dev.crossalign.backend.cudnn.ConvGeometry;
import dev.crossalign.backend.cudnn.HostLayouts;
import dev.crossalign.backend.cudnn.PaddingPlan;
import dev.crossalign.backend.tflite.TfliteBackend;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tflite.Activation;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.Operator;
import dev.crossalign.tflite.TfliteModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The float32 CONV_2D and DEPTHWISE_CONV_2D layers of a model with what one TFLite reference run gave them: the input
 * activation, the filter and bias as the interpreter saw them (after any DEQUANTIZE), and the output. Pure Java over
 * host arrays; the cuDNN lab and the tests both read layers from here.
 */
public final class ConvLayers {
  private ConvLayers() {}

  /**
   * One conv layer with its reference data.
   *
   * @param operator the operator index in the main subgraph
   * @param op CONV_2D or DEPTHWISE_CONV_2D
   * @param output the output tensor's capture name
   * @param geometry the conv as cuDNN runs it
   * @param filterKcrs the filter in cuDNN's order
   * @param bias one float per output channel (zeros when the op has no bias)
   * @param activation the fused activation
   * @param inputNhwc the input activation of the reference run
   * @param referenceNhwc the reference output (TFLite's, bias and activation included)
   */
  public record Layer(
      int operator,
      String op,
      String output,
      ConvGeometry geometry,
      float[] filterKcrs,
      float[] bias,
      Activation activation,
      float[] inputNhwc,
      float[] referenceNhwc) {}

  /** A layer we cannot run on cuDNN here, and why. */
  public record Skipped(int operator, String op, String output, String reason) {}

  /** Layers found and the ones skipped. */
  public record Found(List<Layer> layers, List<Skipped> skipped) {}

  /**
   * Reads the conv layers from a model and a reference run of it.
   *
   * @param ref the TFLite reference (delegate NONE: all tensors preserved) that produced {@code run}
   */
  public static Found of(TfliteModel model, TfliteBackend ref, Activations run) {
    List<Layer> layers = new ArrayList<>();
    List<Skipped> skipped = new ArrayList<>();
    for (Operator op : model.main().operators()) {
      if (op.builtin() != BuiltinOp.CONV_2D && op.builtin() != BuiltinOp.DEPTHWISE_CONV_2D) {
        continue;
      }
      int[] in = op.inputs();
      String outName = op.outputs().length == 1 ? ref.tensorName(op.outputs()[0]) : "?";
      if (in.length < 2 || in[0] < 0 || in[1] < 0 || op.outputs().length != 1) {
        skipped.add(new Skipped(op.index(), op.opName(), outName, "unexpected inputs/outputs"));
        continue;
      }
      HostTensor x = tensor(ref, run, in[0]);
      HostTensor w = ref.tensorAt(in[1]);
      HostTensor y = tensor(ref, run, op.outputs()[0]);
      HostTensor b = in.length > 2 && in[2] >= 0 ? ref.tensorAt(in[2]) : null;
      if (x.dtype() != DType.FLOAT32 || w.dtype() != DType.FLOAT32 || y.dtype() != DType.FLOAT32
          || (b != null && b.dtype() != DType.FLOAT32)) {
        skipped.add(new Skipped(op.index(), op.opName(), outName, "not float32 (quantized convs are not compared)"));
        continue;
      }
      if (x.rank() != 4 || w.rank() != 4 || y.rank() != 4) {
        skipped.add(new Skipped(op.index(), op.opName(), outName, "not rank 4"));
        continue;
      }
      try {
        layers.add(layer(op, outName, x, w, b, y));
      } catch (CrossalignException e) {
        skipped.add(new Skipped(op.index(), op.opName(), outName, e.getMessage()));
      }
    }
    return new Found(List.copyOf(layers), List.copyOf(skipped));
  }

  private static Layer layer(Operator op, String outName, HostTensor x, HostTensor w, HostTensor b, HostTensor y) {
    int[] xs = x.shape();
    int[] ws = w.shape();
    ConvGeometry g;
    float[] kcrs;
    Activation act;
    if (op.options() instanceof OpOptions.Conv2D o) {
      if (ws[3] != xs[3]) {
        throw CrossalignException.input("CONV_2D filter " + Arrays.toString(ws) + " does not match input " + Arrays.toString(xs));
      }
      g = new ConvGeometry(ConvGeometry.Kind.CONV, xs[0], xs[1], xs[2], xs[3], ws[0], ws[1], ws[2],
          o.strideH(), o.strideW(), o.dilationH(), o.dilationW(), o.padding());
      kcrs = HostLayouts.convFilterToKcrs(w.toFloatArray(), ws[0], ws[1], ws[2], ws[3]);
      act = o.activation();
    } else if (op.options() instanceof OpOptions.DepthwiseConv2D o) {
      if (ws[0] != 1 || ws[3] % xs[3] != 0) {
        throw CrossalignException.input(
            "DEPTHWISE_CONV_2D filter " + Arrays.toString(ws) + " does not match input " + Arrays.toString(xs));
      }
      g = new ConvGeometry(ConvGeometry.Kind.DEPTHWISE, xs[0], xs[1], xs[2], xs[3], ws[3], ws[1], ws[2],
          o.strideH(), o.strideW(), o.dilationH(), o.dilationW(), o.padding());
      kcrs = HostLayouts.depthwiseFilterToKcrs(w.toFloatArray(), ws[1], ws[2], ws[3]);
      act = o.activation();
    } else {
      throw CrossalignException.input("no conv options");
    }
    PaddingPlan p = g.plan();
    int[] expect = {g.n(), p.outH(), p.outW(), g.outC()};
    if (!Arrays.equals(y.shape(), expect)) {
      throw CrossalignException.input(
          "output " + Arrays.toString(y.shape()) + " differs from the TF padding's " + Arrays.toString(expect));
    }
    float[] bias = b == null ? new float[g.outC()] : b.toFloatArray();
    if (bias.length != g.outC()) {
      throw CrossalignException.input("bias of " + bias.length + " values for " + g.outC() + " output channels");
    }
    if (act != Activation.NONE && act != Activation.RELU && act != Activation.RELU6 && act != Activation.RELU_N1_TO_1
        && act != Activation.TANH) {
      throw CrossalignException.input("fused activation " + act + " is not applied on the host here");
    }
    return new Layer(op.index(), op.opName(), outName, g, kcrs, bias, act, x.toFloatArray(), y.toFloatArray());
  }

  private static HostTensor tensor(TfliteBackend ref, Activations run, int index) {
    String name = ref.tensorName(index);
    return run.contains(name) ? run.tensor(name) : ref.tensorAt(index);
  }

  /** Adds the bias per output channel and applies the fused activation, in place ({@link ConvEpilogue}). */
  public static float[] biasAndActivation(float[] nhwc, float[] bias, Activation act) {
    return ConvEpilogue.biasAndActivation(nhwc, bias, act);
  }

  /** Largest |a - b|; NaN when either has a NaN where the other does not, or when lengths differ. */
  public static double maxAbsDiff(float[] a, float[] b) {
    if (a.length != b.length) {
      return Double.NaN;
    }
    double m = 0;
    for (int i = 0; i < a.length; i++) {
      double d = Math.abs((double) a[i] - b[i]);
      if (Double.isNaN(d)) {
        return Double.NaN;
      }
      m = Math.max(m, d);
    }
    return m;
  }
}
