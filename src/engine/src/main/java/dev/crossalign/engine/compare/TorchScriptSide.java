package dev.crossalign.engine.compare;

import dev.crossalign.CrossalignException;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.backend.torch.TorchScriptModel;
import dev.crossalign.port.TorchRuntime;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A TorchScript module (torch.jit.save, or crossalign's model.pt) on libtorch, CPU. It declares no inputs: it takes
 * the other side's inputs in order. Every tensor its forward computes at top level is captured under its TorchScript
 * value name, with the graph for structural matching ({@link TorchScriptModel}); when the module cannot be frozen and
 * rewritten, only its final outputs are ("output_0", ...), and the notes say why.
 */
final class TorchScriptSide implements Side {
  private final String label;
  private final TorchScriptModel model;
  private final GraphView graph;
  private final CompareRequest.TorchScriptLayout layout;
  private String usedLayout = "";
  private List<String> inputNames = List.of();

  private TorchScriptSide(String label, TorchScriptModel model, CompareRequest.TorchScriptLayout layout) {
    this.label = label;
    this.model = model;
    this.graph = model.graph() == null ? null : GraphView.of(model.graph());
    this.layout = layout;
  }

  static TorchScriptSide open(Path file, CompareRequest.TorchScriptLayout layout, DeterminismConfig config) {
    dev.crossalign.tensor.RegularFiles.require(file, file.toString());
    TorchRuntime.configure(Device.CPU, config);
    TorchScriptModel m = TorchScriptModel.open(file, file.toString());
    try {
      return new TorchScriptSide(file.toString(), m, layout);
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
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
    return graph;
  }

  /** Which input layout the last run used ("as-is" or "nchw"). */
  String usedLayout() {
    return usedLayout;
  }

  /** The module's names for the inputs of the last run, in order. */
  List<String> inputNames() {
    return inputNames;
  }

  /** Why only the final outputs are captured, or null. */
  String whyOutputsOnly() {
    return model.whyOutputsOnly();
  }

  @Override
  public Activations run(Map<String, HostTensor> inputs) {
    if (layout == CompareRequest.TorchScriptLayout.NCHW) {
      return forward(inputs, true);
    }
    try {
      return forward(inputs, false);
    } catch (CrossalignException e) {
      if (layout == CompareRequest.TorchScriptLayout.AS_IS || inputs.values().stream().noneMatch(t -> t.rank() == 4)) {
        throw e;
      }
      try {
        return forward(inputs, true);
      } catch (CrossalignException again) {
        throw e;
      }
    }
  }

  private Activations forward(Map<String, HostTensor> inputs, boolean nchw) {
    List<HostTensor> args = new ArrayList<>();
    for (HostTensor h : inputs.values()) {
      args.add(nchw && h.rank() == 4 && h.layout() != Layout.NCHW ? h.permute(Layout.nhwcToNchw(), Layout.NCHW)
          : h);
    }
    TorchScriptModel.Run r = model.run(args);
    List<String> names = model.inputNames(args.size());
    Activations.Builder b = Activations.builder(backend());
    int i = 0;
    for (Map.Entry<String, HostTensor> e : r.tensors().entrySet()) {
      String op = r.ops().get(e.getKey());
      b.add(e.getKey(), op, "INPUT".equals(op) ? -1 : i++, e.getValue());
    }
    for (String o : r.outputs()) {
      b.output(o);
    }
    usedLayout = nchw ? "nchw" : "as-is";
    inputNames = names;
    return b.build();
  }

  @Override
  public Map<String, String> info() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("libtorch.version", TorchRuntime.version());
    m.put("input_layout", usedLayout);
    m.put("intermediates", model.graph() == null ? "outputs only: " + model.whyOutputsOnly()
        : "every top-level tensor of a frozen copy of forward");
    return m;
  }

  @Override
  public void close() {
    model.close();
  }
}
