package dev.crossalign.engine.compare;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import dev.crossalign.backend.torch.TorchGraph;
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

  /**
   * One node: the op as the format names it, its kind, its input and output tensor names, and the intermediate
   * tensors of ops folded into it (a BatchNormalization or a constant Mul/Add after a conv), in order.
   */
  record Node(int position, String op, String kind, List<String> inputs, List<String> outputs,
      List<String> absorbed, List<String> absorbedKinds) {
    Node {
      inputs = List.copyOf(inputs);
      outputs = List.copyOf(outputs);
      absorbed = List.copyOf(absorbed);
      absorbedKinds = List.copyOf(absorbedKinds);
    }

    Node(int position, String op, String kind, List<String> inputs, List<String> outputs) {
      this(position, op, kind, inputs, outputs, List.of(), List.of());
    }

    Node withKind(String k) {
      return new Node(position, op, k, inputs, outputs, absorbed, absorbedKinds);
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

  /** Why a tensor has no node of its own here: the op that produced it was folded into its producer. */
  private final Map<String, String> absorbedBy = new HashMap<>();

  private GraphView(List<Node> raw, List<String> graphInputs) {
    data.addAll(graphInputs);
    for (Node n : raw) {
      // shapes are static here: what only reads a shape (and what is computed from it) is not data
      if (!OpKinds.SHAPE_ONLY.contains(n.kind()) && n.inputs().stream().anyMatch(data::contains)) {
        data.addAll(n.outputs());
      }
    }
    this.nodes = List.copyOf(normalize(raw));
    for (Node n : this.nodes) {
      for (String o : n.outputs()) {
        producer.putIfAbsent(o, n);
      }
      for (String i : n.inputs()) {
        consumers.computeIfAbsent(i, k -> new ArrayList<>()).add(n);
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

  /**
   * Spells converter idioms one way: a concatenation of one data tensor with constants (tf2onnx's PAD as
   * Concat(x, ConstantOfShape zeros)) is a pad; a BatchNormalization, or a Mul/Add/Sub/Div by a constant, right after
   * a conv or matmul is folded into it (converters fold them, or not); a MatMul with a constant weight is a fully
   * connected layer (Gemm and MatMul+Add alike); a constant Mul then Add is an affine, like a BatchNormalization.
   */
  private List<Node> normalize(List<Node> raw) {
    Map<String, List<Node>> uses = dataUses(raw);
    Set<Node> dropped = new HashSet<>();
    List<Node> out = new ArrayList<>();
    for (Node n : raw) {
      if (dropped.contains(n)) {
        continue;
      }
      long dataIns = n.inputs().stream().filter(data::contains).count();
      String kind = idiomKind(n, dataIns);
      boolean foldsAffine = OpKinds.FOLDS_AFFINE.contains(kind);
      if ((foldsAffine || (kind.equals("mul") && dataIns == 1 && n.inputs().size() == 2)) && n.outputs().size() == 1
          && dataIns >= 1) {
        List<String> absorbed = new ArrayList<>();
        List<String> absorbedKinds = new ArrayList<>();
        String cur = n.outputs().get(0);
        Node last = n;
        while (true) {
          List<Node> us = uses.getOrDefault(cur, List.of());
          if (us.size() != 1) {
            break;
          }
          Node m = us.get(0);
          long mData = m.inputs().stream().filter(data::contains).count();
          boolean affine = m.kind().equals("batchnormalization")
              || (OpKinds.CONSTANT_AFFINE.contains(m.kind()) && m.inputs().size() == 2);
          if (!affine || mData != 1 || m.outputs().size() != 1 || (!foldsAffine && !m.kind().equals("add"))) {
            break;
          }
          absorbed.add(cur);
          absorbedKinds.add(m.kind());
          dropped.add(m);
          cur = m.outputs().get(0);
          last = m;
          if (!foldsAffine) {
            break; // a standalone Mul folds only its Add: the two are one affine
          }
        }
        if (last != n) {
          for (String t : absorbed) {
            absorbedBy.put(t, "folded with the " + String.join("+", absorbedKinds) + " after it into one '"
                + (foldsAffine ? kind : "affine") + "' (the other side may have them fused)");
          }
          out.add(new Node(n.position(), n.op(), foldsAffine ? kind : "affine", n.inputs(), List.of(cur), absorbed,
              absorbedKinds));
          continue;
        }
      }
      out.add(kind.equals(n.kind()) ? n : n.withKind(kind));
    }
    return out;
  }

  /** Data tensor -> the nodes that read it. */
  private Map<String, List<Node>> dataUses(List<Node> raw) {
    Map<String, List<Node>> uses = new HashMap<>();
    for (Node n : raw) {
      for (String i : n.inputs()) {
        if (data.contains(i)) {
          uses.computeIfAbsent(i, k -> new ArrayList<>()).add(n);
        }
      }
    }
    return uses;
  }

  /**
   * The kind a converter idiom stands for: a concat of one data tensor with constants is a pad, a matmul with a
   * constant weight a fully connected layer, a lone batch normalization an affine; else the node's own kind.
   */
  private static String idiomKind(Node n, long dataIns) {
    String kind = n.kind();
    if (kind.equals("concat") && dataIns == 1 && n.inputs().size() > 1) {
      return "pad";
    }
    if ((kind.equals("matmul") || kind.equals("fc")) && dataIns == 1) {
      return "fc";
    }
    if (kind.equals("batchnormalization") && dataIns == 1) {
      return "affine";
    }
    return kind;
  }

  /** Why this tensor was folded into another node, or null. */
  String absorbedReason(String tensor) {
    return absorbedBy.get(tensor);
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

  /**
   * A TorchScript forward graph (constants and list plumbing already left out by the backend): each node's kind from
   * its aten op, a convolution with groups > 1 being the depthwise one, as for ONNX.
   */
  static GraphView of(TorchGraph graph) {
    List<Node> nodes = new ArrayList<>();
    for (TorchGraph.Node n : graph.nodes()) {
      nodes.add(new Node(nodes.size(), n.op(), OpKinds.torch(n.op(), n.groups()), n.inputs(), n.outputs()));
    }
    return new GraphView(nodes, graph.inputs());
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

  /**
   * As {@link #resolvedDataInputs}, with a data input written by a pad (of one data input) replaced by what the pad
   * reads: the window op's own padding spelled as a separate op.
   */
  List<String> dataInputsThroughPad(Node n) {
    List<String> r = new ArrayList<>();
    for (String i : n.inputs()) {
      if (!data.contains(i)) {
        continue;
      }
      String t = resolve(i);
      Node p = producer.get(t);
      if (p != null && p.kind().equals("pad")) {
        List<String> din = p.inputs().stream().filter(data::contains).toList();
        if (din.size() == 1) {
          t = resolve(din.get(0));
        }
      }
      r.add(t);
    }
    Collections.sort(r);
    return r;
  }

  /** The node's data inputs, each resolved through transparent producers, sorted (order-insensitive matching). */
  List<String> resolvedDataInputs(Node n) {
    return resolvedInputs.get(n);
  }
}
