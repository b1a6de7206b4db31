package dev.crossalign.backend.tflite;

import static org.bytedeco.tensorflowlite.global.tensorflowlite.TfLiteIntArrayCopy;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteError;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteOk;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.tensorflowlite.MutableOpResolver;
import org.bytedeco.tensorflowlite.TfLiteContext;
import org.bytedeco.tensorflowlite.TfLiteIntArray;
import org.bytedeco.tensorflowlite.TfLiteNode;
import org.bytedeco.tensorflowlite.TfLiteRegistration;
import org.bytedeco.tensorflowlite.TfLiteTensor;

/**
 * Placeholder kernels for custom ops the TFLite resolver lacks, written in Java through the preset's callback classes:
 * Prepare keeps each output at the shape the model declares (re-applied with ResizeTensor), Invoke fills every output
 * with zeros. Zeros, not NaN: a NaN would poison every op downstream (a NaN through CONV_2D stays NaN), whereas zeros
 * keep those ops finite, and their isolated comparisons (each op fed the reference's own tensors on both sides) remain
 * a valid per-op check. The zeros themselves are never presented as a reference value: the backend lists the tensors
 * they reach ({@link TfliteBackend#placeholderOutputs()}, {@link TfliteBackend#downstreamOfPlaceholders()}).
 *
 * <p>Native lifetime. The two callbacks ({@link #PREPARE}, {@link #INVOKE}) are stateless and process-wide: held by
 * static final fields, they can never be collected while native code holds their thunks, and JavaCPP's fixed table of
 * callback slots per class is used once, not once per backend (a long loop of open/close or many backends at once
 * cannot exhaust it). Per backend, an instance of this class owns the registration structs and, what matters, the
 * custom-op name strings: MutableOpResolver::AddCustom stores the {@code const char*} it is given as the
 * registration's custom_name (it does not copy the string), and the interpreter copies that pointer into each node's
 * registration. So the names must outlive both the resolver and the interpreter: {@link #close()} runs last in
 * {@link TfliteBackend}'s handle order.
 *
 * <p>An exception thrown from a JavaCPP callback would not reach TFLite as an error (the thunk returns 0, which is
 * kTfLiteOk): both callbacks catch everything and return kTfLiteError instead.
 */
final class PlaceholderKernels implements AutoCloseable {

  /** One custom op code served by a placeholder. */
  record Code(String customCode, int version) {}

  /** Shared with {@link DelegateBackedKernels}: the declared output shape, re-applied. */
  static final Prepare PREPARE = new Prepare();
  private static final Invoke INVOKE = new Invoke();

  private final List<TfLiteRegistration> registrations = new ArrayList<>();
  private final List<BytePointer> names = new ArrayList<>();
  private final List<Code> codes = new ArrayList<>();
  private final AtomicBoolean closed = new AtomicBoolean();

  /** Registers one placeholder per code into {@code resolver}; the caller owns the result and closes it last. */
  static PlaceholderKernels register(MutableOpResolver resolver, List<Code> missing) {
    PlaceholderKernels k = new PlaceholderKernels();
    boolean ok = false;
    try {
      for (Code c : missing) {
        BytePointer name = new BytePointer(c.customCode());
        k.names.add(name);
        TfLiteRegistration reg = new TfLiteRegistration();
        k.registrations.add(reg);
        reg.prepare(PREPARE).invoke(INVOKE);
        resolver.AddCustom(name, reg, c.version());
        k.codes.add(c);
      }
      ok = true;
      return k;
    } finally {
      if (!ok) {
        k.close();
      }
    }
  }

  List<Code> codes() {
    return List.copyOf(codes);
  }

  /** Frees the registration structs and name strings; only after the interpreter and the resolver are gone. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    for (Pointer p : registrations) {
      p.close();
    }
    for (Pointer p : names) {
      p.close();
    }
    registrations.clear();
    names.clear();
  }

  /** The output tensors of a node, each index checked against the context's tensor count; null when one is bad. */
  private static TfLiteTensor[] outputs(TfLiteContext context, TfLiteNode node) {
    TfLiteIntArray outs = node.outputs();
    if (outs == null || outs.isNull()) {
      return new TfLiteTensor[0];
    }
    int n = outs.size();
    long count = context.tensors_size();
    TfLiteTensor base = context.tensors();
    if (n < 0 || n > 1 << 16 || base == null || base.isNull()) {
      return null;
    }
    TfLiteTensor[] result = new TfLiteTensor[n];
    for (int i = 0; i < n; i++) {
      int idx = outs.data(i);
      if (idx < 0 || idx >= count) {
        return null;
      }
      result[i] = base.getPointer(idx); // tensors[idx]: member access adds position * sizeof(TfLiteTensor)
    }
    return result;
  }

  /** Keeps every output at its declared, fully static shape; fails Prepare for anything else. */
  private static final class Prepare extends TfLiteRegistration.Prepare_TfLiteContext_TfLiteNode {
    Prepare() {
      super(); // the preset's protected constructor allocates the native thunk
    }

    @Override
    public int call(TfLiteContext context, TfLiteNode node) {
      try {
        TfLiteTensor[] outs = outputs(context, node);
        if (outs == null) {
          return kTfLiteError;
        }
        for (TfLiteTensor t : outs) {
          TfLiteIntArray dims = t.dims();
          if (dims == null || dims.isNull()) {
            return kTfLiteError;
          }
          int rank = dims.size();
          if (rank < 0 || rank > 16) {
            return kTfLiteError;
          }
          for (int a = 0; a < rank; a++) {
            if (dims.data(a) <= 0) {
              return kTfLiteError;
            }
          }
          // ResizeTensor takes ownership of the copy and recomputes bytes from it.
          TfLiteIntArray copy = TfLiteIntArrayCopy(dims);
          if (copy == null || copy.isNull()) {
            return kTfLiteError;
          }
          if (context.ResizeTensor().call(context, t, copy) != kTfLiteOk) {
            return kTfLiteError;
          }
        }
        return kTfLiteOk;
      } catch (Throwable e) {
        return kTfLiteError;
      }
    }
  }

  /** Writes zeros into every output, over exactly the bytes TFLite allocated for it. */
  private static final class Invoke extends TfLiteRegistration.Invoke_TfLiteContext_TfLiteNode {
    Invoke() {
      super(); // the preset's protected constructor allocates the native thunk
    }

    @Override
    public int call(TfLiteContext context, TfLiteNode node) {
      try {
        TfLiteTensor[] outs = outputs(context, node);
        if (outs == null) {
          return kTfLiteError;
        }
        for (TfLiteTensor t : outs) {
          long bytes = t.bytes();
          if (bytes == 0) {
            continue;
          }
          BytePointer raw = t.data().raw();
          if (bytes < 0 || raw == null || raw.isNull()) {
            return kTfLiteError;
          }
          Pointer.memset(raw, 0, bytes);
        }
        return kTfLiteOk;
      } catch (Throwable e) {
        return kTfLiteError;
      }
    }
  }
}
