package dev.crossalign.backend.tflite;

import static org.bytedeco.tensorflowlite.global.tensorflowlite.GetOpNameByRegistration;

import dev.crossalign.CrossalignException;
import dev.crossalign.CrossalignException.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.tensorflowlite.Interpreter;
import org.bytedeco.tensorflowlite.RegistrationNodePair;
import org.bytedeco.tensorflowlite.TfLiteNode;
import org.bytedeco.tensorflowlite.TfLiteRegistration;

/**
 * The interpreter's graph as Java sees it: its execution plan as {@link OpNode}s, each node's op name and custom code,
 * and which nodes a delegate took over. Every node index the plan names is range-checked before it is dereferenced.
 */
// "try": PointerScope is opened for its side effect (it frees every native temporary created inside), never read.
@SuppressWarnings("try")
final class ExecutionPlan {
  private ExecutionPlan() {}

  /** The plan's nodes in the order Invoke runs them. */
  static List<OpNode> nodes(Interpreter interp) {
    return nodes(interp, pair -> true);
  }

  /** The plan's nodes that a delegate took over (their TfLiteNode has a delegate; TFLite names their op DELEGATE). */
  static List<OpNode> delegated(Interpreter interp) {
    return nodes(interp, ExecutionPlan::isDelegated);
  }

  private static List<OpNode> nodes(Interpreter interp, Predicate<RegistrationNodePair> which) {
    List<OpNode> nodes = new ArrayList<>();
    try (PointerScope scope = new PointerScope()) {
      IntPointer plan = interp.execution_plan();
      long planSize = size(plan);
      for (long p = 0; p < planSize; p++) {
        int nodeIndex = plan.get(p);
        RegistrationNodePair pair = nodeAt(interp, nodeIndex);
        if (pair != null && which.test(pair)) {
          TfLiteNode node = pair.first();
          nodes.add(new OpNode(nodeIndex, opName(pair.second()), NativeTensors.intArray(node.inputs()),
              NativeTensors.intArray(node.outputs())));
        }
      }
    }
    return List.copyOf(nodes);
  }

  /** Entries in a native execution plan (0 for none). */
  static long size(IntPointer plan) {
    return plan == null ? 0 : plan.limit() - plan.position();
  }

  static boolean isDelegated(RegistrationNodePair pair) {
    return pair.first().delegate() != null && !pair.first().delegate().isNull();
  }

  /** The node and registration at an index the plan names, or null where TFLite has none. */
  static RegistrationNodePair nodeAt(Interpreter interp, int nodeIndex) {
    if (nodeIndex < 0 || nodeIndex >= interp.nodes_size()) {
      throw new CrossalignException(Kind.INTERNAL, "execution plan names node " + nodeIndex + " out of range");
    }
    RegistrationNodePair pair = interp.node_and_registration(nodeIndex);
    return pair == null || pair.isNull() ? null : pair;
  }

  static String opName(TfLiteRegistration reg) {
    if (reg == null || reg.isNull()) {
      return "UNKNOWN";
    }
    String n = GetOpNameByRegistration(reg);
    return n == null || n.isEmpty() ? "BUILTIN_" + reg.builtin_code() : n;
  }

  /** The custom_code of a node's registration, or null for a builtin. */
  static String customNameOf(Interpreter interp, int nodeIndex) {
    RegistrationNodePair pair = nodeAt(interp, nodeIndex);
    if (pair == null) {
      return null;
    }
    TfLiteRegistration reg = pair.second();
    if (reg == null || reg.isNull() || reg.builtin_code() != OperatorCodes.CUSTOM) {
      return null;
    }
    BytePointer name = reg.custom_name();
    return name == null || name.isNull() ? null : name.getString();
  }
}
