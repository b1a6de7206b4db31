package dev.crossalign.engine;

import dev.crossalign.backend.BackendKind;
import dev.crossalign.align.Comparison;
import dev.crossalign.align.Mode;
import dev.crossalign.UnsupportedOp;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.CapturedTensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** What a validation does about custom ops the TFLite reference ran as zero-writing placeholder kernels. */
final class Placeholders {
  private Placeholders() {}

  static String placeholderReason(String customOp) {
    return "custom op " + customOp + " has no kernel in the TFLite reference: a placeholder wrote zeros, tensors"
        + " downstream are compared in isolated mode only";
  }

  /**
   * The reference's placeholder outputs hold zeros, not the custom op's result, and the tensors computed from them
   * are real kernels run on invented inputs. Against the reference that leaves: nothing for the placeholder outputs
   * (any mode), no chained comparison downstream (a candidate's own chained value is no oracle for zeros pushed
   * through the graph); isolated comparisons downstream stay, each op being fed the same tensors on both sides. Model
   * outputs among them cannot be truly compared: each candidate gets a MISSING comparison for them, which with the
   * unsupported ops listed makes the verdict INCOMPLETE.
   */
  static void dropComparisons(
      List<Comparison> comparisons,
      Activations reference,
      List<String> placeholders,
      Set<String> placeholderOutputs,
      Set<String> downstream,
      ValidationRequest req) {
    String refPrefix = reference.backend() + "~";
    comparisons.removeIf(c -> c.pair().startsWith(refPrefix)
        && (placeholderOutputs.contains(c.name()) || (c.mode() == Mode.CHAINED && downstream.contains(c.name()))));
    String ops = String.join(", ", placeholders.stream().distinct().toList());
    for (String candidate : BackendKind.ids(req.backends())) {
      if (candidate.equals(reference.backend())) {
        continue;
      }
      for (String o : reference.outputNames()) {
        if (!placeholderOutputs.contains(o) && !downstream.contains(o)) {
          continue;
        }
        CapturedTensor r = reference.get(o);
        if (r == null) {
          continue;
        }
        List<Integer> shape = new ArrayList<>();
        for (int d : r.tensor().shape()) {
          shape.add(d);
        }
        // in the first mode run (--mode isolated makes no chained comparison, not even a missing one)
        comparisons.add(new Comparison(r.name(), r.op(), r.index(), shape, refPrefix + candidate,
            req.mode().chained() ? Mode.CHAINED : Mode.ISOLATED, null,
            Comparison.Status.MISSING, null,
            "model output '" + o + "' of the TFLite reference is computed from placeholder zeros (custom op " + ops
                + " has no kernel there): no true reference value"));
      }
    }
  }

  /**
   * A custom op without a TFLite kernel is usually without a port lowering (and ONNX export) too: one entry per op,
   * the reference's reason first and the other backends' reasons after it, instead of the same op listed twice.
   */
  static void mergeEntries(List<UnsupportedOp> unsupported, Set<String> placeholderOps) {
    Map<String, UnsupportedOp> merged = new LinkedHashMap<>();
    List<UnsupportedOp> out = new ArrayList<>();
    for (UnsupportedOp u : unsupported) {
      UnsupportedOp first = merged.get(u.op());
      if (!placeholderOps.contains(u.op())) {
        out.add(u);
      } else if (first == null) {
        merged.put(u.op(), u);
        out.add(u);
      } else {
        UnsupportedOp m = new UnsupportedOp(u.op(), Math.max(first.count(), u.count()), first.reason() + "; " + u.reason());
        out.set(out.indexOf(first), m);
        merged.put(u.op(), m);
      }
    }
    unsupported.clear();
    unsupported.addAll(out);
  }

}
