package dev.crossalign.engine.bench;

import dev.crossalign.CrossalignException;
import dev.crossalign.backend.BackendKind;
import dev.crossalign.backend.Device;
import dev.crossalign.engine.RunSpec;
import java.nio.file.Path;
import java.util.List;

/**
 * One latency benchmark.
 *
 * @param model .tflite file, null for the embedded demo
 * @param backends backends that serve {@link BackendKind.Use#BENCH}
 * @param run device, seed and threads (intra-op threads for every backend: TFLite interpreter, libtorch, ORT)
 * @param onnx the ONNX model for onnxruntime; null = export the model with the exporter when it is on the class path
 * @param profileOps also time each op of the torch port over {@code runs} extra runs
 */
public record BenchRequest(
    Path model,
    List<BackendKind> backends,
    RunSpec run,
    int warmup,
    int runs,
    Path onnx,
    boolean profileOps) {

  public BenchRequest {
    backends = List.copyOf(backends);
    java.util.Objects.requireNonNull(run, "run");
    List<String> known = BackendKind.idsServing(BackendKind.Use.BENCH);
    if (backends.isEmpty()) {
      throw CrossalignException.input("--backends must name at least one of " + known);
    }
    for (BackendKind b : backends) {
      if (!b.serves(BackendKind.Use.BENCH)) {
        throw CrossalignException.input("unknown bench backend '" + b.id() + "': expected one of " + known);
      }
    }
    if (backends.stream().distinct().count() != backends.size()) {
      throw CrossalignException.input("--backends names a backend twice: " + backends);
    }
    if (run.config().intraOpThreads() < 1) {
      throw CrossalignException.input("--threads must be at least 1, got " + run.config().intraOpThreads());
    }
    if (warmup < 0 || runs < 1) {
      throw CrossalignException.input("--warmup must be >= 0 and --runs >= 1, got " + warmup + " and " + runs);
    }
  }

  /** Threads per backend. */
  public int threads() {
    return run.config().intraOpThreads();
  }

  public Device device() {
    return run.device();
  }

  /** Seed of the generated inputs (and of libtorch). */
  public long seed() {
    return run.config().seed();
  }
}
