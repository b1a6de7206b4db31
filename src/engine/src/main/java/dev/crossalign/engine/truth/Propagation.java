package dev.crossalign.engine.truth;

import dev.crossalign.align.LayoutAligner;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.CapturedTensor;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tflite.Operator;
import dev.crossalign.tflite.TensorInfo;
import dev.crossalign.tflite.TfliteModel;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.backend.Backend;
import dev.crossalign.backend.BackendKind;
import dev.crossalign.backend.BackendSpec;
import dev.crossalign.backend.Backends;
import dev.crossalign.port.onnx.ExportOptions;
import dev.crossalign.port.onnx.Exporter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Error propagation through each chained backend, the torch port and ONNX Runtime (issue 13, item 3), per op output, all as relative L2 norms against the
 * TFLite reference: {@code inputError} how far the op's run-time inputs in the chained port run are from the
 * reference's; {@code ownError} the op's isolated error against its float64 truth (what the op itself adds);
 * {@code chainedError} the chained port's output against the reference; {@code inheritedError} = chained - own (what
 * it received from upstream, as carried through it); {@code propagatedError} what the exact op (float64) makes of its
 * input error: ||T(x_chained) - T(x_ref)|| / ||T(x_ref)||; and {@code amplification} = propagated / input, the
 * condition of the op at that input along the error it actually got (a saturated sigmoid, a division, a softmax, a
 * conv that cancels amplify; a ReLU or an average damps).
 */
public final class Propagation {
  private Propagation() {}

  /** One op output of one chained backend ({@code backend}: the torch port or ONNX Runtime). */
  public record Layer(String backend, String tensor, String op, double inputError, double ownError,
      double chainedError, double inheritedError, double propagatedError, double amplification) {}

  /**
   * {@code truth} the float64 ops on the reference's inputs, {@code own} the backend's isolated run, {@code chained}
   * its chained run (in the reference's axes), {@code truthOnChained} the float64 ops on the chained run's tensors;
   * the layers are named after {@code chained}'s backend.
   */
  static List<Layer> measure(TfliteModel model, Activations reference, Activations truth, Activations own,
      Activations chained, Activations truthOnChained) {
    List<Layer> out = new ArrayList<>();
    for (Operator op : model.main().operators()) {
      if (op.outputs().length == 0 || op.outputs()[0] < 0) {
        continue;
      }
      String name = model.main().tensor(op.outputs()[0]).name();
      HostTensor ref = reference.tensor(name);
      HostTensor t = aligned(ref, truth.tensor(name));
      HostTensor o = aligned(ref, own.tensor(name));
      HostTensor c = aligned(ref, chained.tensor(name));
      HostTensor tc = aligned(ref, truthOnChained.tensor(name));
      if (ref == null || t == null || o == null || c == null || tc == null || !ref.dtype().isFloating()) {
        continue;
      }
      double sumD = 0;
      double sumR = 0;
      boolean any = false;
      for (int in : op.inputs()) {
        if (in < 0) {
          continue;
        }
        TensorInfo ti = model.main().tensor(in);
        HostTensor ri = reference.tensor(ti.name());
        HostTensor ci = ri == null ? null : aligned(ri, chained.tensor(ti.name()));
        if (ri == null || ci == null || !ri.dtype().isFloating()) {
          continue;
        }
        any = true;
        for (long i = 0; i < ri.numel(); i++) {
          double a = ri.getDouble(i);
          double d = ci.getDouble(i) - a;
          if (Double.isFinite(d)) {
            sumD += d * d;
            sumR += a * a;
          }
        }
      }
      if (!any) {
        continue;
      }
      double inErr = Math.sqrt(sumD) / Math.max(Math.sqrt(sumR), Double.MIN_NORMAL);
      double ownErr = relL2(o, t);
      double chainedErr = relL2(c, ref);
      double propagated = relL2(tc, t);
      double amp = inErr > 0 ? propagated / inErr : Double.NaN;
      out.add(new Layer(chained.backend(), name, op.opName(), inErr, ownErr, chainedErr, Math.max(chainedErr - ownErr, 0), propagated,
          amp));
    }
    return List.copyOf(out);
  }

  /**
   * ONNX Runtime's layers: the exported port run chained on the CPU with every intermediate fetched, brought to the
   * reference's axes, and the float64 ops evaluated on its tensors; {@code isolated} is ONNX Runtime's isolated run
   * (its own error per op); {@code float64} evaluates every op in float64 on the tensors it is given (the truth
   * lab's float64 port).
   */
  static List<Layer> onnxRuntime(TfliteModel model, Map<String, HostTensor> inputs, DeterminismConfig config,
      Activations reference, Activations truth, Activations isolated,
      java.util.function.UnaryOperator<Activations> float64) {
    Activations chained;
    BackendSpec spec = new BackendSpec(model, () -> Exporter.export(model, ExportOptions.DEFAULT).model(), Device.CPU,
        config, BackendSpec.Purpose.CAPTURE);
    try (Backend ort = Backends.open(BackendKind.ONNXRUNTIME, spec, Backend.class)) {
      chained = inReferenceAxes(reference, ort.run(inputs));
    }
    return measure(model, reference, truth, isolated, chained, float64.apply(chained));
  }

  /** The chained run in the reference's axes under the reference's names (graph inputs from the reference). */
  static Activations inReferenceAxes(Activations reference, Activations chained) {
    Activations.Builder b = Activations.builder(chained.backend());
    for (CapturedTensor r : reference.tensors()) {
      HostTensor c = chained.tensor(r.name());
      HostTensor a = c == null ? null : aligned(r.tensor(), c);
      b.add(r.name(), r.op(), r.index(), a == null ? r.tensor() : a.dtype().isFloating() ? a.toFloat32() : a);
    }
    for (String o : reference.outputNames()) {
      b.output(o);
    }
    return b.build();
  }

  /**
   * The sentence the issue asks for: the op whose amplification is largest among those that receive an input error
   * and pass on a measurable one (over the backends {@code layers} hold: filter them for one backend's), or null.
   */
  public static String headline(List<Layer> layers) {
    Layer best = null;
    for (Layer l : layers) {
      if (l.inputError() > 0 && Double.isFinite(l.amplification()) && l.propagatedError() > 1e-6
          && (best == null || l.amplification() > best.amplification())) {
        best = l;
      }
    }
    if (best == null) {
      return null;
    }
    return String.format(java.util.Locale.ROOT, "'%s' (%s) amplifies a %.1e input error %.0fx (to %.1e) on %s; its "
        + "own error %.1e, inherited %.1e", best.tensor(), best.op(), best.inputError(), best.amplification(),
        best.propagatedError(), best.backend(), best.ownError(), best.inheritedError());
  }

  private static double relL2(HostTensor a, HostTensor b) {
    double sd = 0;
    double sb = 0;
    for (long i = 0; i < b.numel(); i++) {
      double d = a.getDouble(i) - b.getDouble(i);
      if (Double.isFinite(d)) {
        sd += d * d;
        sb += b.getDouble(i) * b.getDouble(i);
      }
    }
    return Math.sqrt(sd) / Math.max(Math.sqrt(sb), Double.MIN_NORMAL);
  }

  private static HostTensor aligned(HostTensor ref, HostTensor t) {
    if (ref == null || t == null) {
      return null;
    }
    return LayoutAligner.align(ref, t) instanceof LayoutAligner.Matched m ? m.candidate() : null;
  }
}
