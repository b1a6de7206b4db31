package dev.crossalign.engine.compare;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import dev.crossalign.onnx.OnnxModel;
import dev.crossalign.onnx.OnnxNode;
import dev.crossalign.onnx.OnnxValueInfo;
import dev.crossalign.tflite.Activation;
import dev.crossalign.tflite.Operator;
import dev.crossalign.tflite.Subgraph;
import dev.crossalign.tflite.TensorInfo;
import dev.crossalign.tflite.TfliteModel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A model's graph as matching sees it: nodes in execution (topological) order, each with an op kind shared by TFLite
 * and ONNX. A TFLite op with a fused activation becomes two nodes (the op, writing a virtual tensor no backend
 * captures, then the activation writing the op's real output), which is how ONNX spells it. Data tensors are the
 * ones that depend on a graph input; weights and folded constants are not.
 */
final class GraphView {
  /** Suffix of the virtual tensor between a TFLite op and its fused activation. */
  static final String PRE_ACTIVATION = "\u0000pre-activation";

  /** One node: the op as the format names it, its kind, and its input and output tensor names. */
  record Node(int position, String op, String kind, List<String> inputs, List<String> outputs) {
    Node {
      inputs = List.copyOf(inputs);
      outputs = List.copyOf(outputs);
    }

    boolean transparent() {
      return OpKinds.TRANSPARENT.contains(kind);
    }
  }

  private final List<Node> nodes;
  private final Map<String, Node> producer = new HashMap<>();
  private final Map<String, List<Node>> consumers = new HashMap<>();
  private final Set<String> data = new HashSet<>();
  private final Map<Node, List<String>> resolvedInputs = new HashMap<>();

  private GraphView(List<Node> nodes, List<String> graphInputs) {
    this.nodes = List.copyOf(nodes);
    data.addAll(graphInputs);
    for (Node n : this.nodes) {
      for (String o : n.outputs()) {
        producer.putIfAbsent(o, n);
      }
      for (String i : n.inputs()) {
        consumers.computeIfAbsent(i, k -> new ArrayList<>()).add(n);
      }
      if (n.inputs().stream().anyMatch(data::contains)) {
        data.addAll(n.outputs());
      }
    }
    for (Node n : this.nodes) {
      List<String> r = new ArrayList<>();
      for (String i : n.inputs()) {
        if (data.contains(i)) {
          r.add(resolve(i));
        }
      }
      Collections.sort(r);
      resolvedInputs.put(n, List.copyOf(r));
    }
  }

  static GraphView of(TfliteModel model) {
    Subgraph g = model.main();
    List<Node> nodes = new ArrayList<>();
    for (Operator op : g.operators()) {
      List<String> ins = names(g, op.inputs());
      List<String> outs = names(g, op.outputs());
      int channels = 0;
      if (op.inputs().length > 0 && op.inputs()[0] >= 0 && op.inputs()[0] < g.tensors().size()) {
        int[] s = g.tensor(op.inputs()[0]).shape();
        channels = s.length == 0 ? 0 : s[s.length - 1];
      }
      String kind = OpKinds.tflite(op.opName(), channels);
      Activation act = OpKinds.fused(op.options());
      String actKind = OpKinds.activationKind(act);
      if (actKind != null && outs.size() == 1) {
        String pre = outs.get(0) + PRE_ACTIVATION;
        nodes.add(new Node(nodes.size(), op.opName(), kind, ins, List.of(pre)));
        nodes.add(new Node(nodes.size(), "fused " + act, actKind, List.of(pre), outs));
      } else {
        nodes.add(new Node(nodes.size(), op.opName(), kind, ins, outs));
      }
    }
    return new GraphView(nodes, names(g, g.inputs()));
  }

  static GraphView of(OnnxModel model) {
    List<Node> nodes = new ArrayList<>();
    List<NodeProto> protos = model.proto().getGraph().getNodeList();
    List<OnnxNode> onnx = model.nodes();
    for (int i = 0; i < onnx.size(); i++) {
      OnnxNode n = onnx.get(i);
      long group = 1;
      if (i < protos.size()) {
        for (AttributeProto a : protos.get(i).getAttributeList()) {
          if (a.getName().equals("group")) {
            group = a.getI();
          }
        }
      }
      List<String> ins = n.inputs().stream().filter(s -> !s.isEmpty()).toList();
      List<String> outs = n.outputs().stream().filter(s -> !s.isEmpty()).toList();
      nodes.add(new Node(nodes.size(), n.opType(), OpKinds.onnx(n.opType(), group), ins, outs));
    }
    return new GraphView(nodes, model.inputs().stream().map(OnnxValueInfo::name).toList());
  }

  private static List<String> names(Subgraph g, int[] idx) {
    List<String> l = new ArrayList<>();
    for (int i : idx) {
      if (i >= 0 && i < g.tensors().size()) {
        TensorInfo t = g.tensor(i);
        l.add(t.name());
      }
    }
    return l;
  }

  List<Node> nodes() {
    return nodes;
  }

  boolean isData(String tensor) {
    return data.contains(tensor);
  }

  Node producer(String tensor) {
    return producer.get(tensor);
  }

  List<Node> consumers(String tensor) {
    return consumers.getOrDefault(tensor, List.of());
  }

  /** The tensor itself, or, through transparent producers (transpose, identity) with one data input, their source. */
  String resolve(String tensor) {
    String t = tensor;
    for (int guard = 0; guard < nodes.size() + 1; guard++) {
      Node p = producer.get(t);
      if (p == null || !p.transparent()) {
        return t;
      }
      List<String> din = p.inputs().stream().filter(data::contains).toList();
      if (din.size() != 1) {
        return t;
      }
      t = din.get(0);
    }
    return t;
  }

  /** The node's data inputs, each resolved through transparent producers, sorted (order-insensitive matching). */
  List<String> resolvedDataInputs(Node n) {
    return resolvedInputs.get(n);
  }
}
