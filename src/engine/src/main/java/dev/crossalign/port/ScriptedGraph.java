package dev.crossalign.port;

import dev.crossalign.CrossalignException;
import dev.crossalign.UnsupportedOp;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.CapturedTensor;
import dev.crossalign.backend.TensorSink;
import dev.crossalign.port.codegen.GeneratedModel;
import dev.crossalign.port.codegen.ModuleRewrite;
import dev.crossalign.port.codegen.PyGenerator;
import dev.crossalign.port.codegen.TorchScriptModule;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.Operator;
import dev.crossalign.tflite.Subgraph;
import dev.crossalign.tflite.TensorInfo;
import dev.crossalign.tflite.TfliteModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The port's whole graph as the generated module compiled by libtorch's TorchScript compiler: one native call per
 * run, capture-all from the same call (the generated forward's capture flag). The sole owner of its {@link
 * TorchScriptModule}; each run's native temporaries live in the module's own PointerScope.
 */
final class ScriptedGraph implements AutoCloseable {
  private final TfliteModel model;
  private final Subgraph graph;
  private final GeneratedModel generated;
  private final TorchScriptModule module;

  private ScriptedGraph(TfliteModel model, GeneratedModel generated, TorchScriptModule module) {
    this.model = model;
    this.graph = model.main();
    this.generated = generated;
    this.module = module;
  }

  /** The generated code this graph runs (its per-op code included, {@link ScriptedOps}). */
  GeneratedModel generated() {
    return generated;
  }

  /** The compiled module (this graph closes it); {@link ScriptedOps} adds its per-op methods to it. */
  TorchScriptModule module() {
    return module;
  }

  /** The outcome of trying to compile a model: a graph, or the reason the eager path runs instead. */
  record Attempt(ScriptedGraph graph, TorchPath path) {}

  /**
   * Generates and compiles the model. Not inside a PointerScope: the module's native objects live until {@link
   * #close}. Ops without code generation, or a compiler refusal, give the eager path with the reason.
   */
  static Attempt compile(TfliteModel model, OpRegistry registry) {
    return compile(model, registry, ModuleRewrite.NONE);
  }

  /** As {@link #compile(TfliteModel, OpRegistry)}, with {@code rewrite} applied around freezing. */
  static Attempt compile(TfliteModel model, OpRegistry registry, ModuleRewrite rewrite) {
    GeneratedModel g = PyGenerator.generate(model, registry, "Model", PyGenerator.Boundary.NHWC, true);
    if (!g.complete()) {
      // ops refused only because an input comes from a refused op are consequences, not causes: name the causes
      String causes = g.refusals().stream()
          .filter(u -> !(u.reason().startsWith("input '") && u.reason().contains("' has no value")))
          .map(UnsupportedOp::op)
          .collect(Collectors.joining(", "));
      return new Attempt(null, TorchPath.eager("ops " + (causes.isEmpty() ? g.refusals().get(0).op() : causes)
          + " without codegen"));
    }
    try {
      TorchScriptModule module = TorchScriptModule.compileFrozen(g, rewrite);
      // the module holds the weights natively: their host copies go with the generator's result
      return new Attempt(new ScriptedGraph(model, g.withoutWeightValues(), module), TorchPath.torchScript());
    } catch (CrossalignException e) {
      return new Attempt(null, TorchPath.eagerAfter(e));
    }
  }

  /**
   * The whole graph in one call. Tensors come back in TFLite axes (NHWC for rank 4), in the same order and with the
   * same names and producing ops as the eager port reports them; without {@code captureAll} only the graph outputs.
   */
  Activations run(String backendName, Map<String, HostTensor> inputs, boolean captureAll) {
    Activations.Builder out = Activations.builder(backendName);
    if (captureAll) {
      run(inputs, out);
    } else {
      outputsOnly(inputs, out);
    }
    for (int o : graph.outputs()) {
      out.output(graph.tensor(o).name());
    }
    return out.build();
  }

  /**
   * The whole graph in one call, every tensor handed to {@code sink} as {@link #run(String, Map, boolean)} with
   * capture lists them (graph inputs, folded constants, then each op's outputs in op order), each captured tensor's
   * native copy let go as soon as it is on the host ({@link TorchScriptModule#run(Map, List,
   * java.util.function.BiConsumer)}): a sink that compares and drops holds one tensor at a time.
   */
  void run(Map<String, HostTensor> inputs, TensorSink sink) {
    checkInputs(inputs);
    java.util.Set<String> handed = new java.util.HashSet<>();
    for (int idx : graph.inputs()) {
      TensorInfo info = graph.tensor(idx);
      handed.add(info.name());
      sink.accept(new CapturedTensor(info.name(), "INPUT", idx, inputs.get(info.name()).withLayout(layout(info))));
    }
    for (int f : generated.foldedOutputs().indices()) {
      TensorInfo info = graph.tensor(f);
      if (handed.add(info.name())) {
        // made now and not kept here: the sink's to drop once compared
        sink.accept(new CapturedTensor(info.name(), producer(f), f,
            generated.foldedOutputs().value(f).withLayout(layout(info))));
      }
    }
    List<String> order = new ArrayList<>();
    Map<String, CapturedTensor> made = new java.util.HashMap<>(); // name -> producing op and index, tensor null
    for (Operator op : graph.operators()) {
      for (int t : op.outputs()) {
        if (t >= 0 && handed.add(graph.tensor(t).name())) {
          order.add(graph.tensor(t).name());
          made.put(graph.tensor(t).name(), new CapturedTensor(graph.tensor(t).name(), op.opName(), t, null));
        }
      }
    }
    try {
      guarded(() -> module.run(inputs, order, (name, h) -> {
        CapturedTensor m = made.get(name);
        try {
          sink.accept(new CapturedTensor(name, m.op(), m.index(), h));
        } catch (RuntimeException e) {
          throw new SinkFailure(e);
        }
      }));
    } catch (SinkFailure f) {
      throw f.getCause(); // the sink's own failure, not the port's
    }
  }

  /** Carries a sink's exception through {@link #guarded} unchanged. */
  private static final class SinkFailure extends RuntimeException {
    SinkFailure(RuntimeException cause) {
      super(cause);
    }

    @Override
    public synchronized RuntimeException getCause() {
      return (RuntimeException) super.getCause();
    }
  }

  /** Only the graph outputs, in op order. */
  private void outputsOnly(Map<String, HostTensor> inputs, Activations.Builder out) {
    checkInputs(inputs);
    TorchScriptModule.Run r = guarded(() -> module.run(inputs, false));
    for (Operator op : graph.operators()) {
      for (int t : op.outputs()) {
        if (t >= 0 && r.outputs().containsKey(graph.tensor(t).name())) {
          out.add(graph.tensor(t).name(), op.opName(), t, r.outputs().get(graph.tensor(t).name()));
        }
      }
    }
  }

  private void checkInputs(Map<String, HostTensor> inputs) {
    for (int idx : graph.inputs()) {
      TensorInfo info = graph.tensor(idx);
      HostTensor h = inputs.get(info.name());
      if (h == null) {
        throw CrossalignException.input("missing input '" + info.name() + "'; the model's inputs are "
            + graph.inputs().length + " tensors");
      }
      if (!java.util.Arrays.equals(h.shape(), info.shape())) {
        throw CrossalignException.input("input '" + info.name() + "' has shape " + java.util.Arrays.toString(h.shape())
            + ", the model expects " + java.util.Arrays.toString(info.shape()));
      }
    }
  }

  /** A failure of the native run as an INTERNAL error naming the model (its first line). */
  private <T> T guarded(java.util.function.Supplier<T> call) {
    try {
      return call.get();
    } catch (CrossalignException | SinkFailure e) {
      throw e;
    } catch (RuntimeException e) {
      String m = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
      throw new CrossalignException(CrossalignException.Kind.INTERNAL,
          "torch port (TorchScript) failed on model " + model.label() + ": " + m, e);
    }
  }

  private String producer(int tensor) {
    for (Operator op : graph.operators()) {
      for (int o : op.outputs()) {
        if (o == tensor) {
          return op.opName();
        }
      }
    }
    return "CONST";
  }

  private static Layout layout(TensorInfo info) {
    return info.shape().length == 4 ? Layout.NHWC : Layout.ANY;
  }

  @Override
  public void close() {
    module.close();
  }
}
