package dev.crossalign.backend.tflite;

import static dev.crossalign.backend.tflite.NativeTensors.printable;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteOk;

import dev.crossalign.CrossalignException;
import dev.crossalign.backend.NativeLog;
import dev.crossalign.tflite.NativeSafety;
import dev.crossalign.tflite.TfliteModel;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.tensorflowlite.BuiltinOpResolver;
import org.bytedeco.tensorflowlite.BuiltinOpResolverWithXNNPACK;
import org.bytedeco.tensorflowlite.BuiltinOpResolverWithoutDefaultDelegates;
import org.bytedeco.tensorflowlite.FlatBufferModel;
import org.bytedeco.tensorflowlite.Interpreter;
import org.bytedeco.tensorflowlite.InterpreterBuilder;
import org.bytedeco.tensorflowlite.InterpreterOptions;
import org.bytedeco.tensorflowlite.TfLiteRegistration;

/**
 * Builds every TFLite interpreter, after TFLite's verifier (safe on any bytes), the pure-Java reader (unless the
 * caller read the model already) and {@link NativeSafety}'s per-op checks: what a kernel would crash on never reaches
 * it. Hands the caller a complete {@link TfliteHandles} or, on any failure, frees what it had built and throws.
 */
final class InterpreterFactory {
  private InterpreterFactory() {}

  /**
   * The native handles of a ready interpreter (tensors allocated, delegate applied).
   *
   * @param parsed the model as the pure-Java reader read it, or null to read it here
   * @throws CrossalignException INPUT when TFLite refuses the model; UNSUPPORTED for ops the resolver lacks
   */
  static TfliteHandles build(byte[] modelBytes, String label, TfliteOptions opts, TfliteModel parsed) {
    return build(modelBytes, label, opts, parsed, true);
  }

  /** A one-op model's interpreter ({@link OneOpInterpreter}): the node itself, no probe of it. */
  static TfliteHandles buildOneOp(byte[] modelBytes, String label, TfliteOptions opts) {
    return build(modelBytes, label, opts, null, false);
  }

  private static TfliteHandles build(byte[] modelBytes, String label, TfliteOptions opts, TfliteModel parsed,
      boolean probe) {
    Objects.requireNonNull(opts, "opts");
    checkLength(modelBytes, label);
    NativeLog.Mark log = NativeLog.mark();
    BytePointer buffer = null;
    FlatBufferModel model = null;
    BuiltinOpResolver resolver = null;
    Interpreter interpreter = null;
    PlaceholderKernels placeholders = null;
    DelegateBackedKernels kernels = null;
    MediaPipeKernels mediapipe = null;
    ExternalDelegate external = null;
    boolean ok = false;
    try {
      // The flatbuffer model does not copy: this buffer must live as long as the model (it is one of our handles).
      buffer = new BytePointer(modelBytes.length);
      buffer.put(modelBytes, 0, modelBytes.length);
      model = FlatBufferModel.VerifyAndBuildFromBuffer(buffer, modelBytes.length);
      if (model == null || model.isNull() || !model.initialized()) {
        throw CrossalignException.input(
            "model " + label + " (" + modelBytes.length + " bytes) is not a valid .tflite file: TFLite's flatbuffer"
                + " verifier rejected it" + nativeWhy(log));
      }
      // The verifier checks the flatbuffer, not the graph: a required op input of -1 or a paddings tensor of the
      // wrong rank passes it and crashes a kernel's Prepare. Refuse those before any interpreter exists.
      checkInJava(parsed != null ? parsed : TfliteModel.read(modelBytes, label), label);
      resolver = resolverFor(opts);
      // The verifier passed, so operator_codes can be read safely from the bytes it checked (the native copy, a
      // direct view); name missing ops before TFLite stumbles on them.
      List<OperatorCodes.Code> codes = OperatorCodes.read(buffer.position(0).asByteBuffer());
      kernels = DelegateBackedKernels.register(resolver, codes);
      mediapipe = MediaPipeKernels.register(resolver, codes);
      probeServedNodes(probe && kernels != null, modelBytes, label, opts, parsed);
      if (opts.placeholderCustomOps()) {
        placeholders = registerPlaceholders(codes, resolver, label);
      }
      checkOpsResolvable(codes, resolver, label);
      interpreter = newInterpreter(model, resolver, opts, label, log);
      if (placeholders != null) {
        PlaceholderReach.checkShapes(interpreter, placeholders, label);
      }
      if (opts.delegate() == TfliteOptions.Delegate.EXTERNAL) {
        external = ExternalDelegate.load(opts.external());
        if (interpreter.ModifyGraphWithDelegate(external.tfLiteDelegate()) != kTfLiteOk) {
          throw CrossalignException.input(
              "TFLite could not apply the external delegate " + opts.external() + " to model " + label
                  + " (its Prepare or a delegated kernel failed)" + nativeWhy(log));
        }
      }
      allocate(interpreter, kernels, opts, label, log);
      TfliteHandles h = new TfliteHandles(buffer, model, resolver, interpreter, external, placeholders, kernels, mediapipe);
      ok = true;
      return h;
    } finally {
      if (!ok) {
        new TfliteHandles(buffer, model, resolver, interpreter, external, placeholders, kernels, mediapipe).close();
      }
    }
  }

  /**
   * Before the whole-model XNNPACK delegate meets a custom node it serves (Convolution2DTransposeBias): each such node
   * must run in a one-op XNNPACK interpreter of its own, built on TFLite's run-time shapes in an interpreter without the
   * delegate, as the reference does. A node the delegate declines inside the whole model (an input count, index, shape
   * or type it does not take) is left to the interpreter, which has no kernel for it, and TFLite 2.20 crashed around it
   * (SIGSEGV in xnn_subgraph_fusion and in DequantizeFloat16, abort: bench --backends tflite-xnnpack in the fuzz
   * suite); the probe refuses the model first, naming the node (exit 2 or 3, as the reference would).
   */
  private static void probeServedNodes(boolean serves, byte[] modelBytes, String label, TfliteOptions opts,
      TfliteModel parsed) {
    if (serves && opts.delegate() == TfliteOptions.Delegate.XNNPACK) {
      build(modelBytes, label, opts.withDelegate(TfliteOptions.Delegate.NONE), parsed).close();
    }
  }

  /** The checks made in Java before TFLite sees the graph: native safety, then the MediaPipe kernels' own. */
  private static void checkInJava(TfliteModel model, String label) {
    NativeSafety.check(model);
    MediaPipeKernels.check(model, label);
  }

  /** Allocates the tensors (every kernel's Prepare), then gives XNNPACK-backed custom ops their one-op interpreters. */
  private static void allocate(Interpreter interpreter, DelegateBackedKernels kernels, TfliteOptions opts, String label,
      NativeLog.Mark log) {
    if (interpreter.AllocateTensors() != kTfLiteOk) {
      throw CrossalignException.input(
          "TFLite could not allocate the tensors of model " + label + " (a kernel's Prepare failed)" + nativeWhy(log));
    }
    if (kernels != null) {
      kernels.attach(interpreter, opts, label, log);
    }
  }

  private static void checkLength(byte[] modelBytes, String label) {
    Objects.requireNonNull(modelBytes, "modelBytes");
    if (modelBytes.length == 0) {
      throw CrossalignException.input("model " + label + " is empty (0 bytes), expected a .tflite flatbuffer");
    }
    if (modelBytes.length < 8) {
      throw CrossalignException.input(
          "model " + label + " has " + modelBytes.length + " bytes, too short for a .tflite flatbuffer");
    }
  }

  /** EXTERNAL: builtin kernels without default delegates; the plug-in is applied explicitly after the build. */
  private static BuiltinOpResolver resolverFor(TfliteOptions opts) {
    return opts.delegate() == TfliteOptions.Delegate.XNNPACK
        ? new BuiltinOpResolverWithXNNPACK(true)
        : new BuiltinOpResolverWithoutDefaultDelegates();
  }

  /**
   * A built interpreter over the model and resolver (which it points into: they must outlive it). Until it is
   * returned this method is its only owner, and closes it when the build fails.
   */
  private static Interpreter newInterpreter(
      FlatBufferModel model, BuiltinOpResolver resolver, TfliteOptions opts, String label, NativeLog.Mark log) {
    Interpreter interpreter = new Interpreter((Pointer) null);
    try (InterpreterOptions io = new InterpreterOptions()) {
      // InterpreterBuilder copies the options when it is constructed: set them first, or arena memory is reused
      // and captured intermediates hold whatever a later op wrote there.
      // TFLite skips its default (lazy) delegates, XNNPACK included, when all tensors are preserved; with XNNPACK
      // the arena is reused and only the graph's inputs and outputs are trustworthy after a run.
      io.SetPreserveAllTensors(opts.delegate() != TfliteOptions.Delegate.XNNPACK);
      buildInto(interpreter, model, resolver, io, opts, label, log);
      return interpreter;
    } catch (RuntimeException | Error e) {
      try {
        interpreter.close();
      } catch (RuntimeException closing) {
        e.addSuppressed(closing); // the build failure is the one to report
      }
      throw e;
    }
  }

  private static void buildInto(
      Interpreter interpreter,
      FlatBufferModel model,
      BuiltinOpResolver resolver,
      InterpreterOptions io,
      TfliteOptions opts,
      String label,
      NativeLog.Mark log) {
    try (InterpreterBuilder builder = new InterpreterBuilder(model, resolver, io)) {
      if (builder.SetNumThreads(opts.threads()) != kTfLiteOk) {
        throw CrossalignException.input("TFLite refused " + opts.threads() + " threads for model " + label);
      }
      int status = builder.apply(interpreter);
      if (status != kTfLiteOk || interpreter.isNull()) {
        throw CrossalignException.input(
            "TFLite could not build an interpreter for model " + label + nativeWhy(log));
      }
    }
  }

  /**
   * What TFLite itself reported since the mark (its ERROR lines, captured by {@link NativeLog} when the CLI installed
   * it), for the one-line message; otherwise a pointer to stderr, where TFLite printed it.
   */
  static String nativeWhy(NativeLog.Mark log) {
    String e = NativeLog.errorsSince(log);
    return e != null ? ": TFLite reports: " + e : " (details on stderr)";
  }

  /** A placeholder for each custom op code (name, version) the resolver lacks; null when none is needed. */
  private static PlaceholderKernels registerPlaceholders(
      List<OperatorCodes.Code> codes, BuiltinOpResolver resolver, String label) {
    Set<PlaceholderKernels.Code> missing = new LinkedHashSet<>();
    for (OperatorCodes.Code c : codes) {
      if (!c.isCustom() || c.customCode() == null) {
        continue; // builtins and nameless custom codes keep their refusal in checkOpsResolvable
      }
      if (c.customCode().isEmpty() || c.customCode().indexOf('\0') >= 0) {
        throw CrossalignException.input(
            "model " + label + " has a custom op code with an empty or NUL-containing name '"
                + printable(c.customCode()) + "'");
      }
      TfLiteRegistration r = resolver.FindOp(c.customCode(), c.version());
      if (r == null || r.isNull()) {
        missing.add(new PlaceholderKernels.Code(c.customCode(), c.version()));
      }
    }
    return missing.isEmpty() ? null : PlaceholderKernels.register(resolver, List.copyOf(missing));
  }

  private static void checkOpsResolvable(
      List<OperatorCodes.Code> codes, BuiltinOpResolver resolver, String label) {
    List<String> missing = new ArrayList<>();
    for (OperatorCodes.Code c : codes) {
      TfLiteRegistration r;
      if (c.isCustom()) {
        if (c.customCode() == null) {
          throw CrossalignException.input("model " + label + " has a CUSTOM operator code without a custom_code name");
        }
        r = resolver.FindOp(c.customCode(), c.version());
        if (r == null || r.isNull()) {
          missing.add("custom op '" + printable(c.customCode()) + "'");
        }
      } else {
        r = resolver.FindOp(c.builtinCode(), c.version());
        if (r == null || r.isNull()) {
          missing.add("builtin op code " + c.builtinCode() + " version " + c.version());
        }
      }
    }
    if (!missing.isEmpty()) {
      throw CrossalignException.unsupported(
          String.join(", ", new LinkedHashSet<>(missing)) + (missing.size() == 1 ? " is" : " are")
              + " not supported by the TFLite interpreter (model " + label + ")");
    }
  }
}
