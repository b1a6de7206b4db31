package dev.crossalign.backend.tflite;

import static dev.crossalign.backend.tflite.NativeTensors.printable;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteDynamic;

import dev.crossalign.CrossalignException;
import dev.crossalign.backend.tflite.TfliteBackend.PlaceholderOp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.tensorflowlite.Interpreter;
import org.bytedeco.tensorflowlite.TfLiteIntArray;
import org.bytedeco.tensorflowlite.TfLiteTensor;

/**
 * Where placeholder kernels' zeros went in one interpreter: the nodes that ran as placeholders, the tensors they
 * wrote, and the tensors computed from those (TFLite indices). Empty when no placeholder was registered.
 *
 * @param ops the nodes that ran as placeholders
 * @param outputs the tensors they wrote
 * @param downstream the tensors computed, directly or through other ops, from those (placeholder outputs excluded)
 */
// "try": PointerScope is opened for its side effect (it frees every native temporary created inside), never read.
@SuppressWarnings("try")
record PlaceholderReach(List<PlaceholderOp> ops, Set<Integer> outputs, Set<Integer> downstream) {
  static final PlaceholderReach NONE = new PlaceholderReach(List.of(), Set.of(), Set.of());

  PlaceholderReach {
    ops = List.copyOf(ops);
    outputs = Collections.unmodifiableSet(new LinkedHashSet<>(outputs));
    downstream = Collections.unmodifiableSet(new LinkedHashSet<>(downstream));
  }

  /**
   * Walks the execution plan once: it is topological, so one pass marks every tensor computed from a placeholder.
   *
   * @param placeholders the kernels registered for the model, or null for none
   * @param names capture names by tensor index
   */
  static PlaceholderReach of(Interpreter interp, PlaceholderKernels placeholders, String[] names) {
    if (placeholders == null) {
      return NONE;
    }
    Set<String> served = served(placeholders);
    List<PlaceholderOp> ops = new ArrayList<>();
    Set<Integer> phOut = new LinkedHashSet<>();
    Set<Integer> down = new LinkedHashSet<>();
    try (PointerScope scope = new PointerScope()) {
      for (OpNode n : ExecutionPlan.nodes(interp)) {
        String custom = ExecutionPlan.customNameOf(interp, n.nodeIndex());
        if (custom != null && served.contains(custom)) {
          ops.add(new PlaceholderOp(
              custom, n.nodeIndex(), Arrays.stream(n.outputs()).filter(i -> i >= 0).mapToObj(i -> names[i]).toList()));
          Arrays.stream(n.outputs()).filter(i -> i >= 0).forEach(phOut::add);
        } else if (Arrays.stream(n.inputs()).anyMatch(i -> i >= 0 && (phOut.contains(i) || down.contains(i)))) {
          Arrays.stream(n.outputs()).filter(i -> i >= 0 && !phOut.contains(i)).forEach(down::add);
        }
      }
    }
    return new PlaceholderReach(ops, phOut, down);
  }

  private static Set<String> served(PlaceholderKernels placeholders) {
    Set<String> served = new HashSet<>();
    placeholders.codes().forEach(c -> served.add(c.customCode()));
    return served;
  }

  /**
   * Placeholders need a fully static output shape (the model's declared shape, every dim > 0, no -1 in the shape
   * signature): they cannot compute a shape. Checked before AllocateTensors runs their Prepare.
   */
  static void checkShapes(Interpreter interp, PlaceholderKernels placeholders, String label) {
    Set<String> served = served(placeholders);
    int nTensors = Math.toIntExact(interp.tensors_size());
    try (PointerScope scope = new PointerScope()) {
      for (OpNode n : ExecutionPlan.nodes(interp)) {
        String custom = ExecutionPlan.customNameOf(interp, n.nodeIndex());
        if (custom == null || !served.contains(custom)) {
          continue;
        }
        for (int idx : n.outputs()) {
          if (idx >= 0) {
            checkOutput(interp, idx, nTensors, n.nodeIndex(), custom, label);
          }
        }
      }
    }
  }

  private static void checkOutput(Interpreter interp, int idx, int nTensors, int node, String custom, String label) {
    if (idx >= nTensors) {
      throw CrossalignException.input("model " + label + ": node " + node + " names tensor " + idx
          + ", it has " + nTensors + " tensors");
    }
    TfLiteTensor t = interp.tensor(idx);
    TfLiteIntArray sig = t.dims_signature();
    int[] shape = NativeTensors.intArray(t.dims());
    int[] signature = sig == null || sig.isNull() ? new int[0] : NativeTensors.intArray(sig);
    boolean dynamic = Arrays.stream(shape).anyMatch(d -> d <= 0) || Arrays.stream(signature).anyMatch(d -> d < 0)
        || t.allocation_type() == kTfLiteDynamic;
    if (dynamic) {
      throw CrossalignException.unsupported(
          "custom op '" + printable(custom) + "' is not supported by the TFLite interpreter (model " + label
              + ") and cannot run as a placeholder: its output '" + printable(NativeTensors.nameOf(t, idx))
              + "' has no static shape (shape " + Arrays.toString(shape) + ", signature "
              + (signature.length == 0 ? "none" : Arrays.toString(signature)) + ")");
    }
    if (NativeTensors.dtypeOf(t.type()) == null) {
      throw CrossalignException.unsupported(
          "custom op '" + printable(custom) + "' is not supported by the TFLite interpreter (model " + label
              + ") and cannot run as a placeholder: its output '" + printable(NativeTensors.nameOf(t, idx))
              + "' has TFLite type " + t.type() + ", which crossalign does not map");
    }
  }
}
