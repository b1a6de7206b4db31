package dev.crossalign.tflite;

import java.util.Set;

/**
 * MediaPipe's three attention-mesh custom ops (face_landmark_with_attention), version 2, as pure Java transcribed from
 * the rules of MediaPipe's TFLite kernels, mediapipe/util/tflite/operations/: landmarks_to_transform_matrix.cc
 * ({@code v2::LandmarksToTransformMatrixV2}, {@code EstimateRotationRadians}, {@code EstimateCenterAndSize}),
 * transform_tensor_bilinear.cc ({@code v2::TransformTensorBilinearV2}) and transform_landmarks.cc ({@code
 * v2::TransformLandmarksV2}); their options are FlexBuffers maps read as TFLite's GPU delegate parses them
 * (tensorflow/lite/delegates/gpu/common/mediapipe/*: {@code Parse...V2Attributes}). Every float operation is done in
 * the C++'s order and precision (float, with the double constants 0.5/1.0 promoting where the C++ promotes), so the
 * reference kernels (backend/tflite) reproduce MediaPipe's values; the port (port/ops) writes the same rules in
 * PyTorch. Version 1 of each op (a different rule and option set) is refused, as are option values MediaPipe's Eval
 * rejects and indices its kernel would read out of bounds.
 */
public final class MediaPipeTransforms {
  public static final String LANDMARKS_TO_TRANSFORM_MATRIX = "Landmarks2TransformMatrix";
  public static final String TRANSFORM_TENSOR_BILINEAR = "TransformTensorBilinear";
  public static final String TRANSFORM_LANDMARKS = "TransformLandmarks";
  /** The custom codes this class implements (version 2 each). */
  public static final Set<String> CODES =
      Set.of(LANDMARKS_TO_TRANSFORM_MATRIX, TRANSFORM_TENSOR_BILINEAR, TRANSFORM_LANDMARKS);

  private MediaPipeTransforms() {}

  /**
   * Landmarks2TransformMatrix v2 options. {@code subset} holds the (a, b) landmark index pairs flattened, an odd
   * trailing index already paired with itself as the parser does.
   */
  public record MatrixOptions(
      int[] subset,
      int leftRotationIdx,
      int rightRotationIdx,
      float targetRotationRadians,
      int outputHeight,
      int outputWidth,
      float scaleX,
      float scaleY) {}

  /** Refuses any version but 2: version 1 of these ops is another rule (and TransformTensor another name). */
  public static void checkVersion(String code, int version) {
    if (version != 2) {
      throw new IllegalArgumentException(code + " version " + version + " is not implemented (version 2 only)");
    }
  }

  /**
   * Whether this instance of one of {@link #CODES} can run: version 2, MediaPipe's Prepare checks (input and output
   * counts, float32, input rank) and what its kernel assumes without checking (batch 1, a matrix of at least 8
   * values, the sampled tensor's channels equal to the output's, landmarks of 2 or 3 values), and for
   * Landmarks2TransformMatrix its options ({@link #matrixOptions}). Throws IllegalArgumentException with the reason.
   */
  public static void check(Operator op, Subgraph g) {
    TensorInfo[] in = new TensorInfo[op.inputs().length];
    for (int i = 0; i < in.length; i++) {
      in[i] = op.inputs()[i] >= 0 ? g.tensor(op.inputs()[i]) : null;
    }
    check(op, in, op.outputs().length == 1 && op.outputs()[0] >= 0 ? g.tensor(op.outputs()[0]) : null);
  }

  /** As {@link #check(Operator, Subgraph)}, given the op's input tensors (null where absent) and its one output. */
  public static void check(Operator op, TensorInfo[] inputs, TensorInfo output) {
    checkVersion(op.customCode(), op.version());
    int ins = op.customCode().equals(LANDMARKS_TO_TRANSFORM_MATRIX) ? 1 : 2;
    require(inputs.length == ins && op.outputs().length == 1 && output != null,
        "expects " + ins + " input(s) and 1 output, has " + inputs.length + " and " + op.outputs().length);
    for (TensorInfo t : inputs) {
      require(t != null && t.type() == TensorType.FLOAT32, "inputs must be float32 tensors");
    }
    require(output.type() == TensorType.FLOAT32, "output must be float32");
    int[] x = inputs[0].shape();
    int[] out = output.shape();
    switch (op.customCode()) {
      case LANDMARKS_TO_TRANSFORM_MATRIX -> {
        require(x.length == 3 && x[0] == 1 && x[2] == 3, "landmarks of shape " + java.util.Arrays.toString(x)
            + ", expected [1, n, 3]");
        matrixOptions(op.customOptions(), x[1]);
      }
      case TRANSFORM_TENSOR_BILINEAR -> {
        require(x.length == 4 && x[0] == 1, "input of shape " + java.util.Arrays.toString(x) + ", expected [1, h, w, c]");
        require(out.length == 4 && out[0] == 1 && out[3] == x[3] && out[1] > 0 && out[2] > 0,
            "output of shape " + java.util.Arrays.toString(out) + ", expected [1, h, w, " + x[3] + "]");
        requireMatrix(inputs[1].shape());
      }
      default -> {
        require(x.length == 3 && x[0] == 1 && (x[2] == 2 || x[2] == 3), "landmarks of shape "
            + java.util.Arrays.toString(x) + ", expected [1, n, 2] or [1, n, 3]");
        requireMatrix(inputs[1].shape());
      }
    }
  }

  private static void requireMatrix(int[] shape) {
    require(dev.crossalign.tensor.HostTensor.numel(shape) >= 8, "transform matrix of shape " + java.util.Arrays.toString(shape)
        + ", expected at least 8 values (two rows of 4)");
  }

  /**
   * Parses Landmarks2TransformMatrix v2's options and applies its Eval checks (left/right index >= 0, output size
   * > 0, scales > 0, subset indices >= 0), plus what its kernel would read out of bounds among {@code
   * landmarkCount} landmarks (an empty subset, an index past the last landmark).
   */
  public static MatrixOptions matrixOptions(byte[] raw, int landmarkCount) {
    FlexMap m = FlexMap.parse(raw);
    int[] idx = m.int32s("subset_idxs");
    int[] subset = new int[idx.length + (idx.length % 2)];
    System.arraycopy(idx, 0, subset, 0, idx.length);
    if (idx.length % 2 != 0) {
      subset[idx.length] = idx[idx.length - 1];
    }
    MatrixOptions o = new MatrixOptions(subset, m.int32("left_rotation_idx"), m.int32("right_rotation_idx"),
        m.float32("target_rotation_radians"), m.int32("output_height"), m.int32("output_width"),
        m.float32("scale_x"), m.float32("scale_y"));
    require(o.leftRotationIdx() >= 0 && o.leftRotationIdx() < landmarkCount,
        "left_rotation_idx " + o.leftRotationIdx() + " outside the " + landmarkCount + " landmarks");
    require(o.rightRotationIdx() >= 0 && o.rightRotationIdx() < landmarkCount,
        "right_rotation_idx " + o.rightRotationIdx() + " outside the " + landmarkCount + " landmarks");
    require(o.outputHeight() > 0, "output_height " + o.outputHeight() + ", expected > 0");
    require(o.outputWidth() > 0, "output_width " + o.outputWidth() + ", expected > 0");
    require(o.scaleX() > 0, "scale_x " + o.scaleX() + ", expected > 0");
    require(o.scaleY() > 0, "scale_y " + o.scaleY() + ", expected > 0");
    require(subset.length > 0, "subset_idxs is empty");
    for (int i = 0; i < subset.length; i++) {
      require(subset[i] >= 0 && subset[i] < landmarkCount,
          "subset_idxs[" + i + "] = " + subset[i] + " outside the " + landmarkCount + " landmarks");
    }
    return o;
  }

  /**
   * Landmarks2TransformMatrix v2 on landmarks (x, y, z) flattened: the row-major 4x4 matrix that maps an output pixel
   * (x, y, 0, 1) of the {@code outputWidth x outputHeight} crop to input coordinates. Rotation r = target - atan2(dy,
   * dx) of the left/right landmarks; the subset rotated by r gives the crop's box (size, centre rotated back);
   * matrix = shift(centre) * rotate(-r) * scale(scale * size / output) * shift(-output / 2).
   */
  public static float[] transformMatrix(MatrixOptions o, float[] landmarks) {
    int l = o.leftRotationIdx() * 3;
    int rr = o.rightRotationIdx() * 3;
    float rotation = (float) Math.atan2(landmarks[rr + 1] - landmarks[l + 1], landmarks[rr] - landmarks[l]);
    float r = o.targetRotationRadians() - rotation;
    float cos = (float) Math.cos(r);
    float sin = (float) Math.sin(r);
    float[] rot = {cos, -sin, 0f, sin, cos, 0f, 0f, 0f, 1f};
    float maxX = 0;
    float maxY = 0;
    float minX = 0;
    float minY = 0;
    for (int i = 0; i < o.subset().length; i++) {
      int p = o.subset()[i] * 3;
      float[] v = mul3(rot, landmarks[p], landmarks[p + 1], 1f);
      if (i == 0) {
        maxX = v[0];
        minX = v[0];
        maxY = v[1];
        minY = v[1];
        continue;
      }
      maxX = maxX < v[0] ? v[0] : maxX;
      maxY = maxY < v[1] ? v[1] : maxY;
      minX = minX > v[0] ? v[0] : minX;
      minY = minY > v[1] ? v[1] : minY;
    }
    float cropW = maxX - minX;
    float cropH = maxY - minY;
    float cx = (minX + maxX) / 2;
    float cy = (minY + maxY) / 2;
    float cosInv = (float) Math.cos(-r);
    float sinInv = (float) Math.sin(-r);
    float[] crop = mul3(new float[] {cosInv, -sinInv, 0f, sinInv, cosInv, 0f, 0f, 0f, 1f}, cx, cy, 1f);
    float[] t = identity4();
    t = mul4(t, affine4(1f, 0f, crop[0], 0f, 1f, crop[1]));
    float nr = -r;
    float c2 = (float) Math.cos(nr);
    float s2 = (float) Math.sin(nr);
    t = mul4(t, affine4(c2, -s2, 0f, s2, c2, 0f));
    float sx = o.scaleX() * cropW / o.outputWidth();
    float sy = o.scaleY() * cropH / o.outputHeight();
    t = mul4(t, affine4(sx, 0f, 0f, 0f, sy, 0f));
    float shiftX = (float) (-1.0 * (o.outputWidth() / 2.0));
    float shiftY = (float) (-1.0 * (o.outputHeight() / 2.0));
    return mul4(t, affine4(1f, 0f, shiftX, 0f, 1f, shiftY));
  }

  /**
   * TransformTensorBilinear v2 on batch 0 of an NHWC input: output pixel (x, y) samples the input bilinearly at the
   * matrix's first two rows applied to (x, y, 0, 1), after the align-corners correction m[3] += m[0] / 2 + m[1] / 2
   * - 1/2 (each row); a sample point outside [0, w - 1] x [0, h - 1] gives 0, and a neighbour past the edge reads 0.
   */
  public static float[] bilinear(float[] in, int h, int w, int c, float[] m, int outH, int outW) {
    float x0 = m[0];
    float x1 = m[1];
    float x2 = m[2];
    float x3 = m[3];
    float y0 = m[4];
    float y1 = m[5];
    float y2 = m[6];
    float y3 = m[7];
    x3 += x0 * 0.5 + x1 * 0.5 - 0.5;
    y3 += y0 * 0.5 + y1 * 0.5 - 0.5;
    float[] out = new float[outH * outW * c];
    for (int oy = 0; oy < outH; oy++) {
      for (int ox = 0; ox < outW; ox++) {
        float tx = x0 * ox + x1 * oy + x2 * 0f + x3 * 1f;
        float ty = y0 * ox + y1 * oy + y2 * 0f + y3 * 1f;
        if (tx < 0f || tx > w - 1 || ty < 0f || ty > h - 1) {
          continue; // zeros
        }
        float fx = (float) Math.floor(tx);
        float fy = (float) Math.floor(ty);
        int ix = (int) fx;
        int iy = (int) fy;
        float right = tx - fx;
        float lower = ty - fy;
        int base = (oy * outW + ox) * c;
        for (int z = 0; z < c; z++) {
          float q11 = read(in, h, w, c, iy, ix, z);
          float q21 = read(in, h, w, c, iy, ix + 1, z);
          float q12 = read(in, h, w, c, iy + 1, ix, z);
          float q22 = read(in, h, w, c, iy + 1, ix + 1, z);
          float up = (float) ((1.0 - right) * q11 + right * q21);
          float down = (float) ((1.0 - right) * q12 + right * q22);
          out[base + z] = (float) (lower * down + (1.0 - lower) * up);
        }
      }
    }
    return out;
  }

  /**
   * TransformLandmarks v2: each landmark (x, y[, z]) of {@code dims} values becomes (row0 . (x, y, 0, 1), row1 . (x,
   * y, 0, 1)[, z]) with the matrix's first two rows.
   */
  public static float[] transformLandmarks(float[] in, int count, int dims, float[] m) {
    float[] out = new float[count * dims];
    for (int i = 0; i < count; i++) {
      int o = i * dims;
      float x = in[o];
      float y = in[o + 1];
      out[o] = m[0] * x + m[1] * y + m[2] * 0f + m[3] * 1f;
      out[o + 1] = m[4] * x + m[5] * y + m[6] * 0f + m[7] * 1f;
      if (dims == 3) {
        out[o + 2] = in[o + 2];
      }
    }
    return out;
  }

  private static float read(float[] in, int h, int w, int c, int y, int x, int z) {
    return y < 0 || x < 0 || y >= h || x >= w ? 0f : in[(y * w + x) * c + z];
  }

  /** Mat3 * float3 as MediaPipe's Mat3::operator*: each row summed from k = 0 in float. */
  private static float[] mul3(float[] a, float v0, float v1, float v2) {
    float[] v = {v0, v1, v2};
    float[] out = new float[3];
    for (int r = 0; r < 3; r++) {
      float sum = 0;
      for (int k = 0; k < 3; k++) {
        sum += a[r * 3 + k] * v[k];
      }
      out[r] = sum;
    }
    return out;
  }

  /** Mat4::operator*=: this * other, each element summed from k = 0 in float. */
  private static float[] mul4(float[] a, float[] b) {
    float[] out = new float[16];
    for (int r = 0; r < 4; r++) {
      for (int c = 0; c < 4; c++) {
        float sum = 0;
        for (int k = 0; k < 4; k++) {
          sum += a[r * 4 + k] * b[k * 4 + c];
        }
        out[r * 4 + c] = sum;
      }
    }
    return out;
  }

  private static float[] identity4() {
    return affine4(1f, 0f, 0f, 0f, 1f, 0f);
  }

  /** The 4x4 matrix with rows (a, b, 0, c), (d, e, 0, f), (0, 0, 1, 0), (0, 0, 0, 1). */
  private static float[] affine4(float a, float b, float c, float d, float e, float f) {
    return new float[] {a, b, 0f, c, d, e, 0f, f, 0f, 0f, 1f, 0f, 0f, 0f, 0f, 1f};
  }

  private static void require(boolean ok, String why) {
    if (!ok) {
      throw new IllegalArgumentException(why);
    }
  }
}
