package dev.crossalign.backend.tflite;

import static org.bytedeco.tensorflowlite.global.tensorflowlite.TfLiteIntArrayCopy;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.TfLiteIntArrayCreate;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteError;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteFloat32;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteOk;

import dev.crossalign.CrossalignException;
import dev.crossalign.tflite.MediaPipeTransforms;
import dev.crossalign.tflite.Operator;
import dev.crossalign.tflite.TfliteModel;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.tensorflowlite.MutableOpResolver;
import org.bytedeco.tensorflowlite.TfLiteContext;
import org.bytedeco.tensorflowlite.TfLiteIntArray;
import org.bytedeco.tensorflowlite.TfLiteNode;
import org.bytedeco.tensorflowlite.TfLiteRegistration;
import org.bytedeco.tensorflowlite.TfLiteTensor;

/**
 * Reference kernels for MediaPipe's attention-mesh custom ops (Landmarks2TransformMatrix, TransformTensorBilinear,
 * TransformLandmarks, version 2), which no TFLite build implements: crossalign's Java transcription of MediaPipe's own
 * TFLite kernels ({@link MediaPipeTransforms}, mediapipe/util/tflite/operations/*.cc), not a compiled MediaPipe
 * kernel; the backend's config says so ({@code tflite.mediapipe_kernels}). Prepare does what MediaPipe's v2 Prepare
 * does (Landmarks2TransformMatrix resizes its output to [1, 4, 4], TransformLandmarks to its input's shape,
 * TransformTensorBilinear keeps the declared one); Invoke reads the node's inputs and custom_initial_data and writes
 * the output. Every node's version, shapes and options are checked in Java before the interpreter exists ({@link
 * #check}: exit 3 naming the op and the reason); the callbacks re-check what they touch and return kTfLiteError,
 * never throw into native code.
 *
 * <p>Native lifetime as {@link PlaceholderKernels}: the callbacks are process-wide and stateless (one per op code,
 * static final), an instance owns the registration structs and the custom-op name strings that the resolver and the
 * interpreter point at ({@link CustomOpRegistrations}), and {@link #close()} runs after both are freed, in {@link
 * TfliteHandles}' order.
 */
final class MediaPipeKernels implements AutoCloseable {
  private static final Map<String, Prepare> PREPARE = Map.of(
      MediaPipeTransforms.LANDMARKS_TO_TRANSFORM_MATRIX, new Prepare(MediaPipeTransforms.LANDMARKS_TO_TRANSFORM_MATRIX),
      MediaPipeTransforms.TRANSFORM_TENSOR_BILINEAR, new Prepare(MediaPipeTransforms.TRANSFORM_TENSOR_BILINEAR),
      MediaPipeTransforms.TRANSFORM_LANDMARKS, new Prepare(MediaPipeTransforms.TRANSFORM_LANDMARKS));
  private static final Map<String, Invoke> INVOKE = Map.of(
      MediaPipeTransforms.LANDMARKS_TO_TRANSFORM_MATRIX, new Invoke(MediaPipeTransforms.LANDMARKS_TO_TRANSFORM_MATRIX),
      MediaPipeTransforms.TRANSFORM_TENSOR_BILINEAR, new Invoke(MediaPipeTransforms.TRANSFORM_TENSOR_BILINEAR),
      MediaPipeTransforms.TRANSFORM_LANDMARKS, new Invoke(MediaPipeTransforms.TRANSFORM_LANDMARKS));

  private final CustomOpRegistrations registrations = new CustomOpRegistrations();

  /**
   * Refuses (UNSUPPORTED, one line naming the op) any node of these ops that MediaPipe's kernel would reject or
   * could not run safely; a no-op for models without them.
   */
  static void check(TfliteModel model, String label) {
    for (Operator op : model.main().operators()) {
      if (!op.isCustom() || !MediaPipeTransforms.CODES.contains(op.customCode())) {
        continue;
      }
      try {
        MediaPipeTransforms.check(op, model.main());
      } catch (IllegalArgumentException e) {
        throw CrossalignException.unsupported("custom op " + op.customCode() + " (op #" + op.index() + ") of model "
            + label + " cannot run on crossalign's MediaPipe kernel: " + e.getMessage());
      }
    }
  }

  /** Registers a kernel for each served code the model uses; null when it uses none. The caller closes the result. */
  static MediaPipeKernels register(MutableOpResolver resolver, List<OperatorCodes.Code> codes) {
    MediaPipeKernels k = null;
    boolean ok = false;
    try {
      for (OperatorCodes.Code c : codes) {
        if (!c.isCustom() || !MediaPipeTransforms.CODES.contains(c.customCode())) {
          continue;
        }
        k = k == null ? new MediaPipeKernels() : k;
        k.registrations.add(resolver, c.customCode(), c.version(), PREPARE.get(c.customCode()),
            INVOKE.get(c.customCode()));
      }
      ok = true;
      return k;
    } finally {
      if (!ok && k != null) {
        k.close();
      }
    }
  }

  /** Frees the registration structs and name strings; only after the interpreter and the resolver are gone. */
  @Override
  public void close() {
    registrations.close();
  }

  /** tensors[idx] of the context, or null when the index is out of range. */
  private static TfLiteTensor tensor(TfLiteContext context, TfLiteIntArray list, int i) {
    if (list == null || list.isNull() || i >= list.size()) {
      return null;
    }
    int idx = list.data(i);
    TfLiteTensor base = context.tensors();
    if (idx < 0 || idx >= context.tensors_size() || base == null || base.isNull()) {
      return null;
    }
    return base.getPointer(idx);
  }

  /** The tensor's float32 values, or null when it is not float32 or holds fewer than {@code min} of them. */
  private static float[] floats(TfLiteTensor t, long min) {
    if (t == null || t.type() != kTfLiteFloat32 || t.bytes() < min * 4 || t.data().raw().isNull()) {
      return null;
    }
    float[] v = new float[(int) (t.bytes() / 4)];
    new FloatPointer(t.data().raw()).capacity(v.length).get(v);
    return v;
  }

  private static boolean write(TfLiteTensor t, float[] v) {
    if (t == null || t.type() != kTfLiteFloat32 || t.bytes() != v.length * 4L || t.data().raw().isNull()) {
      return false;
    }
    new FloatPointer(t.data().raw()).capacity(v.length).put(v);
    return true;
  }

  /** MediaPipe's v2 Prepare: the output resized where MediaPipe resizes it. */
  private static final class Prepare extends TfLiteRegistration.Prepare_TfLiteContext_TfLiteNode {
    private final String code;

    Prepare(String code) {
      super(); // the preset's protected constructor allocates the native thunk
      this.code = code;
    }

    @Override
    public int call(TfLiteContext context, TfLiteNode node) {
      try {
        TfLiteTensor in = tensor(context, node.inputs(), 0);
        TfLiteTensor out = tensor(context, node.outputs(), 0);
        if (in == null || out == null || in.type() != kTfLiteFloat32 || out.type() != kTfLiteFloat32) {
          return kTfLiteError;
        }
        TfLiteIntArray size;
        if (code.equals(MediaPipeTransforms.LANDMARKS_TO_TRANSFORM_MATRIX)) {
          size = TfLiteIntArrayCreate(3);
          size.data(0, 1).data(1, 4).data(2, 4);
        } else if (code.equals(MediaPipeTransforms.TRANSFORM_LANDMARKS)) {
          size = TfLiteIntArrayCopy(in.dims());
        } else {
          return NativeTensors.dimsOf(in, code).length == 4 ? kTfLiteOk : kTfLiteError;
        }
        // ResizeTensor takes ownership of the array
        return size == null || size.isNull() ? kTfLiteError : context.ResizeTensor().call(context, out, size);
      } catch (Throwable e) {
        return kTfLiteError;
      }
    }
  }

  /** Runs the op's rule on the node's inputs; kTfLiteError when a tensor is not what {@link #check} admitted. */
  private static final class Invoke extends TfLiteRegistration.Invoke_TfLiteContext_TfLiteNode {
    private final String code;

    Invoke(String code) {
      super(); // the preset's protected constructor allocates the native thunk
      this.code = code;
    }

    @Override
    public int call(TfLiteContext context, TfLiteNode node) {
      try {
        TfLiteTensor in = tensor(context, node.inputs(), 0);
        TfLiteTensor out = tensor(context, node.outputs(), 0);
        float[] x = floats(in, 1);
        if (x == null || out == null) {
          return kTfLiteError;
        }
        int[] xs = NativeTensors.dimsOf(in, code);
        float[] result;
        if (code.equals(MediaPipeTransforms.LANDMARKS_TO_TRANSFORM_MATRIX)) {
          MediaPipeTransforms.MatrixOptions o = MediaPipeTransforms.matrixOptions(NativeTensors.customOptions(node), x.length / 3);
          result = MediaPipeTransforms.transformMatrix(o, x);
        } else {
          float[] m = floats(tensor(context, node.inputs(), 1), 8);
          if (m == null) {
            return kTfLiteError;
          }
          if (code.equals(MediaPipeTransforms.TRANSFORM_TENSOR_BILINEAR)) {
            int[] os = NativeTensors.dimsOf(out, code);
            if (xs.length != 4 || os.length != 4 || os[3] != xs[3]) {
              return kTfLiteError;
            }
            result = MediaPipeTransforms.bilinear(x, xs[1], xs[2], xs[3], m, os[1], os[2]);
          } else {
            int d = xs[xs.length - 1];
            if (xs.length != 3 || (d != 2 && d != 3)) {
              return kTfLiteError;
            }
            result = MediaPipeTransforms.transformLandmarks(x, xs[1], d, m);
          }
        }
        return write(out, result) ? kTfLiteOk : kTfLiteError;
      } catch (Throwable e) {
        return kTfLiteError;
      }
    }
  }
}
