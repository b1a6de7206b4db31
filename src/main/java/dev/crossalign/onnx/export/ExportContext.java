package dev.crossalign.onnx.export;

import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.onnx.OnnxGraphBuilder.Attrs;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.Activation;
import dev.crossalign.tflite.Operator;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.Subgraph;
import dev.crossalign.tflite.TensorInfo;
import dev.crossalign.tflite.TfliteModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * State of one export: the builder, the ONNX name and layout of every TFLite tensor produced so far, folded constants
 * and the name pool. Layout rule: every rank-4 non-constant tensor lives in ONNX as NCHW; every other tensor keeps
 * TFLite's axes. Constants stay in TFLite axes here and are permuted when an op materializes them.
 */
final class ExportContext {
  /** NHWC -> NCHW: output axis k is input axis TO_NCHW[k]. */
  static final int[] TO_NCHW = {0, 3, 1, 2};
  /** NCHW -> NHWC. */
  static final int[] TO_NHWC = {0, 2, 3, 1};

  final TfliteModel model;
  final Subgraph sg;
  final OnnxGraphBuilder b;
  private final Map<Integer, HostTensor> consts = new HashMap<>();
  private final Map<Integer, String> values = new HashMap<>();
  private final Map<Integer, String> tfViews = new HashMap<>();
  private final Map<Integer, String> canonical = new HashMap<>();
  private final Set<String> used = new HashSet<>();
  private final Map<String, String> constCache = new HashMap<>();
  final Map<String, String> onnxToTflite = new LinkedHashMap<>();
  final Map<String, Layout> layouts = new LinkedHashMap<>();
  private final Set<Integer> graphOutputs = new HashSet<>();

  ExportContext(TfliteModel model, OnnxGraphBuilder b) {
    this.model = model;
    this.sg = model.main();
    this.b = b;
    for (int o : sg.outputs()) {
      graphOutputs.add(o);
    }
    // Canonical names first, in tensor order, so that derived names never take a TFLite name.
    for (TensorInfo t : sg.tensors()) {
      if (model.isConstant(t)) {
        continue;
      }
      String n = t.name() == null || t.name().isEmpty() ? "tensor_" + t.index() : t.name();
      if (!used.add(n)) {
        n = n + "#" + t.index();
        used.add(n);
      }
      canonical.put(t.index(), n);
    }
  }

  /** Thrown when an op cannot be exported; the exporter collects them per op kind. */
  static final class Refusal extends RuntimeException {
    Refusal(String reason) {
      super(reason, null, false, false);
    }
  }

  TensorInfo tensor(int idx) {
    if (idx < 0 || idx >= sg.tensors().size()) {
      throw new Refusal("tensor index " + idx + " out of range");
    }
    return sg.tensor(idx);
  }

  String canonicalName(int idx) {
    String n = canonical.get(idx);
    return n != null ? n : tensor(idx).name();
  }

  boolean isGraphOutput(int idx) {
    return graphOutputs.contains(idx);
  }

  String unique(String base) {
    String n = base;
    for (int i = 1; !used.add(n); i++) {
      n = base + "_" + i;
    }
    return n;
  }

  // ------------------------------------------------------------------ constants

  boolean isConst(int idx) {
    return consts.containsKey(idx) || (idx >= 0 && model.isConstant(tensor(idx)));
  }

  /** The constant value of a tensor in TFLite axes, in its own dtype (quantized stays raw; fp16 stays fp16). */
  HostTensor constant(int idx) {
    HostTensor c = consts.get(idx);
    if (c != null) {
      return c;
    }
    TensorInfo t = tensor(idx);
    if (!model.isConstant(t)) {
      throw new Refusal("tensor '" + t.name() + "' is not a constant");
    }
    if (t.sparsity() != null) {
      throw new Refusal("sparse constant '" + t.name() + "' is read only through DENSIFY");
    }
    try {
      c = model.constant(t);
    } catch (RuntimeException e) {
      throw new Refusal(e.getMessage());
    }
    consts.put(idx, c);
    return c;
  }

  void putConstant(int idx, HostTensor value) {
    consts.put(idx, value);
  }

  /** Adds an initializer under a fresh name derived from {@code base}. */
  String initializer(String base, HostTensor value) {
    String n = unique(base);
    b.addInitializer(n, value);
    return n;
  }

  String i64(long... v) {
    String key = "i64" + Arrays.toString(v);
    return constCache.computeIfAbsent(key, k -> initializer("const_i64_" + v.length,
        HostTensor.ofLongs(new int[] {v.length}, Layout.ANY, v)));
  }

  String f32Scalar(float v) {
    String key = "f32:" + Float.floatToIntBits(v);
    return constCache.computeIfAbsent(key, k -> initializer("const_f32",
        HostTensor.ofFloats(new int[0], Layout.ANY, new float[] {v})));
  }

  // ------------------------------------------------------------------ values

  void define(int idx, String onnxName) {
    values.put(idx, onnxName);
  }

  boolean isDefined(int idx) {
    return values.containsKey(idx);
  }

  int rank(int idx) {
    return tensor(idx).shape().length;
  }

  /** Input value in its ONNX layout (NCHW for rank 4); constants become initializers in that layout. */
  String nativeValue(int idx) {
    String v = values.get(idx);
    if (v != null) {
      return v;
    }
    if (isConst(idx)) {
      HostTensor c = floatIfHalf(constant(idx));
      String key = "native:" + idx;
      return constCache.computeIfAbsent(key, k -> c.rank() == 4
          ? initializer(tensor(idx).name() + "/nchw", c.permute(TO_NCHW, Layout.NCHW))
          : initializer(tensor(idx).name(), c));
    }
    throw new Refusal("tensor '" + tensor(idx).name() + "' (#" + idx + ") has no value yet");
  }

  /** Input value in TFLite axes. */
  String tfValue(int idx) {
    if (isConst(idx) && !values.containsKey(idx)) {
      HostTensor c = floatIfHalf(constant(idx));
      return constCache.computeIfAbsent("tf:" + idx, k -> initializer(tensor(idx).name(), c));
    }
    String v = nativeValue(idx);
    if (rank(idx) != 4) {
      return v;
    }
    return tfViews.computeIfAbsent(idx, k -> {
      String n = unique(canonicalName(idx) + "/nhwc");
      b.addNode("Transpose", List.of(v), List.of(n), OnnxGraphBuilder.attrs().putInts("perm", TO_NHWC));
      return n;
    });
  }

  private static HostTensor floatIfHalf(HostTensor c) {
    return c.dtype() == DType.FLOAT16 ? c.toFloat32() : c;
  }

  // ------------------------------------------------------------------ per op

  OpScope scope(Operator op) {
    return new OpScope(op);
  }

  /** Helpers for one operator; {@link #finish()} emits the deferred activation and layout nodes. */
  final class OpScope {
    final Operator op;
    private final List<Runnable> after = new ArrayList<>();

    OpScope(Operator op) {
      this.op = op;
    }

    ExportContext ctx() {
      return ExportContext.this;
    }

    OpOptions options() {
      return op.options();
    }

    @SuppressWarnings("unchecked")
    <T extends OpOptions> T options(Class<T> type) {
      if (!type.isInstance(op.options())) {
        throw new Refusal("options are " + op.options() + ", expected " + type.getSimpleName());
      }
      return (T) op.options();
    }

    int inputCount() {
      return op.inputs().length;
    }

    boolean has(int i) {
      return i < op.inputs().length && op.inputs()[i] >= 0;
    }

    int inIdx(int i) {
      if (!has(i)) {
        throw new Refusal("input " + i + " is absent");
      }
      return op.inputs()[i];
    }

    TensorInfo in(int i) {
      return tensor(inIdx(i));
    }

    TensorInfo outInfo(int k) {
      if (k >= op.outputs().length) {
        throw new Refusal("output " + k + " is absent");
      }
      return tensor(op.outputs()[k]);
    }

    int[] inShape(int i) {
      return in(i).shape();
    }

    int[] outShape(int k) {
      return outInfo(k).shape();
    }

    boolean isConst(int i) {
      return ExportContext.this.isConst(inIdx(i));
    }

    /** Constant input as float32 (fp16 widened exactly); refuses a non-float constant. */
    HostTensor constFloat(int i) {
      HostTensor c = constant(inIdx(i));
      if (c.dtype() == DType.FLOAT32) {
        return c;
      }
      if (c.dtype() == DType.FLOAT16) {
        return c.toFloat32();
      }
      throw new Refusal("constant '" + in(i).name() + "' is " + c.dtype() + " (quantized weights are not exported)");
    }

    /** Constant input as integers. */
    long[] constInts(int i) {
      if (!isConst(i)) {
        throw new Refusal("input '" + in(i).name() + "' must be constant");
      }
      HostTensor c = constant(inIdx(i));
      if (c.dtype().isFloating()) {
        throw new Refusal("input '" + in(i).name() + "' must be integer");
      }
      return c.toLongArray();
    }

    String x(int i) {
      return nativeValue(inIdx(i));
    }

    String tf(int i) {
      return tfValue(inIdx(i));
    }

    boolean nchw(int i) {
      return rank(inIdx(i)) == 4;
    }

    /** Name the op writes output k to, in its ONNX layout (NCHW for rank 4). */
    String out(int k) {
      return out(k, false, Activation.NONE);
    }

    /** Name the op writes output k to in TFLite axes; a rank-4 output is transposed to NCHW afterwards. */
    String outTf(int k) {
      return out(k, true, Activation.NONE);
    }

    /**
     * Name the op writes output k to. {@code tfAxes}: the op computes in TFLite axes. {@code act}: a fused activation
     * to apply after.
     */
    String out(int k, boolean tfAxes, Activation act) {
      int idx = op.outputs()[k];
      TensorInfo t = outInfo(k);
      boolean rank4 = t.shape().length == 4;
      String canon = canonicalName(idx);
      // The value as other ops see it (NCHW when rank 4); a rank-4 graph output gets a helper name, the exit
      // Transpose takes the canonical one.
      String value = rank4 && isGraphOutput(idx) ? unique(canon + "/nchw") : canon;
      define(idx, value);
      String target = value;
      if (rank4 && tfAxes) {
        String nhwc = unique(canon + "/nhwc");
        String dst = value;
        after.add(() -> b.addNode("Transpose", List.of(nhwc), List.of(dst), OnnxGraphBuilder.attrs().putInts("perm",
            TO_NCHW)));
        tfViews.put(idx, nhwc);
        target = nhwc;
      }
      if (act != null && act != Activation.NONE && !ignoredByKernels(act)) {
        String pre = unique(canon + "/preact");
        String post = target;
        after.add(0, () -> activation(act, pre, post));
        target = pre;
      }
      return target;
    }

    /**
     * TFLite's float kernels (conv, depthwise, pooling, arithmetic, fully connected, ...) apply a fused activation
     * through CalculateActivationRange, which knows only RELU, RELU6 and RELU_N1_TO_1 and leaves every other code as
     * (-inf, +inf): a fused TANH or SIGN_BIT is silently a no-op in the interpreter (measured: CONV_2D with fused TANH
     * differs from tanh(conv) by up to 5). The export reproduces the interpreter, so it emits nothing for them.
     */
    private static boolean ignoredByKernels(Activation act) {
      return act == Activation.TANH || act == Activation.SIGN_BIT;
    }

    private void activation(Activation act, String x, String y) {
      switch (act) {
        case RELU -> node("Relu", List.of(x), List.of(y));
        case RELU6 -> node("Clip", List.of(x, f32Scalar(0f), f32Scalar(6f)), List.of(y));
        case RELU_N1_TO_1 -> node("Clip", List.of(x, f32Scalar(-1f), f32Scalar(1f)), List.of(y));
        case TANH -> node("Tanh", List.of(x), List.of(y));
        default -> throw new Refusal("fused activation " + act);
      }
    }

    void node(String type, List<String> ins, List<String> outs) {
      b.addNode(type, ins, outs);
    }

    void node(String type, List<String> ins, List<String> outs, Attrs attrs) {
      b.addNode(type, ins, outs, attrs);
    }

    /** A fresh helper tensor name derived from output k's name. */
    String tmp(String suffix) {
      String base = op.outputs().length > 0 ? canonicalName(op.outputs()[0]) : op.opName();
      return unique(base + "/" + suffix);
    }

    String init(String base, HostTensor v) {
      return initializer(base, v);
    }

    Refusal refuse(String reason) {
      return new Refusal(reason);
    }

    void finish() {
      after.forEach(Runnable::run);
    }
  }

  /** Maps a TFLite axis (negative allowed) of a tensor of rank r to the ONNX axis of its value. */
  static int axis(int a, int r) {
    int ax = a < 0 ? a + r : a;
    if (ax < 0 || ax >= r) {
      throw new Refusal("axis " + a + " out of range for rank " + r);
    }
    return r == 4 ? new int[] {0, 2, 3, 1}[ax] : ax;
  }
}
