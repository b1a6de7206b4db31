package dev.crossalign.engine.gpu;

import dev.crossalign.CrossalignException;
import dev.crossalign.backend.cudnn.ConvGeometry;
import dev.crossalign.backend.cudnn.PaddingPlan;
import dev.crossalign.tflite.Activation;
import dev.crossalign.tflite.Padding;

/**
 * One float32 CONV_2D or DEPTHWISE_CONV_2D of a bundled model, as the bundle's manifest.json describes it: the TFLite
 * tensor names of its input, filter, bias and output (keys into reference.npz and weights.npz), its geometry and TF's
 * padding in numbers. The Python leg reads the same fields.
 *
 * @param filter the filter's tensor name in weights.npz, in TFLite's layout ([out, kh, kw, in] or [1, kh, kw, out])
 * @param bias the bias's tensor name in weights.npz, or null when the op has none
 * @param kind CONV or DEPTHWISE
 * @param padding SAME or VALID
 * @param padTop TF's pad rows before the input (from {@link PaddingPlan}); likewise the other three
 */
public record ConvSpec(
    int operator,
    String op,
    String input,
    String filter,
    String bias,
    String output,
    String kind,
    int n,
    int inH,
    int inW,
    int inC,
    int outC,
    int kh,
    int kw,
    int strideH,
    int strideW,
    int dilationH,
    int dilationW,
    String padding,
    String activation,
    int padTop,
    int padBottom,
    int padLeft,
    int padRight,
    int outH,
    int outW) {

  /** The spec of a geometry, with TF's padding plan written out. */
  public static ConvSpec of(int operator, String op, String input, String filter, String bias, String output,
      ConvGeometry g, Activation act) {
    PaddingPlan p = g.plan();
    return new ConvSpec(operator, op, input, filter, bias, output, g.kind().name(), g.n(), g.inH(), g.inW(), g.inC(),
        g.outC(), g.kh(), g.kw(), g.strideH(), g.strideW(), g.dilationH(), g.dilationW(), g.padding().name(),
        act.name(), p.top(), p.bottom(), p.left(), p.right(), p.outH(), p.outW());
  }

  /** The geometry back, checked: the written padding must be what TF's rule gives for it. */
  public ConvGeometry geometry() {
    ConvGeometry g;
    try {
      g = new ConvGeometry(ConvGeometry.Kind.valueOf(kind), n, inH, inW, inC, outC, kh, kw, strideH, strideW,
          dilationH, dilationW, Padding.valueOf(padding));
    } catch (IllegalArgumentException e) {
      throw CrossalignException.input("manifest conv #" + operator + ": unknown kind or padding: " + kind + ", " + padding);
    }
    PaddingPlan p = g.plan();
    if (p.top() != padTop || p.bottom() != padBottom || p.left() != padLeft || p.right() != padRight
        || p.outH() != outH || p.outW() != outW) {
      throw CrossalignException.input("manifest conv #" + operator + " (" + output + "): its padding " + padTop + ","
          + padBottom + "," + padLeft + "," + padRight + " -> " + outH + "x" + outW + " is not TF's " + p);
    }
    return g;
  }

  public Activation fusedActivation() {
    try {
      return Activation.valueOf(activation);
    } catch (IllegalArgumentException e) {
      throw CrossalignException.input("manifest conv #" + operator + ": unknown activation " + activation);
    }
  }

  /**
   * The symmetric padding a framework's {@code padding=(k-1)*d/2} gives (PyTorch's usual port of SAME), when it keeps
   * TF's output size and differs from TF's padding; null otherwise.
   */
  public PaddingPlan symmetricPlan() {
    ConvGeometry g = geometry();
    PaddingPlan tf = g.plan();
    if (tf.symmetric()) {
      return null;
    }
    int ph = (kh - 1) * dilationH / 2;
    int pw = (kw - 1) * dilationW / 2;
    int oh = (inH + 2 * ph - ((kh - 1) * dilationH + 1)) / strideH + 1;
    int ow = (inW + 2 * pw - ((kw - 1) * dilationW + 1)) / strideW + 1;
    if (oh != tf.outH() || ow != tf.outW()) {
      return null;
    }
    return new PaddingPlan(ph, ph, pw, pw, oh, ow);
  }
}
