package dev.crossalign.engine.compare;

import dev.crossalign.backend.Backend;
import dev.crossalign.engine.Reference;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.TensorInfo;
import dev.crossalign.tflite.TfliteModel;
import java.util.ArrayList;
import java.util.List;

/**
 * A .tflite model on the TFLite interpreter, every intermediate preserved, opened through its provider with
 * placeholders off: a custom op without a kernel refuses the model rather than compare zeros.
 */
final class TfliteSide extends BackendSide<Backend> implements Side {
  private final TfliteModel model;
  private final GraphView graph;

  private TfliteSide(TfliteModel model, Backend backend) {
    super(backend);
    this.model = model;
    this.graph = GraphView.of(model);
  }

  static TfliteSide open(TfliteModel model, int threads) {
    Backend b = Reference.exact(model, threads);
    try {
      return new TfliteSide(model, b);
    } catch (RuntimeException e) {
      b.close();
      throw e;
    }
  }

  TfliteModel model() {
    return model;
  }

  @Override
  public String label() {
    return model.label();
  }

  @Override
  public String backend() {
    return dev.crossalign.backend.BackendKind.TFLITE.id();
  }

  @Override
  public List<InputSpec> inputs() {
    List<InputSpec> l = new ArrayList<>();
    for (int idx : model.main().inputs()) {
      TensorInfo t = model.main().tensor(idx);
      l.add(new InputSpec(t.name(), t.shape(), t.type() == null ? null : t.type().dtype(),
          t.shape().length == 4 ? Layout.NHWC : Layout.ANY));
    }
    return l;
  }

  @Override
  public GraphView graph() {
    return graph;
  }
}
