package dev.crossalign.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import dev.crossalign.ModelFormatException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Structural checks of an ONNX graph, the ones a runtime would otherwise report as an opaque load failure: every node
 * input is defined before use (graph input, initializer, outer-scope value or an earlier node's output; "" marks an
 * omitted optional input), nodes are in topological order, every value has one producer, graph outputs exist and are
 * unique, and every node's domain is imported. It does not check op schemas (attribute names, arities, types).
 */
public final class OnnxChecker {
  private OnnxChecker() {}

  /** Every problem found, one line each; empty when the graph is sound. */
  public static List<String> check(OnnxModel model) {
    List<String> problems = new ArrayList<>();
    Map<String, Long> opsets = model.opsetImports();
    if (!opsets.containsKey("")) {
      problems.add("the model does not import the default ONNX domain (opset_import with domain \"\")");
    } else if (opsets.get("") < 1) {
      problems.add("the default ONNX domain has opset version " + opsets.get(""));
    }
    checkGraph(model.proto().getGraph(), Set.of(), opsets, "graph", problems);
    return List.copyOf(problems);
  }

  /** Throws a {@link ModelFormatException} (INPUT) listing the first problems when there are any. */
  public static void checkOrThrow(OnnxModel model) {
    List<String> problems = check(model);
    if (!problems.isEmpty()) {
      int shown = Math.min(problems.size(), 5);
      String more = problems.size() > shown ? " (and " + (problems.size() - shown) + " more)" : "";
      throw new ModelFormatException("invalid ONNX graph: " + String.join("; ", problems.subList(0, shown)) + more, -1);
    }
  }

  private static void checkGraph(
      GraphProto g, Set<String> outer, Map<String, Long> opsets, String where, List<String> problems) {
    // name -> who defined it, for messages
    Map<String, String> defined = new HashMap<>();
    for (ValueInfoProto v : g.getInputList()) {
      if (v.getName().isEmpty()) {
        problems.add(where + ": a graph input has no name");
      } else if (defined.putIfAbsent(v.getName(), "graph input") != null) {
        problems.add(where + ": graph input '" + v.getName() + "' is declared twice");
      }
    }
    Set<String> initNames = new HashSet<>();
    for (TensorProto t : g.getInitializerList()) {
      if (!initNames.add(t.getName())) {
        problems.add(where + ": initializer '" + t.getName() + "' is declared twice");
      }
      // an initializer may also be listed as a graph input (IR < 4 style): that is one value, not two
      defined.putIfAbsent(t.getName(), "initializer");
    }
    // who produces what, to tell "defined later" from "never defined"
    Map<String, String> laterProducer = new HashMap<>();
    List<NodeProto> nodes = g.getNodeList();
    for (int i = 0; i < nodes.size(); i++) {
      for (String o : nodes.get(i).getOutputList()) {
        if (!o.isEmpty()) {
          laterProducer.putIfAbsent(o, describe(nodes.get(i), i));
        }
      }
    }
    for (int i = 0; i < nodes.size(); i++) {
      NodeProto n = nodes.get(i);
      String node = describe(n, i);
      String domain = n.getDomain().equals("ai.onnx") ? "" : n.getDomain();
      if (!opsets.containsKey(domain)) {
        problems.add(where + ": " + node + " uses domain '" + domain + "', which the model does not import");
      }
      for (String in : n.getInputList()) {
        if (in.isEmpty() || defined.containsKey(in) || outer.contains(in)) {
          continue;
        }
        String producer = laterProducer.get(in);
        if (producer != null) {
          problems.add(where + ": nodes are not in topological order: input '" + in + "' of " + node
              + " is produced later, by " + producer);
        } else {
          problems.add(where + ": input '" + in + "' of " + node + " is not defined (no graph input, initializer "
              + "or node output has that name)");
        }
      }
      for (AttributeProto a : n.getAttributeList()) {
        if (a.hasG() || a.getGraphsCount() > 0) {
          Set<String> scope = new HashSet<>(outer);
          scope.addAll(defined.keySet());
          if (a.hasG()) {
            checkGraph(a.getG(), scope, opsets, where + "/" + node + "." + a.getName(), problems);
          }
          for (GraphProto sub : a.getGraphsList()) {
            checkGraph(sub, scope, opsets, where + "/" + node + "." + a.getName(), problems);
          }
        }
      }
      Set<String> own = new HashSet<>();
      for (String o : n.getOutputList()) {
        if (o.isEmpty()) {
          continue;
        }
        if (!own.add(o)) {
          problems.add(where + ": " + node + " names output '" + o + "' twice");
          continue;
        }
        String prev = defined.putIfAbsent(o, node);
        if (prev != null) {
          problems.add(where + ": output '" + o + "' of " + node + " is already defined by " + prev);
        }
      }
    }
    Set<String> outs = new HashSet<>();
    for (ValueInfoProto v : g.getOutputList()) {
      if (!outs.add(v.getName())) {
        problems.add(where + ": graph output '" + v.getName() + "' is listed twice");
      }
      if (!defined.containsKey(v.getName()) && !outer.contains(v.getName())) {
        problems.add(where + ": graph output '" + v.getName() + "' is not produced by any node, input or initializer");
      }
    }
  }

  private static String describe(NodeProto n, int index) {
    return n.getOpType() + " #" + index + (n.getName().isEmpty() ? "" : " (" + n.getName() + ")");
  }
}
