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
 * @param options the backend's own settings, or null for what {@code purpose} implies (see {@link NativeOptions})
 */
public record BackendSpec(
    TfliteModel model, Supplier<OnnxModel> onnx, Device device, DeterminismConfig config, Purpose purpose,
    NativeOptions options) {

  /** What the runs are for, which decides what a backend keeps and how it is tuned. */
  public enum Purpose {
    /** Validation and determinism: every tensor captured; TFLite custom ops without a kernel get a placeholder. */
    CAPTURE,
    /** Latency (bench): graph outputs only, each runtime at its fastest settings. */
    LATENCY
  }

  /** A spec without native options: the backend runs as {@code purpose} implies. */
  public BackendSpec(TfliteModel model, Supplier<OnnxModel> onnx, Device device, DeterminismConfig config,
      Purpose purpose) {
    this(model, onnx, device, config, purpose, null);
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

  /** This spec with the backend's own settings {@code o} (replacing any given before). */
  public BackendSpec withOptions(NativeOptions o) {
    return new BackendSpec(model, onnx, device, config, purpose, o);
  }

  /**
   * The native options as {@code type} when this spec carries them, else empty; an internal error when it carries
   * another backend's options (a provider asks for its own type only).
   */
  public <T extends NativeOptions> java.util.Optional<T> options(Class<T> type) {
    if (options == null) {
      return java.util.Optional.empty();
    }
    if (!type.isInstance(options)) {
      throw new IllegalStateException("this spec carries " + options.getClass().getSimpleName() + ", not the "
          + type.getSimpleName() + " of the backend asked to open it");
    }
    return java.util.Optional.of(type.cast(options));
  }

  /** Threads for the backend's intra-op pool (at least 1). */
  public int threads() {
    return Math.max(1, config.intraOpThreads());
  }
}
