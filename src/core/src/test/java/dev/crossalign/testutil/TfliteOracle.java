package dev.crossalign.testutil;

import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteBool;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteFloat16;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteFloat32;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteFloat64;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteInt16;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteInt32;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteInt64;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteInt8;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteMmapRo;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteOk;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteUInt8;

import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.Operator;
import dev.crossalign.tflite.TfliteModel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.tensorflowlite.BuiltinOpResolverWithoutDefaultDelegates;
import org.bytedeco.tensorflowlite.FlatBufferModel;
import org.bytedeco.tensorflowlite.Interpreter;
import org.bytedeco.tensorflowlite.InterpreterBuilder;
import org.bytedeco.tensorflowlite.InterpreterOptions;
import org.bytedeco.tensorflowlite.OpResolver;
import org.bytedeco.tensorflowlite.StringIntMap;
import org.bytedeco.tensorflowlite.StringVector;
import org.bytedeco.tensorflowlite.TfLiteIntArray;
import org.bytedeco.tensorflowlite.TfLiteRegistration;
import org.bytedeco.tensorflowlite.TfLiteTensor;

/**
 * Test oracle: runs a model through the real TFLite interpreter (bytedeco tensorflow-lite preset, builtin kernels,
 * one thread, all intermediate tensors preserved) and returns every non-constant tensor that holds data after
 * Invoke, by tensor index.
 *
 * <p>The resolver is {@code BuiltinOpResolverWithoutDefaultDelegates}: with the plain {@code BuiltinOpResolver} the
 * default XNNPACK delegate takes over whole partitions, and intermediates it swallows are never written even with
 * preserve-all-tensors (measured: a FLOAT16 constant's DEQUANTIZE output and a DENSIFY output read back as zeros,
 * while the graph output was right). The reference kernels write every tensor.
 *
 * <p>Native objects are closed in dependency order (interpreter before builder, resolver, model and the model's
 * bytes); per-run views sit in a {@link PointerScope}. Every length is checked before bytes are copied either way.
 * The interpreter's own error text goes to the process's stderr (TFLite's default reporter); the exception names the
 * stage and tensor.
 */
public final class TfliteOracle {
  private TfliteOracle() {}

  /**
   * Runs the model. {@code inputsByTensorIndex} must give every graph input, each with the tensor's dtype; a shape
   * different from the model's resizes the input before allocation.
   *
   * @return tensor index -> value for every tensor that is not a read-only constant and has data (graph inputs, op
   *     outputs, intermediates), FLOAT32/FLOAT16/FLOAT64/INT8/UINT8/INT16/INT32/INT64/BOOL; layout NHWC for rank 4,
   *     else ANY
   * @throws IllegalStateException when the interpreter refuses the model or fails to allocate or invoke
   * @throws IllegalArgumentException when an input is missing, unknown or of the wrong dtype or size
   */
  public static Map<Integer, HostTensor> run(byte[] model, Map<Integer, HostTensor> inputsByTensorIndex) {
    return withInterpreter(model, (it, why) -> runInterpreter(it, inputsByTensorIndex, why));
  }

  /** A SignatureDef as the interpreter reads it: input and output names -> tensor indices. */
  public record Signature(String key, Map<String, Integer> inputs, Map<String, Integer> outputs) {}

  /** The signatures the real interpreter finds in the model, in its key order. */
  public static List<Signature> signatures(byte[] model) {
    return withInterpreter(
        model,
        (it, why) -> {
          List<Signature> out = new ArrayList<>();
          StringVector keys = it.signature_keys();
          for (long i = 0; i < keys.size(); i++) {
            String key = keys.get(i).getString();
            out.add(new Signature(key, entries(it.signature_inputs(key)), entries(it.signature_outputs(key))));
          }
          return out;
        });
  }

  private static Map<String, Integer> entries(StringIntMap map) {
    Map<String, Integer> out = new TreeMap<>();
    if (map == null || map.isNull()) {
      return out;
    }
    // Iterated, not map.get(name): operator[] would insert into the interpreter's map.
    StringIntMap.Iterator end = map.end();
    for (StringIntMap.Iterator e = map.begin(); !e.equals(end); e = e.increment()) {
      out.put(e.first(), e.second());
    }
    return out;
  }

  private interface InterpreterCall<T> {
    T apply(Interpreter interpreter, Supplier<String> why);
  }

  @SuppressWarnings("try") // the PointerScope is held for its close(), not referenced
  private static <T> T withInterpreter(byte[] model, InterpreterCall<T> call) {
    if (model == null || model.length < 8) {
      throw new IllegalArgumentException("model bytes missing or too short");
    }
    try (PointerScope scope = new PointerScope()) {
      BytePointer buffer = new BytePointer(model.length);
      try {
        buffer.put(model, 0, model.length);
        FlatBufferModel fbm = FlatBufferModel.VerifyAndBuildFromBuffer(buffer, model.length);
        if (fbm == null || fbm.isNull()) {
          throw new IllegalStateException(
              "TFLite refused the model: VerifyAndBuildFromBuffer failed (flatbuffer verification; see stderr)");
        }
        try (BuiltinOpResolverWithoutDefaultDelegates resolver = new BuiltinOpResolverWithoutDefaultDelegates();
            InterpreterOptions options = new InterpreterOptions()) {
          options.SetPreserveAllTensors(true);
          try (InterpreterBuilder builder = new InterpreterBuilder(fbm, resolver, options);
              Interpreter interpreter = new Interpreter((Pointer) null)) {
            Supplier<String> why = () -> diagnose(model, resolver);
            check(builder.SetNumThreads(1), "InterpreterBuilder.SetNumThreads", why);
            check(builder.apply(interpreter), "InterpreterBuilder", why);
            if (interpreter.isNull()) {
              throw new IllegalStateException("InterpreterBuilder produced no interpreter (see stderr)");
            }
            return call.apply(interpreter, why);
          }
        } finally {
          fbm.close();
        }
      } finally {
        buffer.close();
      }
    }
  }

  private static Map<Integer, HostTensor> runInterpreter(
      Interpreter it, Map<Integer, HostTensor> inputs, Supplier<String> why) {
    IntPointer inPtr = it.inputs();
    int nIn = (int) inPtr.limit();
    int[] graphInputs = new int[nIn];
    for (int i = 0; i < nIn; i++) {
      graphInputs[i] = inPtr.get(i);
    }
    int nTensors = (int) it.tensors_size();
    Map<Integer, HostTensor> given = inputs == null ? Map.of() : inputs;
    for (Integer k : given.keySet()) {
      if (Arrays.stream(graphInputs).noneMatch(g -> g == k)) {
        throw new IllegalArgumentException(
            "tensor " + k + " is not a graph input; inputs are " + Arrays.toString(graphInputs));
      }
    }
    for (int i = 0; i < nIn; i++) {
      int t = graphInputs[i];
      HostTensor v = given.get(t);
      if (v == null) {
        throw new IllegalArgumentException("no value for graph input tensor " + t + " ('" + name(it.tensor(t)) + "')");
      }
      int[] want = dims(it.tensor(t).dims());
      if (!Arrays.equals(want, v.shape())) {
        check(it.ResizeInputTensor(t, v.shape()), "ResizeInputTensor(" + t + ")", why);
      }
    }
    check(it.AllocateTensors(), "AllocateTensors", why);
    for (int t : graphInputs) {
      HostTensor v = given.get(t);
      TfLiteTensor tensor = it.tensor(t);
      DType dtype = dtypeOf(tensor.type());
      if (dtype != v.dtype()) {
        throw new IllegalArgumentException(
            "graph input " + t + " ('" + name(tensor) + "') is " + (dtype == null ? "type " + tensor.type() : dtype)
                + " but the value is " + v.dtype());
      }
      long bytes = tensor.bytes();
      ByteBuffer data = v.data();
      BytePointer raw = tensor.data().raw();
      if (bytes != data.remaining() || raw == null || raw.isNull()) {
        throw new IllegalStateException(
            "graph input " + t + " holds " + bytes + " bytes after allocation, the value has " + data.remaining());
      }
      byte[] src = new byte[data.remaining()];
      data.get(src);
      raw.capacity(bytes).position(0).put(src, 0, src.length);
    }
    check(it.Invoke(), "Invoke", why);

    Map<Integer, HostTensor> out = new TreeMap<>();
    for (int t = 0; t < nTensors; t++) {
      TfLiteTensor tensor = it.tensor(t);
      if (tensor == null || tensor.isNull() || tensor.allocation_type() == kTfLiteMmapRo) {
        continue;
      }
      DType dtype = dtypeOf(tensor.type());
      TfLiteIntArray dimsArray = tensor.dims();
      if (dtype == null || dimsArray == null || dimsArray.isNull()) {
        continue;
      }
      int[] shape = dims(dimsArray);
      long n = 1;
      for (int d : shape) {
        n *= d;
      }
      long bytes = tensor.bytes();
      BytePointer raw = tensor.data().raw();
      if (n * dtype.byteSize() != bytes) {
        continue; // not (yet) allocated to its shape: no data to report
      }
      if (bytes > 0 && (raw == null || raw.isNull())) {
        continue;
      }
      byte[] dst = new byte[Math.toIntExact(bytes)];
      if (bytes > 0) {
        raw.capacity(bytes).position(0).get(dst, 0, dst.length);
      }
      ByteBuffer bb = ByteBuffer.wrap(dst).order(ByteOrder.LITTLE_ENDIAN);
      out.put(t, HostTensor.wrap(dtype, shape, shape.length == 4 ? Layout.NHWC : Layout.ANY, bb));
    }
    return new LinkedHashMap<>(out);
  }

  /** Names the ops the resolver lacks (the usual reason the builder fails); TFLite's own text is on stderr. */
  private static String diagnose(byte[] model, OpResolver resolver) {
    TfliteModel m;
    try {
      m = TfliteModel.read(model, "model");
    } catch (RuntimeException e) {
      return "the pure-Java reader also refuses the model: " + e.getMessage();
    }
    StringBuilder missing = new StringBuilder();
    for (Operator op : m.main().operators()) {
      TfLiteRegistration r =
          op.isCustom() ? resolver.FindOp(op.customCode(), op.version()) : resolver.FindOp(op.builtinCode(), op.version());
      if (r == null || r.isNull()) {
        missing.append(missing.length() == 0 ? "" : "; ")
            .append("op ").append(op.index()).append(' ').append(op.opName())
            .append(op.isCustom() ? " (custom)" : "").append(" version ").append(op.version());
      }
    }
    return missing.length() == 0
        ? "every op resolves; a kernel refused its tensors or options (TFLite's message is on stderr)"
        : "unresolved ops: " + missing + " (not in the builtin op resolver at that version)";
  }

  private static void check(int status, String stage, Supplier<String> why) {
    if (status != kTfLiteOk) {
      throw new IllegalStateException("TFLite " + stage + " failed with status " + status + ": " + why.get());
    }
  }

  private static int[] dims(TfLiteIntArray a) {
    int n = a.size();
    if (n < 0 || n > 16) {
      throw new IllegalStateException("tensor rank " + n + " reported by the interpreter");
    }
    int[] d = new int[n];
    for (int i = 0; i < n; i++) {
      d[i] = a.data(i);
    }
    return d;
  }

  private static String name(TfLiteTensor t) {
    BytePointer n = t.name();
    return n == null || n.isNull() ? "" : n.getString();
  }

  /** TfLiteType -> host dtype (null: not representable). */
  static DType dtypeOf(int tfliteType) {
    if (tfliteType == kTfLiteFloat32) {
      return DType.FLOAT32;
    } else if (tfliteType == kTfLiteFloat16) {
      return DType.FLOAT16;
    } else if (tfliteType == kTfLiteFloat64) {
      return DType.FLOAT64;
    } else if (tfliteType == kTfLiteInt32) {
      return DType.INT32;
    } else if (tfliteType == kTfLiteInt64) {
      return DType.INT64;
    } else if (tfliteType == kTfLiteInt8) {
      return DType.INT8;
    } else if (tfliteType == kTfLiteUInt8) {
      return DType.UINT8;
    } else if (tfliteType == kTfLiteInt16) {
      return DType.INT16;
    } else if (tfliteType == kTfLiteBool) {
      return DType.BOOL;
    }
    return null;
  }
}
