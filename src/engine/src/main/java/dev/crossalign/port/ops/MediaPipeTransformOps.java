package dev.crossalign.port.ops;

import dev.crossalign.backend.torch.TorchTensors;
import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.OpView;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.codegen.Py;
import dev.crossalign.port.codegen.PyOp;
import dev.crossalign.port.onnx.OnnxOp;
import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.onnx.OnnxTypes;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.MediaPipeTransforms;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.bytedeco.pytorch.Tensor;

/**
 * MediaPipe's attention-mesh custom ops (face_landmark_with_attention), version 2; the rules and their sources are in
 * {@link MediaPipeTransforms} (core), which also checks each instance (version, shapes, options) for every backend:
 * <ul>
 *   <li>Landmarks2TransformMatrix: landmarks [1, n, 3] to the [1, 4, 4] matrix mapping a crop's output pixels to
 *       input coordinates (rotation from two landmarks, box of a rotated subset);
 *   <li>TransformTensorBilinear: a [1, h, w, c] tensor sampled bilinearly at the matrix's image of each output pixel
 *       (align-corners corrected; points outside the input and neighbours past its edge read 0);
 *   <li>TransformLandmarks: each (x, y[, z]) landmark through the matrix's first two rows, z copied.
 * </ul>
 * The PyTorch code spells the rules in tensor ops: the matrix's sixteen entries stacked from scalars, the bilinear
 * sample as four gathers from the input padded by one zero row and column. The eager lowering (the oracle path and
 * the float64 truth) runs {@link MediaPipeTransforms}' float32 rule itself on the host, so it is the reference's
 * arithmetic, not an independent port: the TorchScript path (the default) is the port compared with the reference.
 * The ONNX export writes the same formulas (ONNX has no atan2 either: Atan and Where).
 *
 * <p>Size: one family of three ops, each with its PyTorch code, eager lowering and ONNX export (one family, one file).
 */
public final class MediaPipeTransformOps implements OpLowering {
  @Override
  public Set<String> opNames() {
    return MediaPipeTransforms.CODES;
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    check(ctx, ctx::unsupported);
    String code = ctx.op().customCode();
    int[] xs = ctx.input(0).shape();
    int[] os = ctx.output(0).shape();
    MediaPipeTransforms.MatrixOptions opts = code.equals(MediaPipeTransforms.LANDMARKS_TO_TRANSFORM_MATRIX)
        ? MediaPipeTransforms.matrixOptions(ctx.op().customOptions(), xs[1]) : null;
    return inputs -> {
      Tensor x = inputs[0].tfTensor();
      float[] xv = floats(x);
      HostTensor r;
      if (opts != null) {
        r = HostTensor.ofFloats(new int[] {1, 4, 4}, Layout.ANY, MediaPipeTransforms.transformMatrix(opts, xv));
      } else {
        float[] m = floats(inputs[1].tfTensor());
        r = code.equals(MediaPipeTransforms.TRANSFORM_TENSOR_BILINEAR)
            ? HostTensor.ofFloats(os, Layout.NHWC, MediaPipeTransforms.bilinear(xv, xs[1], xs[2], xs[3], m, os[1],
                os[2]))
            : HostTensor.ofFloats(xs, Layout.ANY, MediaPipeTransforms.transformLandmarks(xv, xs[1], xs[2], m));
      }
      Tensor t = TorchTensors.toTorch(r).to(x.device(), x.scalar_type());
      return new PortValue[] {PortValue.tf(t)};
    };
  }

  @Override
  public Set<String> pythonOps() {
    return opNames();
  }

  @Override
  public void emitPython(PyOp p) {
    check(p, p::unsupported);
    switch (p.op().customCode()) {
      case MediaPipeTransforms.LANDMARKS_TO_TRANSFORM_MATRIX -> emitMatrix(p);
      case MediaPipeTransforms.TRANSFORM_TENSOR_BILINEAR -> emitBilinear(p);
      default -> emitLandmarks(p);
    }
  }

  @Override
  public Set<String> onnxOps() {
    return opNames();
  }

  @Override
  public void exportOnnx(OnnxOp s) {
    dev.crossalign.tflite.TensorInfo[] in = new dev.crossalign.tflite.TensorInfo[s.inputCount()];
    for (int i = 0; i < in.length; i++) {
      in[i] = s.has(i) ? s.in(i) : null;
    }
    try {
      MediaPipeTransforms.check(s.op(), in, s.outputCount() == 1 ? s.outInfo(0) : null);
    } catch (IllegalArgumentException e) {
      throw s.refuse(e.getMessage());
    }
    switch (s.op().customCode()) {
      case MediaPipeTransforms.LANDMARKS_TO_TRANSFORM_MATRIX -> exportMatrix(s);
      case MediaPipeTransforms.TRANSFORM_TENSOR_BILINEAR -> exportBilinear(s);
      default -> exportLandmarks(s);
    }
  }

  /** One ONNX node with two inputs, its output a fresh name. */
  private static String bin(OnnxOp s, String type, String a, String b) {
    String t = s.tmp(type.toLowerCase(java.util.Locale.ROOT));
    s.node(type, List.of(a, b), List.of(t));
    return t;
  }

  /** The first eight entries of the matrix input as [1]-shaped values. */
  private static String[] rows(OnnxOp s) {
    String m = bin(s, "Reshape", s.tf(1), s.i64(-1));
    String[] r = new String[8];
    for (int k = 0; k < 8; k++) {
      r[k] = bin(s, "Gather", m, s.i64(k));
    }
    return r;
  }

  /** row . (x, y, 0, 1) in the C++'s order: ((r0 x + r1 y) + r2 0) + r3. */
  private static String dot(OnnxOp s, String[] r, int row, String x, String y) {
    int o = row * 4;
    String xy = bin(s, "Add", bin(s, "Mul", r[o], x), bin(s, "Mul", r[o + 1], y));
    return bin(s, "Add", bin(s, "Add", xy, bin(s, "Mul", r[o + 2], s.f32Scalar(0f))), r[o + 3]);
  }

  /** One ONNX node with one input. */
  private static String un(OnnxOp s, String type, String a) {
    String t = s.tmp(type.toLowerCase(java.util.Locale.ROOT));
    s.node(type, List.of(a), List.of(t));
    return t;
  }

  /** rot = target - atan2(dy, dx) of the left/right landmarks, atan2 as Atan and a quadrant Where. */
  private static String exportRotation(OnnxOp s, MediaPipeTransforms.MatrixOptions o) {
    String flat = bin(s, "Reshape", s.tf(0), s.i64(-1));
    String lx = bin(s, "Gather", flat, s.i64(3L * o.leftRotationIdx()));
    String ly = bin(s, "Gather", flat, s.i64(3L * o.leftRotationIdx() + 1));
    String rx = bin(s, "Gather", flat, s.i64(3L * o.rightRotationIdx()));
    String ry = bin(s, "Gather", flat, s.i64(3L * o.rightRotationIdx() + 1));
    String dy = bin(s, "Sub", ry, ly);
    String dx = bin(s, "Sub", rx, lx);
    String zero = s.f32Scalar(0f);
    String pi = s.f32Scalar((float) Math.PI);
    String at = un(s, "Atan", bin(s, "Div", dy, dx));
    String quadrant = s.tmp("quadrant");
    s.node("Where", List.of(bin(s, "GreaterOrEqual", dy, zero), bin(s, "Add", at, pi), bin(s, "Sub", at, pi)),
        List.of(quadrant));
    String fixed = s.tmp("atan2");
    s.node("Where", List.of(bin(s, "Less", dx, zero), quadrant, at), List.of(fixed));
    return bin(s, "Sub", s.f32Scalar(o.targetRotationRadians()), fixed);
  }

  /** As the PyTorch code: rotation (atan and a quadrant fix), the rotated subset's box, the closed-form matrix. */
  private static void exportMatrix(OnnxOp s) {
    MediaPipeTransforms.MatrixOptions o = MediaPipeTransforms.matrixOptions(s.op().customOptions(), s.inShape(0)[1]);
    String rot = exportRotation(s, o);
    String c = un(s, "Cos", rot);
    String sn = un(s, "Sin", rot);
    String ci = un(s, "Cos", un(s, "Neg", rot));
    String si = un(s, "Sin", un(s, "Neg", rot));
    long[] subset = java.util.Arrays.stream(o.subset()).asLongStream().toArray();
    String idx = s.init(s.outInfo(0).name() + "/subset", HostTensor.ofLongs(new int[] {subset.length}, Layout.ANY,
        subset));
    String q = bin(s, "Gather", bin(s, "Reshape", s.tf(0), s.i64(-1, 3)), idx);
    String qx = s.tmp("qx");
    s.node("Slice", List.of(q, s.i64(0), s.i64(1), s.i64(1)), List.of(qx));
    String qy = s.tmp("qy");
    s.node("Slice", List.of(q, s.i64(1), s.i64(2), s.i64(1)), List.of(qy));
    String px = bin(s, "Sub", bin(s, "Mul", c, qx), bin(s, "Mul", sn, qy));
    String py = bin(s, "Add", bin(s, "Mul", sn, qx), bin(s, "Mul", c, qy));
    String[] ext = new String[4]; // max x, min x, max y, min y as [1, 1]
    String[] srcs = {px, px, py, py};
    for (int k = 0; k < 4; k++) {
      ext[k] = s.tmp(k % 2 == 0 ? "max" : "min");
      s.node(k % 2 == 0 ? "ReduceMax" : "ReduceMin", List.of(srcs[k]), List.of(ext[k]));
    }
    String two = s.f32Scalar(2f);
    String cx = bin(s, "Div", bin(s, "Add", ext[1], ext[0]), two);
    String cy = bin(s, "Div", bin(s, "Add", ext[3], ext[2]), two);
    String sx = bin(s, "Div", bin(s, "Mul", s.f32Scalar(o.scaleX()), bin(s, "Sub", ext[0], ext[1])),
        s.f32Scalar(o.outputWidth()));
    String sy = bin(s, "Div", bin(s, "Mul", s.f32Scalar(o.scaleY()), bin(s, "Sub", ext[2], ext[3])),
        s.f32Scalar(o.outputHeight()));
    String m00 = bin(s, "Mul", ci, sx);
    String m01 = bin(s, "Mul", un(s, "Neg", si), sy);
    String m10 = bin(s, "Mul", si, sx);
    String m11 = bin(s, "Mul", ci, sy);
    String shx = s.f32Scalar((float) (-o.outputWidth() / 2.0));
    String shy = s.f32Scalar((float) (-o.outputHeight() / 2.0));
    String m03 = bin(s, "Add", bin(s, "Add", bin(s, "Mul", m00, shx), bin(s, "Mul", m01, shy)),
        bin(s, "Sub", bin(s, "Mul", ci, cx), bin(s, "Mul", si, cy)));
    String m13 = bin(s, "Add", bin(s, "Add", bin(s, "Mul", m10, shx), bin(s, "Mul", m11, shy)),
        bin(s, "Add", bin(s, "Mul", si, cx), bin(s, "Mul", ci, cy)));
    String z = s.init(s.outInfo(0).name() + "/zero", HostTensor.ofFloats(new int[] {1}, Layout.ANY, new float[] {0}));
    String one = s.init(s.outInfo(0).name() + "/one", HostTensor.ofFloats(new int[] {1}, Layout.ANY, new float[] {1}));
    List<String> parts = new ArrayList<>();
    for (String v : new String[] {m00, m01, null, m03, m10, m11, null, m13}) {
      parts.add(v == null ? z : bin(s, "Reshape", v, s.i64(1)));
    }
    parts.addAll(List.of(z, z, one, z, z, z, z, one));
    String all = s.tmp("matrix");
    s.node("Concat", parts, List.of(all), OnnxGraphBuilder.attrs().putInt("axis", 0));
    s.node("Reshape", List.of(all, s.i64(1, 4, 4)), List.of(s.outTf(0)));
  }

  private static void exportLandmarks(OnnxOp s) {
    int dims = s.inShape(0)[2];
    String[] r = rows(s);
    String[] col = new String[dims];
    for (int c = 0; c < dims; c++) {
      col[c] = s.tmp("col");
      s.node("Slice", List.of(s.tf(0), s.i64(c), s.i64(c + 1), s.i64(2)), List.of(col[c]));
    }
    List<String> parts = new ArrayList<>(List.of(dot(s, r, 0, col[0], col[1]), dot(s, r, 1, col[0], col[1])));
    if (dims == 3) {
      parts.add(col[2]);
    }
    s.node("Concat", parts, List.of(s.outTf(0)), OnnxGraphBuilder.attrs().putInt("axis", 2));
  }

  /** An initializer 0, 1, ..., n - 1 (float32) of shape [rows, cols], n = rows * cols. */
  private static String ramp(OnnxOp s, String tag, int rows, int cols) {
    float[] v = new float[rows * cols];
    for (int i = 0; i < v.length; i++) {
      v[i] = i;
    }
    return s.init(s.outInfo(0).name() + "/" + tag, HostTensor.ofFloats(new int[] {rows, cols}, Layout.ANY, v));
  }

  private static void exportBilinear(OnnxOp s) {
    int[] xs = s.inShape(0);
    int[] os = s.outShape(0);
    int h = xs[1];
    int w = xs[2];
    int c = xs[3];
    String[] r = rows(s);
    String gx = ramp(s, "gx", 1, os[2]);
    String gy = ramp(s, "gy", os[1], 1);
    String half = s.f32Scalar(0.5f);
    String zero = s.f32Scalar(0f);
    String[] t = new String[2];
    for (int row = 0; row < 2; row++) {
      // the align-corners correction of the row's translation, then the row applied to (x, y, 0, 1)
      String[] rr = r.clone();
      int o = row * 4;
      rr[o + 3] = bin(s, "Add", r[o + 3], bin(s, "Sub", bin(s, "Add", bin(s, "Mul", r[o], half),
          bin(s, "Mul", r[o + 1], half)), half));
      t[row] = dot(s, rr, row, gx, gy);
    }
    String inside = bin(s, "And",
        bin(s, "And", bin(s, "GreaterOrEqual", t[0], zero), bin(s, "LessOrEqual", t[0], s.f32Scalar(w - 1))),
        bin(s, "And", bin(s, "GreaterOrEqual", t[1], zero), bin(s, "LessOrEqual", t[1], s.f32Scalar(h - 1))));
    String[] f = new String[2];
    String[] idx = new String[2];
    for (int k = 0; k < 2; k++) {
      String safe = s.tmp("safe");
      s.node("Where", List.of(inside, t[k], zero), List.of(safe));
      f[k] = s.tmp("floor");
      s.node("Floor", List.of(safe), List.of(f[k]));
      idx[k] = s.tmp("index");
      s.node("Cast", List.of(f[k]), List.of(idx[k]), OnnxGraphBuilder.attrs().putInt("to",
          OnnxTypes.elemType(DType.INT64)));
    }
    String i11 = bin(s, "Reshape", bin(s, "Add", bin(s, "Mul", idx[1], s.i64(w + 1)), idx[0]), s.i64(-1));
    String padded = s.tmp("padded");
    s.node("Pad", List.of(s.tf(0), s.i64(0, 0, 0, 0, 0, 1, 1, 0)), List.of(padded));
    String flat = bin(s, "Reshape", padded, s.i64((long) (h + 1) * (w + 1), c));
    String[] q = new String[4];
    long[] offsets = {0, 1, w + 1, w + 2};
    for (int k = 0; k < 4; k++) {
      String at = offsets[k] == 0 ? i11 : bin(s, "Add", i11, s.i64(offsets[k]));
      q[k] = bin(s, "Reshape", bin(s, "Gather", flat, at), s.i64(1, os[1], os[2], c));
    }
    String shape1 = s.i64(1, os[1], os[2], 1);
    String rx = bin(s, "Reshape", bin(s, "Sub", t[0], f[0]), shape1);
    String ry = bin(s, "Reshape", bin(s, "Sub", t[1], f[1]), shape1);
    String one = s.f32Scalar(1f);
    String up = bin(s, "Add", bin(s, "Mul", bin(s, "Sub", one, rx), q[0]), bin(s, "Mul", rx, q[1]));
    String down = bin(s, "Add", bin(s, "Mul", bin(s, "Sub", one, rx), q[2]), bin(s, "Mul", rx, q[3]));
    String value = bin(s, "Add", bin(s, "Mul", ry, down), bin(s, "Mul", bin(s, "Sub", one, ry), up));
    s.node("Where", List.of(bin(s, "Reshape", inside, shape1), value, zero), List.of(s.outTf(0)));
  }

  private static void check(OpView v, Function<String, ? extends RuntimeException> refuse) {
    try {
      int n = v.inputCount();
      dev.crossalign.tflite.TensorInfo[] in = new dev.crossalign.tflite.TensorInfo[n];
      for (int i = 0; i < n; i++) {
        in[i] = v.hasInput(i) ? v.input(i) : null;
      }
      MediaPipeTransforms.check(v.op(), in, v.op().outputs().length == 1 ? v.output(0) : null);
    } catch (IllegalArgumentException e) {
      throw refuse.apply(e.getMessage());
    }
  }

  private static float[] floats(Tensor t) {
    return TorchTensors.toHost(t, Layout.ANY).toFloatArray();
  }

  /** Rotation, rotated subset box, then the closed form of shift(centre) * rotate(-r) * scale * shift(-output / 2). */
  private static void emitMatrix(PyOp p) {
    int[] xs = p.inShape(0);
    MediaPipeTransforms.MatrixOptions o = MediaPipeTransforms.matrixOptions(p.op().customOptions(), xs[1]);
    long[] subset = new long[o.subset().length];
    for (int i = 0; i < subset.length; i++) {
      subset[i] = o.subset()[i];
    }
    String idx = p.table("subset", HostTensor.ofLongs(new int[] {subset.length}, Layout.ANY, subset));
    String l = p.temp("lm");
    String rot = p.temp("rot");
    String c = p.temp("cos");
    String s = p.temp("sin");
    String q = p.temp("subset");
    String px = p.temp("px");
    String py = p.temp("py");
    p.line(l + " = " + p.tf(0) + ".reshape(-1, 3)");
    emitRotation(p, o, l, rot);
    p.line(c + " = torch.cos(" + rot + ")");
    p.line(s + " = torch.sin(" + rot + ")");
    p.line(q + " = " + l + ".index_select(0, " + idx + ")");
    p.line(px + " = " + c + " * " + q + "[:, 0] - " + s + " * " + q + "[:, 1]");
    p.line(py + " = " + s + " * " + q + "[:, 0] + " + c + " * " + q + "[:, 1]");
    String ci = p.temp("cos_inv");
    String si = p.temp("sin_inv");
    String cx = p.temp("cx");
    String cy = p.temp("cy");
    p.line(ci + " = torch.cos(-" + rot + ")");
    p.line(si + " = torch.sin(-" + rot + ")");
    p.line(cx + " = (" + px + ".min() + " + px + ".max()) / 2.0");
    p.line(cy + " = (" + py + ".min() + " + py + ".max()) / 2.0");
    String sx = p.temp("sx");
    String sy = p.temp("sy");
    p.line(sx + " = " + Py.f32(o.scaleX()) + " * (" + px + ".max() - " + px + ".min()) / " + o.outputWidth() + ".0");
    p.line(sy + " = " + Py.f32(o.scaleY()) + " * (" + py + ".max() - " + py + ".min()) / " + o.outputHeight()
        + ".0");
    String shiftX = Py.f32((float) (-o.outputWidth() / 2.0));
    String shiftY = Py.f32((float) (-o.outputHeight() / 2.0));
    String m00 = p.temp("m00");
    String m01 = p.temp("m01");
    String m10 = p.temp("m10");
    String m11 = p.temp("m11");
    String z = p.temp("zero");
    String one = p.temp("one");
    p.line(m00 + " = " + ci + " * " + sx);
    p.line(m01 + " = -" + si + " * " + sy);
    p.line(m10 + " = " + si + " * " + sx);
    p.line(m11 + " = " + ci + " * " + sy);
    p.line(z + " = torch.zeros_like(" + m00 + ")");
    p.line(one + " = torch.ones_like(" + m00 + ")");
    // the centre (cx, cy) rotated back by -r is the crop's centre; the shift's translation follows the product
    String m03 = m00 + " * " + shiftX + " + " + m01 + " * " + shiftY + " + (" + ci + " * " + cx + " - " + si + " * "
        + cy + ")";
    String m13 = m10 + " * " + shiftX + " + " + m11 + " * " + shiftY + " + (" + si + " * " + cx + " + " + ci + " * "
        + cy + ")";
    p.line(p.out(0) + " = torch.stack([" + m00 + ", " + m01 + ", " + z + ", " + m03 + ", " + m10 + ", " + m11 + ", "
        + z + ", " + m13 + ", " + z + ", " + z + ", " + one + ", " + z + ", " + z + ", " + z + ", " + z + ", " + one
        + "]).reshape(1, 4, 4)");
  }

  /**
   * rot = target - atan2(dy, dx) of the left/right landmarks, atan2 spelled as atan and a quadrant fix:
   * torch.onnx.export (torch 1.13, opset 13) has no aten::atan2.
   */
  private static void emitRotation(PyOp p, MediaPipeTransforms.MatrixOptions o, String l, String rot) {
    int li = o.leftRotationIdx();
    int ri = o.rightRotationIdx();
    String dy = p.temp("dy");
    String dx = p.temp("dx");
    String at = p.temp("atan");
    p.line(dy + " = " + l + "[" + ri + ", 1] - " + l + "[" + li + ", 1]");
    p.line(dx + " = " + l + "[" + ri + ", 0] - " + l + "[" + li + ", 0]");
    p.line(at + " = torch.atan(" + dy + " / " + dx + ")");
    p.line(rot + " = " + Py.f32(o.targetRotationRadians()) + " - torch.where(" + dx + " < 0.0, torch.where(" + dy
        + " >= 0.0, " + at + " + " + Math.PI + ", " + at + " - " + Math.PI + "), " + at + ")");
  }

  /** Four gathers from the input padded by a zero row and column; points outside the input give 0. */
  private static void emitBilinear(PyOp p) {
    int[] xs = p.inShape(0);
    int[] os = p.outShape(0);
    int h = xs[1];
    int w = xs[2];
    int c = xs[3];
    int oh = os[1];
    int ow = os[2];
    String x = p.value(0);
    String m = p.temp("m");
    p.line(m + " = " + p.tf(1) + ".reshape(-1)");
    String gx = p.temp("gx");
    String gy = p.temp("gy");
    p.line(gx + " = torch.arange(" + ow + ", dtype=" + x + ".dtype, device=" + x + ".device).reshape(1, " + ow + ")");
    p.line(gy + " = torch.arange(" + oh + ", dtype=" + x + ".dtype, device=" + x + ".device).reshape(" + oh + ", 1)");
    String tx = p.temp("tx");
    String ty = p.temp("ty");
    // align-corners correction of each row's translation, then the row applied to (x, y, 0, 1)
    p.line(tx + " = " + m + "[0] * " + gx + " + " + m + "[1] * " + gy + " + " + m + "[2] * 0.0 + (" + m + "[3] + ("
        + m + "[0] * 0.5 + " + m + "[1] * 0.5 - 0.5))");
    p.line(ty + " = " + m + "[4] * " + gx + " + " + m + "[5] * " + gy + " + " + m + "[6] * 0.0 + (" + m + "[7] + ("
        + m + "[4] * 0.5 + " + m + "[5] * 0.5 - 0.5))");
    String in = p.temp("inside");
    p.line(in + " = (" + tx + " >= 0.0) & (" + tx + " <= " + (w - 1) + ".0) & (" + ty + " >= 0.0) & (" + ty + " <= "
        + (h - 1) + ".0)");
    String fx = p.temp("fx");
    String fy = p.temp("fy");
    p.line(fx + " = torch.floor(torch.where(" + in + ", " + tx + ", torch.zeros_like(" + tx + ")))");
    p.line(fy + " = torch.floor(torch.where(" + in + ", " + ty + ", torch.zeros_like(" + ty + ")))");
    String i11 = p.temp("i11");
    p.line(i11 + " = (" + fy + ".long() * " + (w + 1) + " + " + fx + ".long()).reshape(-1)");
    String xp = p.temp("xp");
    p.line(xp + " = F.pad(" + x + ", [0, 1, 0, 1]).reshape(1, " + c + ", " + ((long) (h + 1) * (w + 1)) + ")");
    String[] q = new String[4];
    long[] offsets = {0, 1, w + 1, w + 2};
    for (int k = 0; k < 4; k++) {
      q[k] = p.temp("q");
      String at = offsets[k] == 0 ? i11 : i11 + " + " + offsets[k];
      p.line(q[k] + " = " + xp + ".index_select(2, " + at + ").reshape(1, " + c + ", " + oh + ", " + ow + ")");
    }
    String rx = p.temp("rx");
    String ry = p.temp("ry");
    p.line(rx + " = " + tx + " - " + fx);
    p.line(ry + " = " + ty + " - " + fy);
    String up = p.temp("up");
    String down = p.temp("down");
    p.line(up + " = (1.0 - " + rx + ") * " + q[0] + " + " + rx + " * " + q[1]);
    p.line(down + " = (1.0 - " + rx + ") * " + q[2] + " + " + rx + " * " + q[3]);
    p.line(p.out(0) + " = torch.where(" + in + ", " + ry + " * " + down + " + (1.0 - " + ry + ") * " + up
        + ", torch.zeros_like(" + up + "))");
  }

  /** (x, y) through the matrix's first two rows; z (3-value landmarks) copied. */
  private static void emitLandmarks(PyOp p) {
    int dims = p.inShape(0)[2];
    String x = p.tf(0);
    String m = p.temp("m");
    p.line(m + " = " + p.tf(1) + ".reshape(-1)");
    String nx = p.temp("x");
    String ny = p.temp("y");
    p.line(nx + " = " + m + "[0] * " + x + "[:, :, 0] + " + m + "[1] * " + x + "[:, :, 1] + " + m + "[2] * 0.0 + " + m
        + "[3]");
    p.line(ny + " = " + m + "[4] * " + x + "[:, :, 0] + " + m + "[5] * " + x + "[:, :, 1] + " + m + "[6] * 0.0 + " + m
        + "[7]");
    String z = dims == 3 ? ", " + x + "[:, :, 2]" : "";
    p.line(p.out(0) + " = torch.stack([" + nx + ", " + ny + z + "], dim=2)");
  }
}
