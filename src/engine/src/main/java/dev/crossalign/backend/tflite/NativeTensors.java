package dev.crossalign.backend.tflite;

import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteBool;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteFloat16;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteFloat32;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteFloat64;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteInt16;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteInt32;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteInt64;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteInt8;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteUInt8;

import dev.crossalign.CrossalignException;
import dev.crossalign.CrossalignException.Kind;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.tensorflowlite.Interpreter;
import org.bytedeco.tensorflowlite.TfLiteIntArray;
import org.bytedeco.tensorflowlite.TfLiteTensor;

/**
 * Reading and writing TFLite tensors from Java: dtype mapping, dims and int arrays checked before they size a Java
 * array, bytes copied to and from the heap with their lengths checked on both sides, and the capture names of a
 * model's tensors. Stateless; the interpreter it reads belongs to {@link TfliteBackend}.
 */
// "try": PointerScope is opened for its side effect (it frees every native temporary created inside), never read.
@SuppressWarnings("try")
final class NativeTensors {
  /** Most dims a TFLite tensor may have that we accept (TFLite itself has no fixed cap; 16 is far above real use). */
  private static final int MAX_RANK = 16;

  private NativeTensors() {}

  /** A custom node's options (custom_initial_data) as bytes; empty when it has none. */
  static byte[] customOptions(org.bytedeco.tensorflowlite.TfLiteNode node) {
    org.bytedeco.javacpp.Pointer p = node.custom_initial_data();
    int n = node.custom_initial_data_size();
    if (p == null || p.isNull() || n <= 0) {
      return new byte[0];
    }
    byte[] b = new byte[n];
    new BytePointer(p).capacity(n).get(b);
    return b;
  }

  /** The crossalign dtype of a TFLite type id, or null for one crossalign does not map (string, complex...). */
  static DType dtypeOf(int tfliteType) {
    if (tfliteType == kTfLiteFloat32) {
      return DType.FLOAT32;
    } else if (tfliteType == kTfLiteFloat16) {
      return DType.FLOAT16;
    } else if (tfliteType == kTfLiteFloat64) {
      return DType.FLOAT64;
    } else if (tfliteType == kTfLiteInt8) {
      return DType.INT8;
    } else if (tfliteType == kTfLiteUInt8) {
      return DType.UINT8;
    } else if (tfliteType == kTfLiteInt16) {
      return DType.INT16;
    } else if (tfliteType == kTfLiteInt32) {
      return DType.INT32;
    } else if (tfliteType == kTfLiteInt64) {
      return DType.INT64;
    } else if (tfliteType == kTfLiteBool) {
      return DType.BOOL;
    }
    return null;
  }

  static int[] dimsOf(TfLiteTensor t, String name) {
    TfLiteIntArray dims = t.dims();
    if (dims == null || dims.isNull()) {
      return new int[0];
    }
    int rank = dims.size();
    if (rank < 0 || rank > MAX_RANK) {
      throw new CrossalignException(Kind.INTERNAL, "TFLite tensor " + name + " has rank " + rank);
    }
    int[] shape = new int[rank];
    for (int i = 0; i < rank; i++) {
      shape[i] = dims.data(i);
      if (shape[i] < 0) {
        throw new CrossalignException(
            Kind.INTERNAL, "TFLite tensor " + name + " has negative dimension " + shape[i] + " at axis " + i);
      }
    }
    return shape;
  }

  static int[] intArray(TfLiteIntArray a) {
    if (a == null || a.isNull()) {
      return new int[0];
    }
    int n = a.size();
    if (n < 0 || n > 1 << 20) {
      throw new CrossalignException(Kind.INTERNAL, "TFLite int array of size " + n);
    }
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = a.data(i);
    }
    return out;
  }

  /** Tensor indices from a native list (graph inputs or outputs), each checked against the tensor count. */
  static int[] readIndices(IntPointer p, int nTensors, String label, String what) {
    long n = p == null ? 0 : p.limit() - p.position();
    int[] out = new int[Math.toIntExact(n)];
    for (int i = 0; i < out.length; i++) {
      out[i] = p.get(i);
      if (out[i] < 0 || out[i] >= nTensors) {
        throw CrossalignException.input(
            "model " + label + " names " + what + " tensor " + out[i] + ", it has " + nTensors + " tensors");
      }
    }
    return out;
  }

  /** The TFLite name of a tensor, t&lt;index&gt; when it has none. */
  static String nameOf(TfLiteTensor t, int idx) {
    BytePointer bp = t == null || t.isNull() ? null : t.name();
    String nm = bp == null || bp.isNull() ? "" : bp.getString();
    return nm.isEmpty() ? "t" + idx : nm;
  }

  /** Capture name of each tensor index: the TFLite name, t&lt;index&gt; when it has none, name#index when it repeats. */
  static String[] nameTensors(Interpreter interp, int n) {
    String[] names = new String[n];
    Set<String> used = new HashSet<>();
    try (PointerScope scope = new PointerScope()) {
      for (int i = 0; i < n; i++) {
        String nm = nameOf(interp.tensor(i), i);
        if (!used.add(nm)) {
          nm = nm + "#" + i;
          used.add(nm);
        }
        names[i] = nm;
      }
    }
    return names;
  }

  /** Copies a host tensor into an allocated TFLite input tensor of exactly its byte size. */
  static void copyIn(TfLiteTensor t, HostTensor h, String name) {
    long need = h.numel() * h.dtype().byteSize();
    long have = t.bytes();
    if (have != need) {
      throw new CrossalignException(
          Kind.INTERNAL, "input '" + name + "' has " + need + " bytes, the TFLite tensor holds " + have);
    }
    if (need == 0) {
      return;
    }
    BytePointer raw = t.data().raw();
    if (raw == null || raw.isNull()) {
      throw new CrossalignException(Kind.INTERNAL, "input '" + name + "' has no TFLite buffer after allocation");
    }
    ByteBuffer dst = raw.capacity(need).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    dst.put(h.data());
  }

  /**
   * Copies a tensor's bytes to the heap; null when it has no data or a dtype crossalign does not map (string...).
   *
   * @param name the tensor's capture name, for messages
   */
  static HostTensor copyOut(TfLiteTensor t, String name) {
    if (t == null || t.isNull()) {
      return null;
    }
    DType dt = dtypeOf(t.type());
    if (dt == null) {
      return null;
    }
    int[] shape = dimsOf(t, name);
    long need = HostTensor.numel(shape) * dt.byteSize();
    long have = t.bytes();
    if (have != need) {
      throw new CrossalignException(
          Kind.INTERNAL,
          "TFLite tensor " + name + " reports " + have + " bytes, shape " + Arrays.toString(shape)
              + " of " + dt + " needs " + need);
    }
    if (need > Integer.MAX_VALUE - 8) {
      throw new CrossalignException(Kind.INTERNAL, "tensor " + name + " too large for the heap: " + need);
    }
    byte[] bytes = new byte[(int) need];
    if (need > 0) {
      BytePointer raw = t.data().raw();
      if (raw == null || raw.isNull()) {
        return null;
      }
      raw.capacity(need).get(bytes, 0, bytes.length);
    }
    Layout layout = shape.length == 4 ? Layout.NHWC : Layout.ANY;
    return HostTensor.wrap(dt, shape, layout, ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN));
  }

  /** Names from the file go into one-line messages: control characters become '?', long names are cut. */
  static String printable(String s) {
    StringBuilder b = new StringBuilder(Math.min(s.length(), 120));
    for (int i = 0; i < s.length() && i < 120; i++) {
      char c = s.charAt(i);
      b.append(Character.isISOControl(c) ? '?' : c);
    }
    return s.length() > 120 ? b.append("...").toString() : b.toString();
  }
}
