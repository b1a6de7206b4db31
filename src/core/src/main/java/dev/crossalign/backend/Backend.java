package dev.crossalign.backend;

import dev.crossalign.tensor.HostTensor;
import java.util.Map;

/**
 * A loaded model on one framework and device. Owns its native handles; {@link #close()} frees them once and is
 * idempotent. Not thread-safe: one backend per worker.
 */
public interface Backend extends AutoCloseable {
  /** Short name used in reports: "tflite", "torch", "onnxruntime". */
  String name();

  /** Runs the whole model on its own (chained mode) and returns every tensor it can see, inputs included. */
  Activations run(Map<String, HostTensor> inputs);

  /** Library versions and effective settings, for the report header. */
  default Map<String, String> info() {
    return Map.of();
  }

  @Override
  void close();
}
