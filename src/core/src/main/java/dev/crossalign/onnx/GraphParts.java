package dev.crossalign.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ToLongFunction;

/**
 * A graph cut into parts that share no computed value, each a model of its own: a node and every node that reads a
 * value it writes (or writes a value it reads) go in the same part, and parts are filled in node order up to a budget of
 * graph-input bytes. Made for the isolated form, whose every op reads graph inputs of its own: run part by part, a
 * backend is fed and holds one part's inputs and outputs at a time instead of the whole model's. Each part keeps the
 * model's opsets, metadata and the graph inputs, initializers and value infos its nodes use, and the graph outputs they
 * write; graph outputs no node writes go with the first part. A graph with subgraph attributes (If, Loop) is one part.
 */
public final class GraphParts {
  private GraphParts() {}

  /**
   * {@code proto} cut into parts of at most {@code maxInputBytes} of graph inputs each by {@code inputBytes} (a group of
   * connected nodes larger than that is a part of its own), in node order; the proto itself when it is one part.
   */
  public static List<ModelProto> of(ModelProto proto, ToLongFunction<String> inputBytes, long maxInputBytes) {
    GraphProto g = proto.getGraph();
    int n = g.getNodeCount();
    if (n == 0 || hasSubgraphs(g)) {
      return List.of(proto);
    }
    int[] group = groups(g);
    Set<String> graphInputs = new HashSet<>();
    g.getInputList().forEach(v -> graphInputs.add(v.getName()));
    // groups in order of their first node, each with the graph-input bytes its nodes read
    Map<Integer, Long> bytes = new LinkedHashMap<>();
    Map<Integer, Set<String>> reads = new HashMap<>();
    for (int i = 0; i < n; i++) {
      Set<String> r = reads.computeIfAbsent(group[i], k -> new HashSet<>());
      long add = 0;
      for (String in : g.getNode(i).getInputList()) {
        if (graphInputs.contains(in) && r.add(in)) {
          add += inputBytes.applyAsLong(in);
        }
      }
      bytes.merge(group[i], add, Long::sum);
    }
    Map<Integer, Integer> partOf = new HashMap<>();
    int parts = 0;
    long filled = 0;
    for (Map.Entry<Integer, Long> e : bytes.entrySet()) {
      if (parts == 0 || (filled > 0 && filled + e.getValue() > maxInputBytes)) {
        parts++;
        filled = 0;
      }
      partOf.put(e.getKey(), parts - 1);
      filled += e.getValue();
    }
    if (parts == 1) {
      return List.of(proto);
    }
    List<ModelProto> out = new ArrayList<>();
    for (int p = 0; p < parts; p++) {
      List<NodeProto> nodes = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        if (partOf.get(group[i]) == p) {
          nodes.add(g.getNode(i));
        }
      }
      out.add(proto.toBuilder().setGraph(part(g, nodes, p == 0)).build());
    }
    return out;
  }

  /** Union-find over nodes joined by the values one writes and another reads; each node's group root. */
  private static int[] groups(GraphProto g) {
    int n = g.getNodeCount();
    int[] parent = new int[n];
    for (int i = 0; i < n; i++) {
      parent[i] = i;
    }
    Map<String, Integer> writer = new HashMap<>();
    for (int i = 0; i < n; i++) {
      for (String o : g.getNode(i).getOutputList()) {
        if (!o.isEmpty()) {
          writer.putIfAbsent(o, i);
        }
      }
    }
    for (int i = 0; i < n; i++) {
      for (String in : g.getNode(i).getInputList()) {
        Integer w = writer.get(in);
        if (w != null) {
          int a = root(parent, i);
          int b = root(parent, w);
          parent[Math.max(a, b)] = Math.min(a, b);
        }
      }
    }
    int[] group = new int[n];
    for (int i = 0; i < n; i++) {
      group[i] = root(parent, i);
    }
    return group;
  }

  private static int root(int[] parent, int i) {
    while (parent[i] != i) {
      parent[i] = parent[parent[i]];
      i = parent[i];
    }
    return i;
  }

  /** The graph of {@code nodes}: what they read and write of the whole graph's inputs, initializers and outputs. */
  private static GraphProto part(GraphProto g, List<NodeProto> nodes, boolean first) {
    Set<String> used = new HashSet<>();
    Set<String> written = new HashSet<>();
    for (NodeProto node : nodes) {
      used.addAll(node.getInputList());
      used.addAll(node.getOutputList());
      written.addAll(node.getOutputList());
    }
    Set<String> writtenAnywhere = new HashSet<>();
    g.getNodeList().forEach(node -> writtenAnywhere.addAll(node.getOutputList()));
    List<ValueInfoProto> outputs = new ArrayList<>();
    for (ValueInfoProto o : g.getOutputList()) {
      if (written.contains(o.getName()) || (first && !writtenAnywhere.contains(o.getName()))) {
        outputs.add(o);
        used.add(o.getName());
      }
    }
    GraphProto.Builder b = g.toBuilder().clearNode().clearInput().clearInitializer().clearOutput().clearValueInfo()
        .addAllNode(nodes).addAllOutput(outputs);
    for (ValueInfoProto v : g.getInputList()) {
      if (used.contains(v.getName())) {
        b.addInput(v);
      }
    }
    for (TensorProto t : g.getInitializerList()) {
      if (used.contains(t.getName())) {
        b.addInitializer(t);
      }
    }
    for (ValueInfoProto v : g.getValueInfoList()) {
      if (used.contains(v.getName())) {
        b.addValueInfo(v);
      }
    }
    return b.build();
  }

  private static boolean hasSubgraphs(GraphProto g) {
    for (NodeProto node : g.getNodeList()) {
      for (AttributeProto a : node.getAttributeList()) {
        if (a.hasG() || a.getGraphsCount() > 0) {
          return true;
        }
      }
    }
    return false;
  }
}
