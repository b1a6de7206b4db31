package dev.crossalign.backend;

import dev.crossalign.onnx.OnnxModel;
import dev.crossalign.tflite.TfliteModel;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * What a {@link BackendProvider} opens and how.
 *
 * @param model the TFLite model (the port and the interpreter run it; it names the run in reports); null only in
 *     {@link #onnxOnly}
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
    if (model == null && onnx == null) {
      throw new NullPointerException("model");
    }
    Objects.requireNonNull(device, "device");
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(purpose, "purpose");
    TfliteModel named = model;
    onnx = onnx == null ? () -> {
      throw new IllegalStateException("no ONNX model given for " + named.label());
    } : onnx;
  }

  /**
   * A spec for an ONNX model alone (compare on an .onnx file): no TFLite model, so only backends of
   * {@link BackendKind.ModelFormat#ONNX} can open it.
   */
  public static BackendSpec onnxOnly(OnnxModel onnx, Device device, DeterminismConfig config, Purpose purpose) {
    Objects.requireNonNull(onnx, "onnx");
    return new BackendSpec(null, () -> onnx, device, config, purpose);
  }

  /** The TFLite model; an internal error for a spec made by {@link #onnxOnly}. */
  @Override
  public TfliteModel model() {
    if (model == null) {
      throw new IllegalStateException("this spec holds an ONNX model only: a TFLite backend cannot open it");
    }
    return model;
  }

  /** Threads for the backend's intra-op pool (at least 1). */
  public int threads() {
    return Math.max(1, config.intraOpThreads());
  }
}
