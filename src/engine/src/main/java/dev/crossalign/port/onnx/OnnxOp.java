package dev.crossalign.port.onnx;

import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.onnx.OnnxGraphBuilder.Attrs;
import dev.crossalign.onnx.OnnxTypes;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.Activation;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.Operator;
import dev.crossalign.tflite.TensorInfo;
import java.util.ArrayList;
import java.util.List;

/**
 * One TFLite operator being written as ONNX nodes: what an op family's {@code exportOnnx} sees (the ONNX counterpart
 * of {@code LoweringContext} and {@code PyOp}). Inputs come as ONNX value names in the export's layout (rank 4 NCHW,
 * {@link #x}) or in TFLite axes ({@link #tf}); outputs are claimed with {@link #out} / {@link #outTf}, which also
 * schedule the fused activation and the layout nodes emitted after the op. Refuse an instance with {@code throw
 * op.refuse(reason)}.
 */
public final class OnnxOp {
  /** NHWC -> NCHW: output axis k is input axis TO_NCHW[k]. */
  public static final int[] TO_NCHW = ExportContext.TO_NCHW;
  /** NCHW -> NHWC. */
  public static final int[] TO_NHWC = ExportContext.TO_NHWC;

  private final ExportContext ctx;
  private final Operator op;
  private final List<Runnable> after = new ArrayList<>();

  OnnxOp(ExportContext ctx, Operator op) {
    this.ctx = ctx;
    this.op = op;
  }

  public Operator op() {
    return op;
  }

  public String opName() {
    return op.opName();
  }

  public OpOptions options() {
    return op.options();
  }

  @SuppressWarnings("unchecked")
  public <T extends OpOptions> T options(Class<T> type) {
    if (!type.isInstance(op.options())) {
      throw new ExportRefusal("options are " + op.options() + ", expected " + type.getSimpleName());
    }
    return (T) op.options();
  }

  public int inputCount() {
    return op.inputs().length;
  }

  public int outputCount() {
    return op.outputs().length;
  }

  public boolean has(int i) {
    return i < op.inputs().length && op.inputs()[i] >= 0;
  }

  public int inIdx(int i) {
    if (!has(i)) {
      throw new ExportRefusal("input " + i + " is absent");
    }
    return op.inputs()[i];
  }

  public TensorInfo in(int i) {
    return ctx.tensor(inIdx(i));
  }

  public TensorInfo outInfo(int k) {
    if (k >= op.outputs().length) {
      throw new ExportRefusal("output " + k + " is absent");
    }
    return ctx.tensor(op.outputs()[k]);
  }

  public int[] inShape(int i) {
    return in(i).shape();
  }

  public int[] outShape(int k) {
    return outInfo(k).shape();
  }

  public boolean isConst(int i) {
    return ctx.isConst(inIdx(i));
  }

  /** The constant value of input i in TFLite axes, in its own dtype (quantized stays raw; fp16 stays fp16). */
  public HostTensor constant(int i) {
    return ctx.constant(inIdx(i));
  }

  /** Constant input as float32 (fp16 widened exactly); refuses a non-float constant. */
  public HostTensor constFloat(int i) {
    HostTensor c = ctx.constant(inIdx(i));
    if (c.dtype() == DType.FLOAT32) {
      return c;
    }
    if (c.dtype() == DType.FLOAT16) {
      return c.toFloat32();
    }
    throw new ExportRefusal("constant '" + in(i).name() + "' is " + c.dtype()
        + " (quantized weights are not exported)");
  }

  /** Constant input as integers. */
  public long[] constInts(int i) {
    if (!isConst(i)) {
      throw new ExportRefusal("input '" + in(i).name() + "' must be constant");
    }
    HostTensor c = ctx.constant(inIdx(i));
    if (c.dtype().isFloating()) {
      throw new ExportRefusal("input '" + in(i).name() + "' must be integer");
    }
    return c.toLongArray();
  }

  /** Input i in its ONNX layout (NCHW for rank 4); a constant becomes an initializer in that layout. */
  public String x(int i) {
    return ctx.nativeValue(inIdx(i));
  }

  /** Input i in TFLite axes. */
  public String tf(int i) {
    return ctx.tfValue(inIdx(i));
  }

  public boolean nchw(int i) {
    return ctx.rank(inIdx(i)) == 4;
  }

  /** Name the op writes output k to, in its ONNX layout (NCHW for rank 4). */
  public String out(int k) {
    return out(k, false, Activation.NONE);
  }

  /** Name the op writes output k to in TFLite axes; a rank-4 output is transposed to NCHW afterwards. */
  public String outTf(int k) {
    return out(k, true, Activation.NONE);
  }

  /**
   * Name the op writes output k to. {@code tfAxes}: the op computes in TFLite axes. {@code act}: a fused activation
   * to apply after.
   */
  public String out(int k, boolean tfAxes, Activation act) {
    int idx = op.outputs()[k];
    TensorInfo t = outInfo(k);
    boolean rank4 = t.shape().length == 4;
    String canon = ctx.canonicalName(idx);
    // The value as other ops see it (NCHW when rank 4); a rank-4 graph output gets a helper name, the exit
    // Transpose takes the canonical one.
    String value = rank4 && ctx.isGraphOutput(idx) ? ctx.unique(canon + "/nchw") : canon;
    ctx.define(idx, value);
    String target = value;
    if (rank4 && tfAxes) {
      String nhwc = ctx.unique(canon + "/nhwc");
      String dst = value;
      after.add(() -> ctx.b.addNode("Transpose", List.of(nhwc), List.of(dst), OnnxGraphBuilder.attrs()
          .putInts("perm", TO_NCHW)));
      ctx.putTfView(idx, nhwc);
      target = nhwc;
    }
    if (act != null && act.appliedByFloatKernels()) {
      String pre = ctx.unique(canon + "/preact");
      String post = target;
      after.add(0, () -> activation(act, pre, post));
      target = pre;
    }
    return target;
  }

  /** A fused activation TFLite's float kernels apply ({@link Activation#appliedByFloatKernels}; others emit nothing). */
  private void activation(Activation act, String x, String y) {
    switch (act) {
      case RELU -> node("Relu", List.of(x), List.of(y));
      case RELU6 -> node("Clip", List.of(x, f32Scalar(0f), f32Scalar(6f)), List.of(y));
      case RELU_N1_TO_1 -> node("Clip", List.of(x, f32Scalar(-1f), f32Scalar(1f)), List.of(y));
      default -> throw new ExportRefusal("fused activation " + act);
    }
  }

  public void node(String type, List<String> ins, List<String> outs) {
    ctx.b.addNode(type, ins, outs);
  }

  public void node(String type, List<String> ins, List<String> outs, Attrs attrs) {
    ctx.b.addNode(type, ins, outs, attrs);
  }

  /** A fresh helper tensor name derived from output 0's name. */
  public String tmp(String suffix) {
    String base = op.outputs().length > 0 ? ctx.canonicalName(op.outputs()[0]) : op.opName();
    return ctx.unique(base + "/" + suffix);
  }

  /** Adds an initializer under a fresh name derived from {@code base}. */
  public String init(String base, HostTensor v) {
    return ctx.initializer(base, v);
  }

  /** An int64 vector initializer (shared by every op that needs the same values). */
  public String i64(long... v) {
    return ctx.i64(v);
  }

  /** A float32 scalar initializer (shared). */
  public String f32Scalar(float v) {
    return ctx.f32Scalar(v);
  }

  public ExportRefusal refuse(String reason) {
    return new ExportRefusal(reason);
  }

  /** Maps a TFLite axis (negative allowed) of a tensor of rank r to the ONNX axis of its value. */
  public static int axis(int a, int r) {
    return ExportContext.axis(a, r);
  }

  /**
   * Input i as an operand of an op whose output has rank {@code outRank}: numpy broadcasting prepends 1s; when the
   * output is rank 4 (NCHW) the operand is brought to rank 4 and permuted to NCHW (constants at export time).
   */
  public String operand(int i, int outRank) {
    int[] shape = inShape(i);
    if (outRank != 4 || shape.length == 4) {
      return x(i);
    }
    int[] s4 = new int[4];
    int pad = 4 - shape.length;
    for (int k = 0; k < 4; k++) {
      s4[k] = k < pad ? 1 : shape[k - pad];
    }
    if (isConst(i)) {
      HostTensor c = constant(i);
      if (c.dtype() == DType.FLOAT16) {
        c = c.toFloat32();
      }
      return init(in(i).name() + "/nchw", c.reshape(s4).permute(TO_NCHW, Layout.NCHW));
    }
    String r = tmp(in(i).name().replace('/', '_') + "_r4");
    node("Reshape", List.of(x(i), i64(s4[0], s4[1], s4[2], s4[3])), List.of(r));
    String t = tmp(in(i).name().replace('/', '_') + "_nchw");
    node("Transpose", List.of(r), List.of(t), OnnxGraphBuilder.attrs().putInts("perm", TO_NCHW));
    return t;
  }

  /** A Cast node of {@code x} to {@code type}, its output a fresh name tagged {@code tag}. */
  public String castTo(String x, DType type, String tag) {
    String y = tmp(tag);
    node("Cast", List.of(x), List.of(y), OnnxGraphBuilder.attrs().putInt("to", OnnxTypes.elemType(type)));
    return y;
  }

  /** A constant result in TFLite axes (rank 4 transposed to NCHW by {@link #outTf}). */
  public void constantOut(HostTensor v) {
    node("Identity", List.of(init(outInfo(0).name() + "/value", v)), List.of(outTf(0)));
  }

  void finish() {
    after.forEach(Runnable::run);
  }
}
