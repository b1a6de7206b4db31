package dev.crossalign.backend.tflite;

import dev.crossalign.CrossalignException;

/**
 * How the TFLite reference interpreter runs: its thread count and which delegate, if any, takes over ops.
 *
 * @param threads interpreter threads, at least 1
 * @param delegate the delegate; {@link Delegate#NONE} keeps every op on TFLite's builtin kernels, so that every
 *     intermediate tensor is visible
 * @param placeholderCustomOps register a placeholder kernel (zeros at the model's declared, static output shape) for
 *     every custom op the resolver lacks instead of refusing the model; the backend then names the tensors the
 *     placeholders reach ({@link TfliteBackend#placeholderOutputs()}). Off by default: a plain backend never invents
 *     values. The Validator turns it on and reports those ops as unsupported.
 */
public record TfliteOptions(int threads, Delegate delegate, boolean placeholderCustomOps) {

  /**
   * Which delegate runs the graph. There is no EXTERNAL (dlopen'ed plug-in) delegate: the bytedeco 2.20.0-1.5.13
   * preset maps neither TfLiteExternalDelegateCreate nor a way to call tflite_plugin_create_delegate from Java 17.
   */
  public enum Delegate {
    /** Builtin kernels only (BuiltinOpResolverWithoutDefaultDelegates): every op output is captured. */
    NONE,
    /**
     * The XNNPACK delegate (BuiltinOpResolverWithXNNPACK, applied at the first AllocateTensors). Ops it takes over run
     * fused inside one delegate node: only the outputs of that node are visible, the intermediates inside it are not.
     */
    XNNPACK
  }

  public TfliteOptions {
    if (threads < 1) {
      throw CrossalignException.input("TFLite threads must be at least 1, got " + threads);
    }
    if (delegate == null) {
      throw CrossalignException.input("TFLite delegate must be given (NONE or XNNPACK)");
    }
  }

  /** Without placeholders: a model with custom ops the resolver lacks is refused (UNSUPPORTED). */
  public TfliteOptions(int threads, Delegate delegate) {
    this(threads, delegate, false);
  }

  /** One thread, no delegate, no placeholders: the deterministic reference. */
  public static TfliteOptions defaults() {
    return new TfliteOptions(1, Delegate.NONE);
  }

  public TfliteOptions withThreads(int n) {
    return new TfliteOptions(n, delegate, placeholderCustomOps);
  }

  public TfliteOptions withDelegate(Delegate d) {
    return new TfliteOptions(threads, d, placeholderCustomOps);
  }

  public TfliteOptions withPlaceholderCustomOps(boolean on) {
    return new TfliteOptions(threads, delegate, on);
  }
}
