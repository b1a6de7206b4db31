package dev.crossalign.backend.tflite;

import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteError;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteOk;

import dev.crossalign.CrossalignException;
import dev.crossalign.backend.NativeLog;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.bytedeco.tensorflowlite.BuiltinOpResolver;
import org.bytedeco.tensorflowlite.Interpreter;
import org.bytedeco.tensorflowlite.TfLiteContext;
import org.bytedeco.tensorflowlite.TfLiteIntArray;
import org.bytedeco.tensorflowlite.TfLiteNode;
import org.bytedeco.tensorflowlite.TfLiteRegistration;

/**
 * Kernels for the MediaPipe custom ops that TFLite itself implements only inside its XNNPACK delegate
 * (xnnpack_delegate.cc: a kTfLiteBuiltinCustom node named "Convolution2DTransposeBias" is visited as a MediaPipe
 * deconvolution): the reference's semantics for them are that delegate kernel's, fp32. The interpreter's resolver has
 * no kernel, so each such op code is registered here (Prepare keeps the declared output shape, as a placeholder's
 * does); the XNNPACK delegate needs only that to resolve the node before it claims it.
 *
 * <p>Without the delegate (the reference, every tensor preserved), {@link #attach} gives each such node a {@link
 * OneOpInterpreter}: the same op with the node's constant weights, run by the XNNPACK delegate; this kernel's Invoke
 * copies the node's input in and the result into the node's output, so every other tensor is still the interpreter's
 * own. With the delegate (the sub-interpreter itself, or the tflite-xnnpack backend) a node the delegate did not take
 * has no kernel at all, and the model is refused.
 *
 * <p>Native lifetime. The Invoke callback is static (one JavaCPP callback slot for the process) and finds its kernels
 * by the interpreter's TfLiteContext address, registered by {@link #attach} and dropped by {@link #detach} before the
 * interpreter is freed; the registration structs and the custom-op name strings (MutableOpResolver::AddCustom keeps
 * the pointer) must outlive the interpreter: {@link #close()} runs last in {@link TfliteHandles}' order, and closes
 * the one-op interpreters too.
 */
final class DelegateBackedKernels implements AutoCloseable {
  /** The custom codes served: the MediaPipe ops of the tests' models that the XNNPACK delegate implements. */
  static final Set<String> CODES = Set.of("Convolution2DTransposeBias");

  private static final Map<Long, DelegateBackedKernels> BY_CONTEXT = new ConcurrentHashMap<>();
  private static final Invoke INVOKE = new Invoke();

  private final CustomOpRegistrations registrations = new CustomOpRegistrations();
  /** One-op interpreters by the node's first output tensor (what Invoke can read from its TfLiteNode). */
  private final Map<Integer, OneOpInterpreter> byOutput = new LinkedHashMap<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  private long context;

  /** Registers a kernel for each served code the model uses; null when it uses none. The caller closes the result. */
  static DelegateBackedKernels register(BuiltinOpResolver resolver, List<OperatorCodes.Code> codes) {
    DelegateBackedKernels k = null;
    boolean ok = false;
    try {
      for (OperatorCodes.Code c : codes) {
        if (!c.isCustom() || !CODES.contains(c.customCode())) {
          continue;
        }
        k = k == null ? new DelegateBackedKernels() : k;
        k.registrations.add(resolver, c.customCode(), c.version(), PlaceholderKernels.PREPARE, INVOKE);
      }
      ok = true;
      return k;
    } finally {
      if (!ok && k != null) {
        k.close();
      }
    }
  }

  /**
   * After AllocateTensors: each served node the interpreter runs itself gets its one-op XNNPACK interpreter, or,
   * when the interpreter has the XNNPACK delegate already, the model is refused.
   */
  void attach(Interpreter interp, TfliteOptions opts, String label, NativeLog.Mark log) {
    for (OpNode n : ExecutionPlan.nodes(interp)) {
      String code = ExecutionPlan.customNameOf(interp, n.nodeIndex());
      if (code == null || !CODES.contains(code) || ExecutionPlan.isDelegated(ExecutionPlan.nodeAt(interp,
          n.nodeIndex()))) {
        continue;
      }
      if (opts.delegate() == TfliteOptions.Delegate.XNNPACK) {
        throw CrossalignException.unsupported("TFLite's XNNPACK delegate did not take custom op " + code + " (node "
            + n.nodeIndex() + ") of model " + label + InterpreterFactory.nativeWhy(log));
      }
      if (n.outputs().length == 0 || n.outputs()[0] < 0) {
        throw CrossalignException.input("custom op " + code + " (node " + n.nodeIndex() + ") of model " + label
            + " has no output");
      }
      byOutput.put(n.outputs()[0], OneOpInterpreter.build(interp, n.nodeIndex(), code, opts.threads(), label));
    }
    if (!byOutput.isEmpty()) {
      context = interp.primary_subgraph().context().address();
      BY_CONTEXT.put(context, this);
    }
  }

  /** The nodes served by one-op XNNPACK interpreters, for the backend's info. */
  List<Integer> nodes() {
    return byOutput.values().stream().map(OneOpInterpreter::nodeIndex).toList();
  }

  /** Stops serving the interpreter's Invoke calls: before that interpreter is freed (its context may be reused). */
  void detach() {
    if (context != 0) {
      BY_CONTEXT.remove(context, this);
      context = 0;
    }
  }

  /** Frees the one-op interpreters, registrations and names; only after the main interpreter and resolver are gone. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    detach();
    for (OneOpInterpreter o : byOutput.values()) {
      try {
        o.close();
      } catch (RuntimeException e) {
        // the remaining handles still get freed
      }
    }
    byOutput.clear();
    registrations.close();
  }

  /** Runs the node's one-op interpreter; kTfLiteError (never an exception into native code) when it cannot. */
  private static final class Invoke extends TfLiteRegistration.Invoke_TfLiteContext_TfLiteNode {
    Invoke() {
      super(); // the preset's protected constructor allocates the native thunk
    }

    @Override
    public int call(TfLiteContext context, TfLiteNode node) {
      try {
        DelegateBackedKernels k = BY_CONTEXT.get(context.address());
        TfLiteIntArray outs = node.outputs();
        if (k == null || outs == null || outs.isNull() || outs.size() < 1) {
          return kTfLiteError;
        }
        OneOpInterpreter sub = k.byOutput.get(outs.data(0));
        return sub != null && sub.invoke(context) ? kTfLiteOk : kTfLiteError;
      } catch (Throwable e) {
        return kTfLiteError;
      }
    }
  }
}
