package dev.crossalign.backend.tflite;

import dev.crossalign.CrossalignException;

/**
 * How the TFLite reference interpreter runs: its thread count and which delegate, if any, takes over ops. Handed to
 * the providers inside a BackendSpec ({@link dev.crossalign.backend.BackendSpec#withOptions}) when a use case needs
 * more than the spec's purpose implies.
 *
 * @param threads interpreter threads, at least 1
 * @param delegate the delegate; {@link Delegate#NONE} keeps every op on TFLite's builtin kernels, so that every
 *     intermediate tensor is visible
 * @param external the plug-in library and its options when delegate is {@link Delegate#EXTERNAL}, else null
 * @param placeholderCustomOps register a placeholder kernel (zeros at the model's declared, static output shape) for
 *     every custom op the resolver lacks instead of refusing the model; the backend then names the tensors the
 *     placeholders reach ({@link TfliteBackend#placeholderOutputs()}). Off by default: a plain backend never invents
 *     values. The Validator turns it on and reports those ops as unsupported.
 */
public record TfliteOptions(
    int threads, Delegate delegate, ExternalDelegateSpec external, boolean placeholderCustomOps)
    implements dev.crossalign.backend.NativeOptions {

  /** Which delegate runs the graph. */
  public enum Delegate {
    /** Builtin kernels only (BuiltinOpResolverWithoutDefaultDelegates): every op output is captured. */
    NONE,
    /**
     * The XNNPACK delegate (BuiltinOpResolverWithXNNPACK, applied at the first AllocateTensors). Ops it takes over run
     * fused inside one delegate node: only the outputs of that node are visible, the intermediates inside it are not.
     */
    XNNPACK,
    /**
     * A delegate plug-in loaded from a shared library through TFLite's external delegate ABI (see {@link
     * ExternalDelegate}), applied with ModifyGraphWithDelegate on top of the builtin kernels. All tensors stay preserved:
     * outputs of nodes it leaves to the builtin kernels are captured; nodes it takes appear as DELEGATE nodes.
     */
    EXTERNAL
  }

  /** Without an external delegate (the form every caller before EXTERNAL used). */
  public TfliteOptions(int threads, Delegate delegate) {
    this(threads, delegate, null, false);
  }

  /** Without placeholders: a model with custom ops the resolver lacks is refused (UNSUPPORTED). */
  public TfliteOptions(int threads, Delegate delegate, ExternalDelegateSpec external) {
    this(threads, delegate, external, false);
  }

  public TfliteOptions {
    if (threads < 1) {
      throw CrossalignException.input("TFLite threads must be at least 1, got " + threads);
    }
    if (delegate == null) {
      throw CrossalignException.input("TFLite delegate must be given (NONE, XNNPACK or EXTERNAL)");
    }
    if ((delegate == Delegate.EXTERNAL) != (external != null)) {
      throw CrossalignException.input(
          "an external delegate library must be given exactly when the TFLite delegate is EXTERNAL (delegate "
              + delegate + ", library " + external + ")");
    }
  }

  /** One thread, no delegate: the deterministic reference. */
  public static TfliteOptions defaults() {
    return new TfliteOptions(1, Delegate.NONE);
  }

  public TfliteOptions withThreads(int n) {
    return new TfliteOptions(n, delegate, external, placeholderCustomOps);
  }

  /** NONE or XNNPACK; use {@link #withExternalDelegate} for a plug-in. */
  public TfliteOptions withDelegate(Delegate d) {
    return new TfliteOptions(threads, d, null, placeholderCustomOps);
  }

  public TfliteOptions withExternalDelegate(ExternalDelegateSpec spec) {
    return new TfliteOptions(threads, Delegate.EXTERNAL, spec, placeholderCustomOps);
  }

  public TfliteOptions withPlaceholderCustomOps(boolean on) {
    return new TfliteOptions(threads, delegate, external, on);
  }

  /**
   * Parses the CLI form {@code none | xnnpack | PATH.so[:key=value,...]} into these options' delegate.
   *
   * @throws CrossalignException INPUT on a malformed value
   */
  public TfliteOptions withDelegateArgument(String arg) {
    if (arg == null || arg.isBlank() || arg.equalsIgnoreCase("none")) {
      return withDelegate(Delegate.NONE);
    }
    if (arg.equalsIgnoreCase("xnnpack")) {
      return withDelegate(Delegate.XNNPACK);
    }
    return withExternalDelegate(ExternalDelegateSpec.parse(arg));
  }
}
