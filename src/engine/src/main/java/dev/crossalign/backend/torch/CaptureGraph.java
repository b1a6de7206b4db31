package dev.crossalign.backend.torch;

import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bytedeco.pytorch.Argument;
import org.bytedeco.pytorch.Graph;
import org.bytedeco.pytorch.GraphExecutor;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.IValueOptional;
import org.bytedeco.pytorch.IValueVector;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.JitNode;
import org.bytedeco.pytorch.Method;
import org.bytedeco.pytorch.MethodOptional;
import org.bytedeco.pytorch.Symbol;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.Value;
import org.bytedeco.pytorch.ValueArrayRef;
import org.bytedeco.pytorch.ValueVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.TypeKind;

/**
 * The forward graph of a frozen module, copied and rewritten so that it returns, besides its own result, a snapshot
 * of every tensor its top-level block computes: after each such value an aten::clone is inserted (an in-place op or
 * a view written later would otherwise change what was captured), and the graph returns the tuple (result, clone 1,
 * clone 2, ...). The module's self input, unused once frozen, is removed; a non-tensor argument with a default
 * (crossalign's own {@code capture: bool = False}) is replaced by that default as a constant. Values inside nested
 * blocks (the branches of an if, the body of a loop) are not captured: they do not exist outside their block.
 * Run by libtorch's graph executor with its optimizations off.
 */
final class CaptureGraph implements AutoCloseable {
  /** Why a module's graph cannot be rewritten; the model then shows its final outputs only. */
  static final class Unsupported extends Exception {
    Unsupported(String why) {
      super(why);
    }
  }

  private static final Set<String> PLUMBING = Set.of("prim::Constant", "prim::ListConstruct", "prim::TupleConstruct",
      "prim::ListUnpack", "prim::TupleUnpack", "prim::GetAttr");

  private final JitModule frozen;
  private final Graph graph;
  private final GraphExecutor executor;
  private final TorchGraph view;
  private final List<String> captured;
  private final Map<String, String> ops;

  private CaptureGraph(JitModule frozen, Graph graph, GraphExecutor executor, TorchGraph view, List<String> captured,
      Map<String, String> ops) {
    this.frozen = frozen;
    this.graph = graph;
    this.executor = executor;
    this.view = view;
    this.captured = List.copyOf(captured);
    this.ops = Map.copyOf(ops);
  }

  TorchGraph graph() {
    return view;
  }

  static CaptureGraph of(JitModule frozen) throws Unsupported {
    MethodOptional mo = frozen.find_method("forward");
    if (!mo.has_value()) {
      throw new Unsupported("it has no forward method");
    }
    Method forward = mo.get();
    Graph g = forward.graph().copy();
    bindInputs(g, forward);
    Names names = Names.of(g);
    List<String> tensorInputs = new ArrayList<>();
    for (long i = 0; i < g.inputs().size(); i++) {
      tensorInputs.add(names.of(g.inputs().get(i)));
    }
    // 1. walk the top-level block: what each node computes, and which values to capture
    Walk walk = new Walk(names);
    JitNode ret = g.return_node();
    for (JitNode n = g.nodes().front(); !same(n, ret); n = n.next()) {
      walk.visit(n);
    }
    List<String> outputs = returned(g, names);
    // 2. the rewrite: a clone right after each captured value, all returned in one tuple after the original result
    List<String> capturedNames = insertClones(g, walk.captures, names);
    GraphExecutor executor;
    try {
      g.lint();
      executor = new GraphExecutor(g, "forward_captured");
    } catch (RuntimeException e) {
      throw new Unsupported("its rewritten graph is refused (" + TorchScriptModel.firstLine(e.getMessage()) + ")");
    }
    return new CaptureGraph(frozen, g, executor, new TorchGraph(tensorInputs, walk.nodes(), outputs), capturedNames,
        walk.ops);
  }

  /** A tensor value to snapshot, and the node after which its clone goes. */
  private record Capture(JitNode after, Value value) {}

  /**
   * The walk over the top-level block's nodes, in order: the compared nodes (op, tensor inputs with lists expanded,
   * tensor outputs, groups), the values to capture and the op that computed each.
   */
  private static final class Walk {
    private final Names names;
    private final Map<String, List<String>> listElements = new HashMap<>();
    private final Map<String, Integer> listProducer = new HashMap<>();
    private final List<String[]> nodeIns = new ArrayList<>();
    private final List<List<String>> nodeOuts = new ArrayList<>();
    private final List<String> nodeOps = new ArrayList<>();
    private final List<Long> nodeGroups = new ArrayList<>();
    final List<Capture> captures = new ArrayList<>();
    final Map<String, String> ops = new LinkedHashMap<>();

    Walk(Names names) {
      this.names = names;
    }

    void visit(JitNode n) {
      String kind = n.kind().toQualString().getString();
      if (kind.equals("prim::ListConstruct")) {
        listElements.put(names.of(n.output()), tensorNames(n.inputs(), listElements, names));
        return;
      }
      if (kind.equals("prim::ListUnpack") || kind.equals("prim::TupleUnpack")) {
        unpack(n, kind);
        return;
      }
      if (PLUMBING.contains(kind)) {
        return;
      }
      ValueArrayRef outs = n.outputs();
      List<String> tensorsOut = new ArrayList<>();
      String producedList = null;
      for (long i = 0; i < outs.size(); i++) {
        Value v = outs.get(i);
        if (isTensor(v)) {
          tensorsOut.add(capture(n, v, kind));
        } else if (isTensorList(v)) {
          producedList = names.of(v);
        }
      }
      if (tensorsOut.isEmpty() && producedList == null) {
        return; // shape arithmetic, prints, asserts: nothing to compare
      }
      if (producedList != null) {
        listProducer.put(producedList, nodeOuts.size());
        tensorsOut.add(producedList);
      }
      nodeOps.add(opName(n, kind));
      nodeIns.add(tensorNames(n.inputs(), listElements, names).toArray(new String[0]));
      nodeOuts.add(tensorsOut);
      nodeGroups.add(groups(n, kind));
    }

    private void unpack(JitNode n, String kind) {
      ValueArrayRef outs = n.outputs();
      List<String> elems = new ArrayList<>();
      for (long i = 0; i < outs.size(); i++) {
        Value v = outs.get(i);
        if (isTensor(v)) {
          elems.add(capture(n, v, kind));
        }
      }
      Integer p = listProducer.get(names.of(n.input(0)));
      if (p != null) {
        nodeOuts.set(p, elems); // split -> list -> unpack: the split's outputs are the unpacked tensors
      }
    }

    private String capture(JitNode n, Value v, String kind) {
      captures.add(new Capture(n, v));
      ops.put(names.of(v), kind);
      return names.of(v);
    }

    List<TorchGraph.Node> nodes() {
      List<TorchGraph.Node> nodes = new ArrayList<>();
      for (int i = 0; i < nodeOps.size(); i++) {
        nodes.add(new TorchGraph.Node(nodeOps.get(i), List.of(nodeIns.get(i)), nodeOuts.get(i), nodeGroups.get(i)));
      }
      return nodes;
    }
  }

  /**
   * Inserts an aten::clone right after each captured value and makes the graph return (result, clone 1, clone 2,
   * ...); returns the captured values' names in that order.
   */
  private static List<String> insertClones(Graph g, List<Capture> captures, Names names) {
    Symbol clone = Symbol.fromQualString("aten::clone");
    ValueVector elements = new ValueVector();
    elements.push_back(g.outputs().get(0));
    List<String> capturedNames = new ArrayList<>();
    for (Capture cap : captures) {
      Value v = cap.value();
      g.setInsertPoint(cap.after().next());
      JitNode none = g.insertNode(g.createNone());
      JitNode c = g.create(clone, 1);
      c.addInput(v);
      c.addInput(none.output());
      g.insertNode(c);
      c.output().setType(v.type());
      elements.push_back(c.output());
      capturedNames.add(names.of(v));
    }
    g.setInsertPoint(g.block());
    JitNode tuple = g.insertNode(g.createTuple(elements));
    g.registerOutput(tuple.output());
    g.eraseOutput(0);
    return capturedNames;
  }

  /**
   * Removes self (unused once frozen) and replaces every non-tensor argument by its default.
   */
  private static void bindInputs(Graph g, Method forward) throws Unsupported {
    Argument args = forward.function().getSchema().arguments();
    long nargs = args.limit() - args.position();
    ValueArrayRef ins = g.inputs();
    if (ins.size() == 0 || nargs != ins.size()) {
      throw new Unsupported("its forward graph has " + ins.size() + " inputs for " + nargs + " arguments");
    }
    if (ins.get(0).hasUses()) {
      throw new Unsupported("its forward still reads the module after freezing");
    }
    JitNode first = g.nodes().front();
    for (long i = ins.size() - 1; i >= 1; i--) {
      Value in = g.inputs().get(i);
      if (isTensor(in)) {
        continue;
      }
      Argument a = args.getPointer(i);
      IValueOptional d = a.default_value();
      if (!d.has_value()) {
        throw new Unsupported("forward's argument '" + a.name().getString() + "' (" + in.type().get().str().getString()
            + ") is not a tensor and has no default");
      }
      g.setInsertPoint(first);
      Value c = g.insertConstant(d.get());
      in.replaceAllUsesWith(c);
      g.eraseInput(i);
      first = c.node();
    }
    g.eraseInput(0);
  }

  /** The names of the tensors forward returns: the tensor itself, or a tuple's / list's tensor elements. */
  private static List<String> returned(Graph g, Names names) {
    Value out = g.outputs().get(0);
    if (isTensor(out)) {
      return List.of(names.of(out));
    }
    String k = out.node().kind().toQualString().getString();
    List<String> l = new ArrayList<>();
    if (k.equals("prim::TupleConstruct") || k.equals("prim::ListConstruct")) {
      ValueArrayRef ins = out.node().inputs();
      for (long i = 0; i < ins.size(); i++) {
        if (isTensor(ins.get(i))) {
          l.add(names.of(ins.get(i)));
        }
      }
    }
    return l;
  }

  private static String opName(JitNode n, String kind) {
    if (kind.equals("aten::_convolution") || kind.equals("aten::convolution")) {
      IValueOptional t = torch.toIValue(n.input(6));
      if (t.has_value() && t.get().isBool() && t.get().toBool()) {
        return "aten::conv_transpose2d";
      }
    }
    return kind;
  }

  private static long groups(JitNode n, String kind) {
    int idx = switch (kind) {
      case "aten::conv1d", "aten::conv2d", "aten::conv3d", "aten::conv_transpose1d", "aten::conv_transpose2d" -> 6;
      case "aten::_convolution", "aten::convolution" -> 8;
      default -> -1;
    };
    if (idx < 0 || n.inputs().size() <= idx) {
      return 1;
    }
    IValueOptional v = torch.toIValue(n.input(idx));
    return v.has_value() && v.get().isInt() ? v.get().toInt() : 1;
  }

  private static List<String> tensorNames(ValueArrayRef values, Map<String, List<String>> lists, Names names) {
    List<String> l = new ArrayList<>();
    for (long i = 0; i < values.size(); i++) {
      Value v = values.get(i);
      if (isTensor(v)) {
        l.add(names.of(v));
      } else if (lists.containsKey(names.of(v))) {
        l.addAll(lists.get(names.of(v)));
      }
    }
    return l;
  }

  // JavaCPP builds returned enums without their ordinal: intern() gives the real constant
  private static boolean isTensor(Value v) {
    return v.type().get().kind().intern() == TypeKind.TensorType;
  }

  private static boolean isTensorList(Value v) {
    return v.type().get().kind().intern() == TypeKind.ListType && v.type().get().str().getString().equals("Tensor[]");
  }

  /**
   * The value names shown: a scripted variable's own name where one value of the top-level block has it (TorchScript
   * numbers reassigned variables "t1.1", "t1.2"; a lone "t1.1" is shown as t1), else the debug name.
   */
  private record Names(Map<Long, String> byValue) {
    static Names of(Graph g) {
      List<Value> all = new ArrayList<>();
      for (long i = 0; i < g.inputs().size(); i++) {
        all.add(g.inputs().get(i));
      }
      JitNode ret = g.return_node();
      for (JitNode n = g.nodes().front(); !same(n, ret); n = n.next()) {
        for (long i = 0; i < n.outputs().size(); i++) {
          all.add(n.outputs().get(i));
        }
      }
      Map<String, Integer> bases = new HashMap<>();
      for (Value v : all) {
        if (v.hasDebugName()) {
          bases.merge(v.debugNameBase().getString(), 1, Integer::sum);
        }
      }
      Map<Long, String> m = new HashMap<>();
      for (Value v : all) {
        String base = v.hasDebugName() ? v.debugNameBase().getString() : null;
        m.put(v.unique(), base != null && bases.get(base) == 1 ? base : v.debugName().getString());
      }
      return new Names(m);
    }

    String of(Value v) {
      String n = byValue.get(v.unique());
      return n != null ? n : v.debugName().getString();
    }
  }

  private static boolean same(JitNode a, JitNode b) {
    return a.address() == b.address();
  }

  /** One run on positional tensor inputs: inputs, every captured tensor, then any returned tensor not captured. */
  TorchScriptModel.Run run(List<Tensor> inputs, String label) {
    if (inputs.size() != view.inputs().size()) {
      throw dev.crossalign.CrossalignException.input(label + ": forward takes " + view.inputs().size()
          + " tensor inputs " + view.inputs() + ", given " + inputs.size());
    }
    IValueVector stack = new IValueVector();
    for (Tensor t : inputs) {
      stack.push_back(new IValue(t));
    }
    try {
      TorchScriptModel.runUnoptimized(executor, stack);
    } catch (RuntimeException e) {
      throw TorchScriptModel.failed(label, e);
    }
    Map<String, HostTensor> tensors = new LinkedHashMap<>();
    Map<String, String> opOf = new LinkedHashMap<>();
    for (int i = 0; i < inputs.size(); i++) {
      tensors.put(view.inputs().get(i), TorchTensors.toHost(inputs.get(i), Layout.ANY));
      opOf.put(view.inputs().get(i), "INPUT");
    }
    IValue result = stack.get(stack.size() - 1);
    var elems = result.toTuple().elements();
    for (int i = 0; i < captured.size(); i++) {
      String n = captured.get(i);
      if (!tensors.containsKey(n)) {
        tensors.put(n, TorchTensors.toHost(elems.get(i + 1).toTensor(), Layout.ANY));
        opOf.put(n, ops.get(n));
      }
    }
    List<Tensor> returned = TorchScriptModel.tensorsOf(elems.get(0));
    List<String> outNames = new ArrayList<>();
    for (int k = 0; k < returned.size(); k++) {
      String n = returned.size() == view.outputs().size() ? view.outputs().get(k) : "output_" + k;
      if (!tensors.containsKey(n)) {
        tensors.put(n, TorchTensors.toHost(returned.get(k), Layout.ANY));
        opOf.put(n, "forward");
      }
      if (!outNames.contains(n)) {
        outNames.add(n);
      }
    }
    return new TorchScriptModel.Run(tensors, outNames, opOf);
  }

  @Override
  public void close() {
    executor.close();
    graph.close();
    frozen.close();
  }
}
