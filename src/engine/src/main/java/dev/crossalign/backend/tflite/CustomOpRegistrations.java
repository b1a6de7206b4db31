package dev.crossalign.backend.tflite;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.tensorflowlite.MutableOpResolver;
import org.bytedeco.tensorflowlite.TfLiteRegistration;

/**
 * The registration structs and custom-op name strings of Java kernels added to a resolver, with one owner.
 * MutableOpResolver::AddCustom keeps the {@code const char*} it is given as the registration's custom_name (it does
 * not copy it) and the interpreter copies that pointer into each node's registration, so both must outlive the
 * resolver and the interpreter: the owner closes this only after them ({@link TfliteHandles}' order).
 */
final class CustomOpRegistrations implements AutoCloseable {
  private final List<TfLiteRegistration> registrations = new ArrayList<>();
  private final List<BytePointer> names = new ArrayList<>();
  private final AtomicBoolean closed = new AtomicBoolean();

  /** Registers {@code code} at {@code version} with the given (process-wide, static) callbacks. */
  void add(MutableOpResolver resolver, String code, int version, TfLiteRegistration.Prepare_TfLiteContext_TfLiteNode
      prepare, TfLiteRegistration.Invoke_TfLiteContext_TfLiteNode invoke) {
    BytePointer name = new BytePointer(code);
    names.add(name);
    TfLiteRegistration reg = new TfLiteRegistration();
    registrations.add(reg);
    reg.prepare(prepare).invoke(invoke);
    resolver.AddCustom(name, reg, version);
  }

  /** Frees the structs and strings; only after the interpreter and the resolver are gone. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    registrations.forEach(Pointer::close);
    names.forEach(Pointer::close);
    registrations.clear();
    names.clear();
  }
}
