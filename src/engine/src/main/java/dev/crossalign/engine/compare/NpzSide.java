package dev.crossalign.engine.compare;

import dev.crossalign.backend.Activations;
import dev.crossalign.tensor.HostTensor;
import java.util.List;
import java.util.Map;

/** Tensors captured elsewhere (e.g. from Python) in an .npz: compared by name; nothing runs. */
final class NpzSide implements Side {
  private final String label;
  private final Map<String, HostTensor> tensors;
  private final List<String> order;

  NpzSide(String label, Map<String, HostTensor> arrays) {
    this.label = label;
    this.tensors = Map.copyOf(arrays);
    this.order = List.copyOf(arrays.keySet()); // file order (Npz.read gives a LinkedHashMap)
  }

  /** The stored arrays, in file order. */
  Map<String, HostTensor> tensors() {
    return tensors;
  }

  @Override
  public String label() {
    return label;
  }

  @Override
  public String backend() {
    return "npz";
  }

  @Override
  public List<InputSpec> inputs() {
    return List.of();
  }

  @Override
  public GraphView graph() {
    return null;
  }

  /** The stored tensors in file order, each its own "op"; none is marked as a model output. */
  @Override
  public Activations run(Map<String, HostTensor> inputs) {
    Activations.Builder b = Activations.builder(backend());
    int i = 0;
    for (String name : order) {
      b.add(name, "NPZ", i++, tensors.get(name));
    }
    return b.build();
  }

  @Override
  public Map<String, String> info() {
    return Map.of("arrays", Integer.toString(order.size()));
  }

  @Override
  public void close() {}
}
