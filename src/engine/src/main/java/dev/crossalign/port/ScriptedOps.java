package dev.crossalign.port;

import dev.crossalign.CrossalignException;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.CapturedTensor;
import dev.crossalign.backend.TensorSink;
import dev.crossalign.backend.torch.TorchTensors;
import dev.crossalign.port.codegen.GeneratedModel;
import dev.crossalign.port.codegen.OpCode;
import dev.crossalign.port.codegen.PyGenerator;
import dev.crossalign.port.codegen.TorchScriptModule;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.Operator;
import dev.crossalign.tflite.Subgraph;
import dev.crossalign.tflite.TensorInfo;
import dev.crossalign.tflite.TfliteModel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * The port's isolated runs through the generated code: each op is a TorchScript method holding exactly the lines the
 * chained module's forward holds for it ({@link dev.crossalign.port.codegen.OpMethods}), called with the reference's
 * tensors in the generated code's convention (rank 4 NCHW). All methods compile once per model, on the first isolated
 * run. When the chained run is the TorchScript module, the methods are defined on that module, so they read the very
 * weight tensors its frozen copy runs with; otherwise (some op of the model has no code generation) on a module of
 * their own. An op the eager port lowers but the generator cannot write runs through its eager lowering ({@link
 * PortGraph#runIsolatedOp}), and {@link #path} names it.
 */
final class ScriptedOps implements AutoCloseable {
  private final TfliteModel model;
  private final Subgraph graph;
  private final GeneratedModel generated;
  private final TorchScriptModule module;
  /** Whether {@link #module} is this object's (else the chained {@link ScriptedGraph}'s, which closes it). */
  private final boolean ownsModule;
  private final Map<Integer, OpCode> byOp = new HashMap<>();
  private final TorchPath path;

  private ScriptedOps(TfliteModel model, GeneratedModel generated, TorchScriptModule module, boolean ownsModule,
      PortGraph eager) {
    this.model = model;
    this.graph = model.main();
    this.generated = generated;
    this.module = module;
    this.ownsModule = ownsModule;
    for (OpCode c : generated.ops()) {
      if (!c.outputs().isEmpty()) {
        byOp.put(c.opIndex(), c);
      }
    }
    Set<String> fallback = new LinkedHashSet<>();
    for (Operator op : graph.operators()) {
      if (eager.isLowered(op.index()) && !byOp.containsKey(op.index()) && !isFolded(op)) {
        fallback.add(op.opName());
      }
    }
    this.path = fallback.isEmpty() ? TorchPath.torchScript()
        : TorchPath.torchScript("eager for ops " + String.join(", ", fallback) + " without codegen");
  }

  /** The outcome of preparing the per-op methods: the runner, or the reason isolated runs stay eager. */
  record Attempt(ScriptedOps ops, TorchPath path) {}

  /**
   * Compiles the per-op methods: on {@code chained}'s module when the chained run is the TorchScript one, else on a
   * module of their own generated with every op the generator can write. A compiler refusal gives the eager path.
   */
  static Attempt prepare(TfliteModel model, OpRegistry registry, ScriptedGraph chained, PortGraph eager) {
    try {
      if (chained != null) {
        chained.module().defineOpMethods();
        ScriptedOps s = new ScriptedOps(model, chained.generated(), chained.module(), false, eager);
        return new Attempt(s, s.path);
      }
      GeneratedModel g = PyGenerator.generateEveryOp(model, registry);
      if (g.ops().isEmpty()) {
        return new Attempt(null, TorchPath.eager("no op of the model has code generation"));
      }
      TorchScriptModule m = TorchScriptModule.opMethodsOnly(g);
      ScriptedOps s = new ScriptedOps(model, g, m, true, eager);
      return new Attempt(s, s.path);
    } catch (CrossalignException e) {
      return new Attempt(null, TorchPath.eagerAfter(e));
    }
  }

  TorchPath path() {
    return path;
  }

  /**
   * Every op in graph order, fed the reference's tensors: its method, or for an op folded into the weights at
   * generation that the eager port runs (a reshape of dequantized weights) the folded value, or its eager lowering.
   * Ops whose inputs the reference lacks are skipped, as on the eager path.
   */
  void run(Activations reference, TensorSink out, PortGraph eager) {
    for (Operator op : graph.operators()) {
      OpCode code = byOp.get(op.index());
      if (code != null) {
        try (PointerScope scope = new PointerScope()) {
          runOp(op, code, reference, out);
        }
      } else if (eager.isLowered(op.index()) && isFolded(op)) {
        for (int t : op.outputs()) {
          TensorInfo info = graph.tensor(t);
          HostTensor v = generated.foldedOutputs().value(t);
          out.accept(new CapturedTensor(info.name(), op.opName(), t,
              v.withLayout(info.shape().length == 4 ? Layout.NHWC : Layout.ANY)));
        }
      } else if (eager.isLowered(op.index())) {
        eager.runIsolatedOp(op, reference, out);
      }
    }
  }

  private boolean isFolded(Operator op) {
    for (int t : op.outputs()) {
      if (t >= 0 && !generated.foldedOutputs().contains(t)) {
        return false;
      }
    }
    return op.outputs().length > 0;
  }

  private void runOp(Operator op, OpCode code, Activations reference, TensorSink out) {
    List<Tensor> args = new ArrayList<>();
    for (OpCode.Value v : code.inputs()) {
      HostTensor ref = reference.tensor(graph.tensor(v.tensor()).name());
      if (ref == null) {
        return;
      }
      ref = PortGraph.tfliteAxes(ref);
      Tensor t = TorchTensors.toTorch(ref.dtype().isFloating() ? ref.toFloat32() : ref);
      args.add(v.rank() == 4 ? PortValue.toNchw(t) : t);
    }
    List<Tensor> results;
    try {
      results = module.runOp(op.index(), args);
    } catch (RuntimeException e) {
      String m = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
      throw new CrossalignException(CrossalignException.Kind.INTERNAL, "torch port (TorchScript, isolated) failed on"
          + " model " + model.label() + " at op #" + op.index() + " " + op.opName() + ": " + m, e);
    }
    for (int k = 0; k < code.outputs().size(); k++) {
      OpCode.Value v = code.outputs().get(k);
      TensorInfo info = graph.tensor(v.tensor());
      out.accept(new CapturedTensor(info.name(), op.opName(), v.tensor(),
          TorchTensors.toHost(results.get(k), v.rank() == 4 ? Layout.NHWC : Layout.ANY)));
    }
  }

  @Override
  public void close() {
    if (ownsModule) {
      module.close();
    }
  }
}
