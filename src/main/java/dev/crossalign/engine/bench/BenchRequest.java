package dev.crossalign.engine.bench;

import dev.crossalign.CrossalignException;
import dev.crossalign.backend.Device;
import java.nio.file.Path;
import java.util.List;

/**
 * One latency benchmark.
 *
 * @param model .tflite file, null for the embedded demo
 * @param backends names from {@link #KNOWN}
 * @param threads threads for every backend (TFLite interpreter, libtorch intra-op, ORT intra-op)
 * @param onnx the ONNX model for onnxruntime; null = export the model with the exporter when it is on the class path
 * @param profileOps also time each op of the torch port over {@code runs} extra runs
 */
public record BenchRequest(
    Path model,
    List<String> backends,
    int threads,
    Device device,
    int warmup,
    int runs,
    long seed,
    Path onnx,
    boolean profileOps) {
  public static final List<String> KNOWN = List.of("tflite", "tflite-xnnpack", "torch", "onnxruntime");

  public BenchRequest {
    backends = List.copyOf(backends);
    if (backends.isEmpty()) {
      throw CrossalignException.input("--backends must name at least one of " + KNOWN);
    }
    for (String b : backends) {
      if (!KNOWN.contains(b)) {
        throw CrossalignException.input("unknown bench backend '" + b + "': expected one of " + KNOWN);
      }
    }
    if (backends.stream().distinct().count() != backends.size()) {
      throw CrossalignException.input("--backends names a backend twice: " + backends);
    }
    if (threads < 1) {
      throw CrossalignException.input("--threads must be at least 1, got " + threads);
    }
    if (warmup < 0 || runs < 1) {
      throw CrossalignException.input("--warmup must be >= 0 and --runs >= 1, got " + warmup + " and " + runs);
    }
  }
}
