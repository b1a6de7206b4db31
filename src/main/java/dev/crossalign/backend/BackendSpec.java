package dev.crossalign.backend;

import dev.crossalign.onnx.OnnxModel;
import dev.crossalign.tflite.TfliteModel;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * What a {@link BackendProvider} opens and how.
 *
 * @param model the TFLite model (the port and the interpreter run it; it names the run in reports)
 * @param onnx the ONNX model, for backends of {@link BackendKind.ModelFormat#ONNX}: asked only by them, once
 * @param device where to compute (TFLite computes on the CPU whatever this says)
 * @param config seed, threads (intra-op) and determinism switches
 * @param purpose what the runs are for
 */
public record BackendSpec(
    TfliteModel model, Supplier<OnnxModel> onnx, Device device, DeterminismConfig config, Purpose purpose) {

  /** What the runs are for, which decides what a backend keeps and how it is tuned. */
  public enum Purpose {
    /** Validation and determinism: every tensor captured; TFLite custom ops without a kernel get a placeholder. */
    CAPTURE,
    /** Latency (bench): graph outputs only, each runtime at its fastest settings. */
    LATENCY
  }

  public BackendSpec {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(device, "device");
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(purpose, "purpose");
    onnx = onnx == null ? () -> {
      throw new IllegalStateException("no ONNX model given for " + model.label());
    } : onnx;
  }

  /** Threads for the backend's intra-op pool (at least 1). */
  public int threads() {
    return Math.max(1, config.intraOpThreads());
  }
}
