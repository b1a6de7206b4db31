package dev.crossalign.engine.compare;

import dev.crossalign.backend.Activations;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.backend.Backend;
import dev.crossalign.backend.BackendKind;
import dev.crossalign.backend.BackendSpec;
import dev.crossalign.backend.Backends;
import dev.crossalign.CrossalignException;
import dev.crossalign.onnx.OnnxModel;
import dev.crossalign.onnx.OnnxTypes;
import dev.crossalign.onnx.OnnxValueInfo;
import dev.crossalign.tensor.HostTensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** An .onnx model on ONNX Runtime with graph optimizations off and every node output captured. */
final class OnnxSide extends BackendSide<Backend> implements Side {
  private final OnnxModel model;
  private final String label;
  private final GraphView graph;

  private OnnxSide(OnnxModel model, String label, Backend backend) {
    super(backend);
    this.model = model;
    this.label = label;
    this.graph = GraphView.of(model);
  }

  static OnnxSide open(OnnxModel model, String label, DeterminismConfig config, Device device) {
    Backend b;
    try {
      // a capture: OrtOptions.from(config, device), every node output and graph optimisations off
      b = Backends.open(BackendKind.ONNXRUNTIME,
          BackendSpec.onnxOnly(model, device, config, BackendSpec.Purpose.CAPTURE));
    } catch (CrossalignException e) {
      throw named(label, e);
    }
    try {
      return new OnnxSide(model, label, b);
    } catch (RuntimeException e) {
      b.close();
      throw e;
    }
  }

  /** ONNX Runtime's refusals name a node, not the file: the user must know which side of the comparison it was. */
  private static CrossalignException named(String label, CrossalignException e) {
    return e.getMessage() != null && e.getMessage().contains(label) ? e
        : new CrossalignException(e.kind(), label + ": " + e.getMessage(), e);
  }

  @Override
  public Activations run(Map<String, HostTensor> inputs) {
    try {
      return super.run(inputs);
    } catch (CrossalignException e) {
      throw named(label, e);
    }
  }

  @Override
  public String label() {
    return label;
  }

  @Override
  public String backend() {
    return BackendKind.ONNXRUNTIME.id();
  }

  @Override
  public List<InputSpec> inputs() {
    List<InputSpec> l = new ArrayList<>();
    for (OnnxValueInfo v : model.inputs()) {
      long[] dims = v.shape();
      int[] shape;
      if (dims == null) {
        shape = new int[0];
      } else {
        shape = new int[dims.length];
        for (int i = 0; i < dims.length; i++) {
          shape[i] = dims[i] < 0 || dims[i] > Integer.MAX_VALUE ? -1 : (int) dims[i];
        }
      }
      l.add(new InputSpec(v.name(), shape, v.hasType() ? OnnxTypes.requireDType(v.elemType(), label + ": input '"
          + v.name() + "'") : null, model.layoutOf(v.name(), shape.length)));
    }
    return l;
  }

  @Override
  public GraphView graph() {
    return graph;
  }
}
