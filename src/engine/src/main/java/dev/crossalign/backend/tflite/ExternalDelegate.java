package dev.crossalign.backend.tflite;

import com.sun.jna.Callback;
import com.sun.jna.Function;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.StringArray;
import dev.crossalign.CrossalignException;
import dev.crossalign.CrossalignException.Kind;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.tensorflowlite.TfLiteDelegate;

/**
 * A TFLite delegate created by an external plug-in library through TFLite's external delegate plug-in ABI:
 *
 * <pre>
 * TfLiteDelegate* tflite_plugin_create_delegate(char** keys, char** values, size_t n, void (*report_error)(const char*));
 * void tflite_plugin_destroy_delegate(TfLiteDelegate* delegate);
 * </pre>
 *
 * <p>Why JNA: Java 17 has no FFI, and the bytedeco TFLite preset maps neither TfLiteExternalDelegateCreate nor a
 * function-pointer type with this signature. JNA (one jar from Maven Central, its own prebuilt natives) does dlopen,
 * dlsym and the call by name, and returns the delegate's address, which we wrap as a bytedeco {@link TfLiteDelegate}
 * without copying (the struct stays owned by the plug-in). A JNI shim of our own would need a C compiler on every user's
 * machine or per-platform binaries in the jar; JNA already ships those.
 *
 * <p>One owner: the backend that applied the delegate closes it after its interpreter (TFLite requires the delegate to
 * outlive the interpreter). {@link #close()} calls the plug-in's destroy once.
 */
public final class ExternalDelegate implements AutoCloseable {
  static final String CREATE = "tflite_plugin_create_delegate";
  static final String DESTROY = "tflite_plugin_destroy_delegate";

  private final ExternalDelegateSpec spec;
  private final Function destroy;
  private final AtomicReference<TfLiteDelegate> delegate;
  /** Kept reachable for the delegate's life: a plug-in may keep report_error and call it later. */
  private final ErrorCallback reporter;

  /** report_error of the plug-in ABI. */
  public interface ErrorCallback extends Callback {
    void invoke(String message);
  }

  private ExternalDelegate(ExternalDelegateSpec spec, Function destroy, TfLiteDelegate d, ErrorCallback reporter) {
    this.spec = spec;
    this.destroy = destroy;
    this.delegate = new AtomicReference<>(d);
    this.reporter = reporter;
  }

  /**
   * Loads the plug-in and creates its delegate.
   *
   * @throws CrossalignException INPUT when the file is missing or not a loadable library, when it lacks either ABI
   *     symbol (the message names it), or when create returns NULL (with what the plug-in reported);
   *     ENVIRONMENT when JNA's own native part cannot load
   */
  public static ExternalDelegate load(ExternalDelegateSpec spec) {
    Objects.requireNonNull(spec, "spec");
    Path lib = spec.requireLibrary();
    NativeLibrary nl;
    try {
      if (Native.SIZE_T_SIZE != Long.BYTES) {
        throw new CrossalignException(
            Kind.ENVIRONMENT, "external TFLite delegates need a 64-bit size_t, this platform has " + Native.SIZE_T_SIZE);
      }
      nl = NativeLibrary.getInstance(lib.toString());
    } catch (UnsatisfiedLinkError e) {
      throw CrossalignException.input(
          "external TFLite delegate " + lib + " cannot be loaded: " + firstLine(e.getMessage()));
    } catch (NoClassDefFoundError | ExceptionInInitializerError e) {
      throw new CrossalignException(
          Kind.ENVIRONMENT, "JNA cannot load its native library, needed for external TFLite delegates: " + e, e);
    }
    Function create = symbol(nl, CREATE, lib);
    Function destroy = symbol(nl, DESTROY, lib);

    List<String> reported = Collections.synchronizedList(new ArrayList<>());
    ErrorCallback reporter = message -> reported.add(message == null ? "(null)" : message);
    Map<String, String> opts = spec.options();
    String[] keys = opts.keySet().toArray(new String[0]);
    String[] values = opts.values().toArray(new String[0]);
    StringArray k = new StringArray(keys);
    StringArray v = new StringArray(values);
    com.sun.jna.Pointer p = create.invokePointer(new Object[] {k, v, (long) keys.length, reporter});
    if (p == null) {
      throw CrossalignException.input(
          "external TFLite delegate " + lib + " refused to create a delegate (" + CREATE + " returned NULL"
              + (reported.isEmpty() ? "" : ": " + firstLine(String.join("; ", reported))) + ")");
    }
    long address = com.sun.jna.Pointer.nativeValue(p);
    TfLiteDelegate d = new TfLiteDelegate(new Address(address));
    return new ExternalDelegate(spec, destroy, d, reporter);
  }

  private static Function symbol(NativeLibrary nl, String name, Path lib) {
    try {
      return nl.getFunction(name);
    } catch (UnsatisfiedLinkError e) {
      throw CrossalignException.input(
          "external TFLite delegate " + lib + " lacks the symbol " + name + ": not a TFLite delegate plug-in");
    }
  }

  /** A JavaCPP pointer at a native address we do not own (no deallocator). */
  private static final class Address extends Pointer {
    Address(long a) {
      address = a;
    }
  }

  public ExternalDelegateSpec spec() {
    return spec;
  }

  /** The delegate as bytedeco sees it, for Interpreter.ModifyGraphWithDelegate. */
  TfLiteDelegate tfLiteDelegate() {
    TfLiteDelegate d = delegate.get();
    if (d == null) {
      throw new IllegalStateException("external TFLite delegate " + spec.library() + " is closed");
    }
    return d;
  }

  /** Whether close() ran: for tests. */
  boolean isClosed() {
    return delegate.get() == null;
  }

  @Override
  public void close() {
    TfLiteDelegate d = delegate.getAndSet(null);
    if (d != null) {
      com.sun.jna.Pointer p = new com.sun.jna.Pointer(d.address());
      destroy.invokeVoid(new Object[] {p});
    }
    Objects.requireNonNull(reporter); // reachable until here
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "(no message)";
    }
    String t = s.strip();
    int nl = t.indexOf('\n');
    return nl < 0 ? t : t.substring(0, nl);
  }
}
