package dev.crossalign.port;

import dev.crossalign.CrossalignException;
import dev.crossalign.UnsupportedOp;
import dev.crossalign.backend.Activations;
import dev.crossalign.port.codegen.GeneratedModel;
import dev.crossalign.port.codegen.PyGenerator;
import dev.crossalign.port.codegen.TorchScriptModule;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.Operator;
import dev.crossalign.tflite.Subgraph;
import dev.crossalign.tflite.TensorInfo;
import dev.crossalign.tflite.TfliteModel;
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
      return new Attempt(new ScriptedGraph(model, g, TorchScriptModule.compileFrozen(g)), TorchPath.torchScript());
    } catch (CrossalignException e) {
      String msg = e.getMessage() == null ? "" : e.getMessage();
      return new Attempt(null, TorchPath.eager(msg.length() > 200 ? msg.substring(0, 200) + "..." : msg));
    }
  }

  /**
   * The whole graph in one call. Tensors come back in TFLite axes (NHWC for rank 4), in the same order and with the
   * same names and producing ops as the eager port reports them; without {@code captureAll} only the graph outputs.
   */
  Activations run(String backendName, Map<String, HostTensor> inputs, boolean captureAll) {
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
    TorchScriptModule.Run r;
    try {
      r = module.run(inputs, captureAll);
    } catch (CrossalignException e) {
      throw e;
    } catch (RuntimeException e) {
      String m = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
      throw new CrossalignException(CrossalignException.Kind.INTERNAL,
          "torch port (TorchScript) failed on model " + model.label() + ": " + m, e);
    }
    Activations.Builder out = Activations.builder(backendName);
    if (captureAll) {
      for (int idx : graph.inputs()) {
        TensorInfo info = graph.tensor(idx);
        out.add(info.name(), "INPUT", idx, inputs.get(info.name()).withLayout(layout(info)));
      }
      for (Map.Entry<Integer, HostTensor> f : generated.foldedOutputs().entrySet()) {
        TensorInfo info = graph.tensor(f.getKey());
        out.add(info.name(), producer(f.getKey()), f.getKey(), f.getValue().withLayout(layout(info)));
      }
    }
    for (Operator op : graph.operators()) {
      for (int t : op.outputs()) {
        if (t < 0) {
          continue;
        }
        TensorInfo info = graph.tensor(t);
        HostTensor h = r.outputs().get(info.name());
        if (h == null && captureAll && !generated.foldedOutputs().containsKey(t)) {
          h = r.captured().get(info.name());
        }
        if (h != null) {
          out.add(info.name(), op.opName(), t, h);
        }
      }
    }
    for (int o : graph.outputs()) {
      out.output(graph.tensor(o).name());
    }
    return out.build();
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
