package dev.crossalign.backend.torch;

import dev.crossalign.CrossalignException;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.GraphExecutor;
import org.bytedeco.pytorch.GraphOptimizerEnabledGuard;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.IValueVector;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.StringVectorOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * A TorchScript module (torch.jit.save, or crossalign's own model.pt) loaded with libtorch's torch::jit::load, on the
 * CPU, with every tensor its forward computes made visible: a frozen copy of the module (parameters become constants,
 * submodule calls are inlined) whose forward graph is rewritten so each tensor-valued value of its top-level block is
 * also returned (see {@link CaptureGraph}). What crosses out of here is plain: HostTensors by value name, and the
 * graph as {@link TorchGraph} records. One owner closes it; close frees the native handles once.
 *
 * <p>When the module cannot be frozen or rewritten (a forward with arguments that have no default, a module that
 * will not freeze), only the final outputs are shown, and {@link #whyOutputsOnly()} says why.
 */
public final class TorchScriptModel implements AutoCloseable {
  private final String label;
  private final AtomicReference<JitModule> module;
  private final CaptureGraph capture;
  private final String whyOutputsOnly;

  private TorchScriptModel(String label, JitModule module, CaptureGraph capture, String whyOutputsOnly) {
    this.label = label;
    this.module = new AtomicReference<>(module);
    this.capture = capture;
    this.whyOutputsOnly = whyOutputsOnly;
  }

  /** Loads {@code file}; {@code label} names it in errors. */
  public static TorchScriptModel open(Path file, String label) {
    JitModule m;
    try {
      m = torch.load(file.toString());
    } catch (RuntimeException e) {
      throw CrossalignException.input(label + ": libtorch cannot load it as a TorchScript module ("
          + firstLine(e.getMessage()) + ")");
    }
    CaptureGraph capture = null;
    String why = null;
    try {
      m.eval();
      JitModule frozen;
      try {
        // optimize_numerics false: no conv-BN / conv-add folding, the module's own arithmetic is what is compared
        frozen = torch.freeze(m, new StringVectorOptional(), false);
      } catch (RuntimeException e) {
        frozen = null;
        why = "libtorch cannot freeze it (" + firstLine(e.getMessage()) + ")";
      }
      if (frozen != null) {
        try {
          capture = CaptureGraph.of(frozen);
        } catch (CaptureGraph.Unsupported e) {
          why = e.getMessage();
          frozen.close();
        } catch (RuntimeException e) {
          // a graph the rewrite does not foresee: its outputs can still be compared
          why = "its forward graph cannot be rewritten (" + firstLine(e.getMessage()) + ")";
          frozen.close();
        }
      }
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
    return new TorchScriptModel(label, m, capture, why);
  }

  static String firstLine(String s) {
    if (s == null) {
      return "no message";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  /** The rewritten forward's graph, or null when only the final outputs can be shown. */
  public TorchGraph graph() {
    return capture == null ? null : capture.graph();
  }

  /** Why only the final outputs are shown, or null when every top-level tensor is. */
  public String whyOutputsOnly() {
    return whyOutputsOnly;
  }

  /**
   * Names of the tensor inputs forward takes, in order (the graph's value names; "input_0", ... when only the outputs
   * can be shown).
   */
  public List<String> inputNames(int given) {
    if (capture != null) {
      return capture.graph().inputs();
    }
    List<String> l = new ArrayList<>();
    for (int i = 0; i < given; i++) {
      l.add("input_" + i);
    }
    return l;
  }

  /**
   * One run: each tensor in execution order keyed by its value name (inputs first), and the names of the final
   * outputs among them, in forward's return order.
   */
  public record Run(Map<String, HostTensor> tensors, List<String> outputs, Map<String, String> ops) {}

  /** Runs forward once on {@code inputs} (positional); every tensor it can show comes back on the host. */
  public Run run(List<HostTensor> inputs) {
    JitModule m = module.get();
    if (m == null) {
      throw new IllegalStateException("closed");
    }
    try (PointerScope scope = new PointerScope()) {
      IValueVector stack = new IValueVector();
      List<Tensor> args = new ArrayList<>();
      for (HostTensor h : inputs) {
        Tensor t = TorchTensors.toTorch(h);
        args.add(t);
      }
      return capture != null ? capture.run(args, label) : outputsOnly(m, args, stack);
    }
  }

  private Run outputsOnly(JitModule m, List<Tensor> args, IValueVector stack) {
    for (Tensor t : args) {
      stack.push_back(new IValue(t));
    }
    IValue out;
    try {
      out = m.forward(stack);
    } catch (RuntimeException e) {
      throw failed(label, e);
    }
    Map<String, HostTensor> tensors = new LinkedHashMap<>();
    Map<String, String> ops = new LinkedHashMap<>();
    List<Tensor> outs = tensorsOf(out);
    List<String> names = new ArrayList<>();
    for (int k = 0; k < outs.size(); k++) {
      String n = outs.size() == 1 && out.isTensor() ? "output" : "output_" + k;
      tensors.put(n, TorchTensors.toHost(outs.get(k), Layout.ANY));
      ops.put(n, "forward");
      names.add(n);
    }
    return new Run(tensors, names, ops);
  }

  static CrossalignException failed(String label, RuntimeException e) {
    if (e instanceof CrossalignException ce) {
      return ce;
    }
    return CrossalignException.input(label + ": forward failed on the inputs (" + firstLine(e.getMessage()) + ")");
  }

  /** The tensors of a forward result: a tensor, or a tuple / list of them (other elements, like a dict, skipped). */
  static List<Tensor> tensorsOf(IValue v) {
    List<Tensor> tensors = new ArrayList<>();
    if (v.isTensor()) {
      tensors.add(v.toTensor());
    } else if (v.isTuple()) {
      var elems = v.toTuple().elements();
      for (long k = 0; k < elems.size(); k++) {
        IValue e = elems.get(k);
        if (e.isTensor()) {
          tensors.add(e.toTensor());
        }
      }
    } else if (v.isTensorList()) {
      TensorVector tv = v.toTensorVector();
      for (long k = 0; k < tv.size(); k++) {
        tensors.add(tv.get(k));
      }
    }
    if (tensors.isEmpty()) {
      throw CrossalignException.unsupported("TorchScript forward returned " + v.tagKind().getString()
          + " with no tensor in it, expected a tensor, a tuple of tensors or a list of tensors");
    }
    return tensors;
  }

  /** Runs a graph with the graph executor's optimizations off: the graph as written, interpreted once. */
  static void runUnoptimized(GraphExecutor executor, IValueVector stack) {
    try (GraphOptimizerEnabledGuard off = new GraphOptimizerEnabledGuard(false)) {
      executor.run(stack);
    }
  }

  @Override
  public void close() {
    JitModule m = module.getAndSet(null);
    if (m != null) {
      if (capture != null) {
        capture.close();
      }
      m.close();
    }
  }
}
