package dev.crossalign.engine.compare;

import dev.crossalign.CrossalignException;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.backend.torch.TorchTensors;
import dev.crossalign.port.TorchRuntime;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.IValueVector;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * A TorchScript module (torch.jit.save) loaded with libtorch's torch::jit::load, on the CPU. It declares no inputs:
 * it takes the other side's inputs in order. Only its final outputs are captured ("output_0", "output_1", ... for a
 * tuple or list; "output" for one tensor): TorchScript has no intermediate to show without hooks.
 */
final class TorchScriptSide implements Side {
  private final String label;
  private final AtomicReference<JitModule> module;
  private final CompareRequest.TorchScriptLayout layout;
  private String usedLayout = "";

  private TorchScriptSide(String label, JitModule module, CompareRequest.TorchScriptLayout layout) {
    this.label = label;
    this.module = new AtomicReference<>(module);
    this.layout = layout;
  }

  static TorchScriptSide open(Path file, CompareRequest.TorchScriptLayout layout, DeterminismConfig config) {
    dev.crossalign.tensor.RegularFiles.require(file, "--torchscript " + file);
    TorchRuntime.configure(Device.CPU, config);
    JitModule m;
    try {
      m = torch.load(file.toString());
    } catch (RuntimeException e) {
      throw CrossalignException.input("--torchscript " + file + ": libtorch cannot load it as a TorchScript module ("
          + firstLine(e.getMessage()) + ")");
    }
    m.eval();
    return new TorchScriptSide(file.toString(), m, layout);
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "no message";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  @Override
  public String label() {
    return label;
  }

  @Override
  public String backend() {
    return "torchscript";
  }

  @Override
  public List<InputSpec> inputs() {
    return List.of();
  }

  @Override
  public GraphView graph() {
    return null;
  }

  /** Which input layout the last run used ("as-is" or "nchw"). */
  String usedLayout() {
    return usedLayout;
  }

  @Override
  public Activations run(Map<String, HostTensor> inputs) {
    JitModule m = module.get();
    if (m == null) {
      throw new IllegalStateException("closed");
    }
    if (layout == CompareRequest.TorchScriptLayout.NCHW) {
      return forward(m, inputs, true);
    }
    try {
      return forward(m, inputs, false);
    } catch (RuntimeException e) {
      if (layout == CompareRequest.TorchScriptLayout.AS_IS || inputs.values().stream().noneMatch(t -> t.rank() == 4)) {
        throw failed(e);
      }
      try {
        return forward(m, inputs, true);
      } catch (RuntimeException again) {
        throw failed(e);
      }
    }
  }

  private RuntimeException failed(RuntimeException e) {
    if (e instanceof CrossalignException ce) {
      return ce;
    }
    return CrossalignException.input("--torchscript " + label + ": forward failed on the inputs ("
        + firstLine(e.getMessage()) + ")");
  }

  private Activations forward(JitModule m, Map<String, HostTensor> inputs, boolean nchw) {
    Activations.Builder b = Activations.builder(backend());
    try (PointerScope scope = new PointerScope()) {
      IValueVector args = new IValueVector();
      for (Map.Entry<String, HostTensor> e : inputs.entrySet()) {
        HostTensor h = e.getValue();
        if (nchw && h.rank() == 4 && h.layout() != Layout.NCHW) {
          h = h.permute(Layout.nhwcToNchw(), Layout.NCHW);
        }
        b.add(e.getKey(), "INPUT", -1, h);
        args.push_back(new IValue(TorchTensors.toTorch(h)));
      }
      IValue out = m.forward(args);
      Map<String, HostTensor> outs = new LinkedHashMap<>();
      collect(out, outs);
      int i = 0;
      for (Map.Entry<String, HostTensor> e : outs.entrySet()) {
        b.add(e.getKey(), "forward", i++, e.getValue());
        b.output(e.getKey());
      }
    }
    usedLayout = nchw ? "nchw" : "as-is";
    return b.build();
  }

  private static void collect(IValue v, Map<String, HostTensor> outs) {
    List<Tensor> tensors = new ArrayList<>();
    if (v.isTensor()) {
      outs.put("output", TorchTensors.toHost(v.toTensor(), Layout.ANY));
      return;
    }
    if (v.isTuple()) {
      var elems = v.toTuple().elements();
      for (long k = 0; k < elems.size(); k++) {
        IValue e = elems.get(k);
        if (!e.isTensor()) {
          throw CrossalignException.unsupported("TorchScript output element " + k + " is not a tensor");
        }
        tensors.add(e.toTensor());
      }
    } else if (v.isTensorList()) {
      TensorVector tv = v.toTensorVector();
      for (long k = 0; k < tv.size(); k++) {
        tensors.add(tv.get(k));
      }
    } else {
      throw CrossalignException.unsupported("TorchScript forward returned " + v.tagKind().getString()
          + ", expected a tensor, a tuple of tensors or a list of tensors");
    }
    for (int k = 0; k < tensors.size(); k++) {
      outs.put("output_" + k, TorchTensors.toHost(tensors.get(k), Layout.ANY));
    }
  }

  @Override
  public Map<String, String> info() {
    return Map.of("libtorch.version", TorchRuntime.version(), "input_layout", usedLayout);
  }

  @Override
  public void close() {
    JitModule m = module.getAndSet(null);
    if (m != null) {
      m.close();
    }
  }
}
