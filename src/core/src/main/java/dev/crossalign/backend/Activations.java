package dev.crossalign.backend;

import dev.crossalign.tensor.HostTensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Every tensor one backend run produced, in topological order, by name. Immutable once built. */
public final class Activations {
  private final String backend;
  private final Map<String, CapturedTensor> byName;
  private final List<String> outputNames;

  private Activations(String backend, Map<String, CapturedTensor> byName, List<String> outputNames) {
    this.backend = backend;
    this.byName = Collections.unmodifiableMap(byName);
    this.outputNames = List.copyOf(outputNames);
  }

  public String backend() {
    return backend;
  }

  /** Tensors in topological order. */
  public List<CapturedTensor> tensors() {
    return List.copyOf(byName.values());
  }

  public CapturedTensor get(String name) {
    return byName.get(name);
  }

  public HostTensor tensor(String name) {
    CapturedTensor c = byName.get(name);
    return c == null ? null : c.tensor();
  }

  public boolean contains(String name) {
    return byName.containsKey(name);
  }

  /** Names of the model's outputs, in the model's order. */
  public List<String> outputNames() {
    return outputNames;
  }

  public int size() {
    return byName.size();
  }

  public static Builder builder(String backend) {
    return new Builder(backend);
  }

  /** Collects tensors in the order they are added (which must be topological). */
  public static final class Builder implements TensorSink {
    private final String backend;
    private final Map<String, CapturedTensor> byName = new LinkedHashMap<>();
    private final List<String> outputs = new ArrayList<>();

    private Builder(String backend) {
      this.backend = backend;
    }

    @Override
    public void accept(CapturedTensor t) {
      add(t);
    }

    public Builder add(CapturedTensor t) {
      byName.put(t.name(), t);
      return this;
    }

    public Builder add(String name, String op, int index, HostTensor tensor) {
      return add(new CapturedTensor(name, op, index, tensor));
    }

    public Builder output(String name) {
      outputs.add(name);
      return this;
    }

    public Activations build() {
      return new Activations(backend, new LinkedHashMap<>(byName), outputs);
    }
  }
}
