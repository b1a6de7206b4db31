package dev.crossalign.backend;

import dev.crossalign.CrossalignException;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The closed set of backends crossalign knows, with the name reports, options and JSON use for each. The only place
 * a backend's name is spelled out; everything else refers to a constant here (a test keeps it so).
 */
public enum BackendKind {
  /** The TFLite interpreter with its builtin kernels: the reference of validate. */
  TFLITE(Ids.TFLITE, ModelFormat.TFLITE, EnumSet.of(Use.VALIDATE, Use.BENCH, Use.DETERMINISM)),
  /** The TFLite interpreter with the XNNPACK delegate: the latency baseline of bench. */
  TFLITE_XNNPACK(Ids.TFLITE_XNNPACK, ModelFormat.TFLITE, EnumSet.of(Use.BENCH)),
  /** The TF-faithful libtorch port of the TFLite graph. */
  TORCH(Ids.TORCH, ModelFormat.TFLITE, EnumSet.of(Use.VALIDATE, Use.BENCH, Use.DETERMINISM)),
  /**
   * The same generated module with its convolutions (and linear layers) on libtorch's bundled XNNPACK (prepacked ops,
   * clamps fused): XNNPACK's numerics, not the aten kernels PyTorch users get; chained runs only.
   */
  TORCH_XNNPACK(Ids.TORCH_XNNPACK, ModelFormat.TFLITE, EnumSet.of(Use.VALIDATE, Use.BENCH)),
  /** ONNX Runtime on the exported port (or an ONNX model given by the user). */
  ONNXRUNTIME(Ids.ONNXRUNTIME, ModelFormat.ONNX, EnumSet.of(Use.VALIDATE, Use.BENCH, Use.DETERMINISM)),
  /** cuDNN convolutions, layer by layer: no whole-model runs, so no command's --backends takes it. */
  CUDNN(Ids.CUDNN, ModelFormat.TFLITE, EnumSet.noneOf(Use.class));

  /** The names as compile-time constants, for annotations (picocli defaults, command names). */
  public static final class Ids {
    public static final String TFLITE = "tflite";
    public static final String TFLITE_XNNPACK = "tflite-xnnpack";
    public static final String TORCH = "torch";
    public static final String TORCH_XNNPACK = "torch-xnnpack";
    public static final String ONNXRUNTIME = "onnxruntime";
    public static final String CUDNN = "cudnn";

    private Ids() {}
  }

  /** The model file a backend runs. */
  public enum ModelFormat {
    TFLITE,
    ONNX
  }

  /** The commands whose --backends may name a backend. */
  public enum Use {
    VALIDATE("validate"),
    BENCH("bench"),
    DETERMINISM("determinism");

    private final String command;

    Use(String command) {
      this.command = command;
    }

    /** The command's name, for error messages. */
    public String command() {
      return command;
    }
  }

  private final String id;
  private final ModelFormat format;
  private final Set<Use> uses;

  BackendKind(String id, ModelFormat format, Set<Use> uses) {
    this.id = id;
    this.format = format;
    this.uses = uses;
  }

  /** The name in reports, JSON and on the command line. */
  public String id() {
    return id;
  }

  /** What it runs: the TFLite model (its own interpreter, the port) or an ONNX model. */
  public ModelFormat format() {
    return format;
  }

  /** Whether {@code use}'s --backends may name it. */
  public boolean serves(Use use) {
    return uses.contains(use);
  }

  /** A key of this backend's {@code info()} as the report's config holds it: prefixed with the name once. */
  public String configKey(String key) {
    return key.startsWith(id) ? key : id + "." + key;
  }

  /** The backends {@code use} accepts, in declaration order. */
  public static List<BackendKind> servingOf(Use use) {
    return Arrays.stream(values()).filter(k -> k.serves(use)).toList();
  }

  /** The names of {@link #servingOf(Use)}, as "[tflite, torch, onnxruntime]" reads in messages. */
  public static List<String> idsServing(Use use) {
    return servingOf(use).stream().map(BackendKind::id).toList();
  }

  /** The kind named exactly {@code text}, or null. */
  public static BackendKind byId(String text) {
    for (BackendKind k : values()) {
      if (k.id.equals(text)) {
        return k;
      }
    }
    return null;
  }

  /** The kind named {@code text} that {@code use} accepts; a one-line input error naming the choices otherwise. */
  public static BackendKind parse(String text, Use use) {
    BackendKind k = byId(text);
    if (k == null || !k.serves(use)) {
      throw CrossalignException.input("unknown " + (use == Use.BENCH ? "bench " : "") + "backend '" + text
          + "': expected one of " + idsServing(use));
    }
    return k;
  }

  /** {@link #parse} of each name. */
  public static List<BackendKind> parseAll(List<String> names, Use use) {
    return names.stream().map(n -> parse(n, use)).toList();
  }

  /** The names of {@code kinds}, in order. */
  public static List<String> ids(List<BackendKind> kinds) {
    return kinds.stream().map(BackendKind::id).toList();
  }

  @Override
  public String toString() {
    return id;
  }
}
