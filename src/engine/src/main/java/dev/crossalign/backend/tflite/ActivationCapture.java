package dev.crossalign.backend.tflite;

import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteMmapRo;

import dev.crossalign.backend.CapturedTensor;
import dev.crossalign.backend.TensorSink;
import dev.crossalign.tensor.HostTensor;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.tensorflowlite.Interpreter;
import org.bytedeco.tensorflowlite.RegistrationNodePair;
import org.bytedeco.tensorflowlite.TfLiteNode;
import org.bytedeco.tensorflowlite.TfLiteTensor;

/** Copies what one Invoke left in the interpreter's tensors to the heap, one tensor at a time. */
final class ActivationCapture {
  private ActivationCapture() {}

  /**
   * Graph inputs, then every node's outputs in execution-plan order, each tensor's heap copy handed to {@code b} as it
   * is made (so that a caller writing them elsewhere never holds the whole run); constants are not captured. Returns
   * the graph outputs' capture names. The caller holds a PointerScope around it.
   *
   * @param preserveAll whether the interpreter preserved every tensor; without that only graph outputs are read
   * @param names capture names by tensor index
   */
  static List<String> capture(TensorSink b, Interpreter interp, List<InputSpec> inputs, int[] outputIndices,
      String[] names, boolean preserveAll) {
    Set<Integer> graphOutputs = new HashSet<>();
    for (int o : outputIndices) {
      graphOutputs.add(o);
    }
    Set<Integer> seen = new HashSet<>();
    for (InputSpec s : inputs) {
      HostTensor t = NativeTensors.copyOut(interp.tensor(s.tensorIndex()), names[s.tensorIndex()]);
      if (t != null && seen.add(s.tensorIndex())) {
        b.accept(new CapturedTensor(names[s.tensorIndex()], "INPUT", s.tensorIndex(), t));
      }
    }
    IntPointer plan = interp.execution_plan();
    long planSize = ExecutionPlan.size(plan);
    for (long p = 0; p < planSize; p++) {
      RegistrationNodePair pair = ExecutionPlan.nodeAt(interp, plan.get(p));
      if (pair == null) {
        continue;
      }
      TfLiteNode node = pair.first();
      String op = ExecutionPlan.opName(pair.second());
      int[] outs = NativeTensors.intArray(node.outputs());
      for (int idx : outs) {
        if (idx < 0 || idx >= names.length || (!preserveAll && !graphOutputs.contains(idx))) {
          continue; // -1 is kTfLiteOptionalTensor; without preserved tensors only graph outputs hold their values
        }
        if (!seen.add(idx)) {
          continue;
        }
        TfLiteTensor tt = interp.tensor(idx);
        if (tt == null || tt.isNull() || tt.allocation_type() == kTfLiteMmapRo) {
          continue;
        }
        HostTensor t = NativeTensors.copyOut(tt, names[idx]);
        if (t != null) {
          b.accept(new CapturedTensor(names[idx], op, idx, t));
        }
      }
    }
    List<String> outputs = new java.util.ArrayList<>();
    for (int o : outputIndices) {
      outputs.add(names[o]);
    }
    return outputs;
  }
}
