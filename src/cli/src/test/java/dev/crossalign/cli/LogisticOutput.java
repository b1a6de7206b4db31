package dev.crossalign.cli;

import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.Operator;
import dev.crossalign.tflite.Subgraph;

/**
 * A graph output written by LOGISTIC (or a reshape of its result), judged through its input. For y = sigmoid(z) the relative error of y is
 * |z| (1 - y) times the relative error of z, so a probability near 0 (the pose flag's logit is about -20) multiplies
 * the logit's chained float32 error 20-fold: rel_l2 1e-5 on such an output asks the logit for 5e-7, which TFLite
 * itself does not reach against a float64 run of the same graph. Here the logit must be within the outputs' bound,
 * each side's sigmoid exact on its own logit (closed form in float64; TFLite 2.20's float kernel, Eigen's
 * scalar_logistic_op, is within 4.5 ulp, about 3.4e-7 relative, measured down to FLT_MIN), and the output is then
 * allowed what the logit's difference carries through the exact sigmoid (the triangle inequality over those three
 * measured terms).
 *
 * @param logitName the LOGISTIC's input tensor
 * @param logitRel rel_l2 of the generated logit against TFLite's
 * @param condition max over elements of |z| (1 - sigmoid(z)) at TFLite's logit
 * @param carried rel_l2 between sigmoid(generated logit) and sigmoid(TFLite's logit), in float64
 * @param ownGenerated rel_l2 of the generated output against sigmoid of its own logit
 * @param ownTflite rel_l2 of TFLite's output against sigmoid of TFLite's logit
 * @param bound the largest rel_l2 the output may have against TFLite's: the three terms' triangle bound
 */
record LogisticOutput(String logitName, double logitRel, double condition, double carried, double ownGenerated,
    double ownTflite, double bound) {
  /** Closed-form accuracy of one sigmoid kernel on its own logit (TFLite measured at 3.4e-7, torch at 7e-8). */
  static final double KERNEL_REL = 1e-6;

  /**
   * The LOGISTIC op whose result tensor {@code out} is, through value-preserving reshapes (RESHAPE, SQUEEZE,
   * EXPAND_DIMS: same elements, same order), or null when another op writes it.
   */
  static Operator producer(Subgraph g, int out) {
    int t = out;
    for (int step = 0; step < 8; step++) {
      Operator op = writer(g, t);
      if (op == null) {
        return null;
      }
      if (op.builtin() == BuiltinOp.LOGISTIC) {
        return op;
      }
      if (op.builtin() != BuiltinOp.RESHAPE && op.builtin() != BuiltinOp.SQUEEZE
          && op.builtin() != BuiltinOp.EXPAND_DIMS) {
        return null;
      }
      t = op.inputs()[0];
    }
    return null;
  }

  private static Operator writer(Subgraph g, int tensor) {
    for (Operator op : g.operators()) {
      for (int o : op.outputs()) {
        if (o == tensor) {
          return op;
        }
      }
    }
    return null;
  }

  /**
   * @param zTflite TFLite's logit, {@code yTflite} its output; {@code zGenerated}, {@code yGenerated} the generated
   *     module's (captured logit, eager output), same element order
   */
  static LogisticOutput of(String logitName, HostTensor zTflite, HostTensor yTflite, HostTensor zGenerated,
      HostTensor yGenerated) {
    double[] zt = values(zTflite);
    double[] zg = values(zGenerated);
    double[] st = sigmoid(zt);
    double[] sg = sigmoid(zg);
    double cond = 0;
    for (int i = 0; i < zt.length; i++) {
      cond = Math.max(cond, Math.abs(zt[i]) * (1 - st[i]));
    }
    double carried = rel(sg, st);
    double ownG = rel(values(yGenerated), sg);
    double ownT = rel(values(yTflite), st);
    // ||yG - yT|| <= ||yG - s(zG)|| + ||s(zG) - s(zT)|| + ||s(zT) - yT||, each over ||yT||
    double bound = (ownG * norm(sg) + carried * norm(st) + ownT * norm(st)) / Math.max(norm(values(yTflite)), 1e-30);
    return new LogisticOutput(logitName, rel(zg, zt), cond, carried, ownG, ownT, bound * (1 + 1e-9));
  }

  private static double[] values(HostTensor t) {
    double[] v = new double[Math.toIntExact(t.numel())];
    for (int i = 0; i < v.length; i++) {
      v[i] = t.getDouble(i);
    }
    return v;
  }

  /** The exact sigmoid of each element, in double. */
  private static double[] sigmoid(double[] z) {
    double[] s = new double[z.length];
    for (int i = 0; i < z.length; i++) {
      s[i] = 1.0 / (1.0 + Math.exp(-z[i]));
    }
    return s;
  }

  /** ||a - b|| / ||b||. */
  private static double rel(double[] a, double[] b) {
    double d = 0;
    for (int i = 0; i < a.length; i++) {
      d += (a[i] - b[i]) * (a[i] - b[i]);
    }
    return Math.sqrt(d) / Math.max(norm(b), 1e-30);
  }

  private static double norm(double[] a) {
    double s = 0;
    for (double v : a) {
      s += v * v;
    }
    return Math.sqrt(s);
  }
}
