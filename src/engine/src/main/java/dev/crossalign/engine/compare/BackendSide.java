package dev.crossalign.engine.compare;

import dev.crossalign.backend.Activations;
import dev.crossalign.backend.Backend;
import dev.crossalign.tensor.HostTensor;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/** A side that owns one open backend: runs go to it, close frees it once. */
abstract class BackendSide<B extends Backend> {
  private final AtomicReference<B> backend;

  BackendSide(B backend) {
    this.backend = new AtomicReference<>(backend);
  }

  public Activations run(Map<String, HostTensor> inputs) {
    B b = backend.get();
    if (b == null) {
      throw new IllegalStateException("closed");
    }
    return b.run(inputs);
  }

  public Map<String, String> info() {
    B b = backend.get();
    return b == null ? Map.of() : b.info();
  }

  public void close() {
    B b = backend.getAndSet(null);
    if (b != null) {
      b.close();
    }
  }
}
