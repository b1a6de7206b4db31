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

  /** The graph's inputs and initializers, name -> "graph input" / "initializer" (for messages), duplicates noted. */
  private static Map<String, String> graphValues(GraphProto g, String where, List<String> problems) {
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
    return defined;
  }

  /** Adds {@code n}'s outputs to {@code defined}; a name given twice, or defined before, is a problem. */
  private static void defineOutputs(NodeProto n, String node, Map<String, String> defined, String where,
      List<String> problems) {
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

  /** An input defined nowhere before its node: out of topological order when a later node makes it. */
  private static String undefinedInput(String where, String in, String node, String laterProducer) {
    return laterProducer != null
        ? where + ": nodes are not in topological order: input '" + in + "' of " + node + " is produced later, by "
            + laterProducer
        : where + ": input '" + in + "' of " + node + " is not defined (no graph input, initializer or node output has"
            + " that name)";
  }

  private static void checkGraph(
      GraphProto g, Set<String> outer, Map<String, Long> opsets, String where, List<String> problems) {
    Map<String, String> defined = graphValues(g, where, problems);
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
        if (!in.isEmpty() && !defined.containsKey(in) && !outer.contains(in)) {
          problems.add(undefinedInput(where, in, node, laterProducer.get(in)));
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
      defineOutputs(n, node, defined, where, problems);
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
