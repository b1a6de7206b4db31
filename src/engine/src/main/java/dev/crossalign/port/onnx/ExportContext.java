package dev.crossalign.port.onnx;

import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.Operator;
import dev.crossalign.tflite.Subgraph;
import dev.crossalign.tflite.TensorInfo;
import dev.crossalign.tflite.TfliteModel;
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
  static final int[] TO_NCHW = Layout.nhwcToNchw();
  /** NCHW -> NHWC. */
  static final int[] TO_NHWC = Layout.nchwToNhwc();

  final TfliteModel model;
  final Subgraph sg;
  final OnnxGraphBuilder b;
  private final Map<Integer, HostTensor> consts = new HashMap<>();
  /**
   * Folded constants (DEQUANTIZE, DENSIFY, reshapes of them) by how they are made: made again for each reader, not
   * kept (pose_landmark_heavy: 53 MB of float32 for the whole export otherwise, benchmarks/README.md "Peak memory,
   * fifth step").
   */
  private final Map<Integer, java.util.function.Supplier<HostTensor>> folded = new HashMap<>();
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

  TensorInfo tensor(int idx) {
    if (idx < 0 || idx >= sg.tensors().size()) {
      throw new ExportRefusal("tensor index " + idx + " out of range");
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
    return consts.containsKey(idx) || folded.containsKey(idx) || (idx >= 0 && model.isConstant(tensor(idx)));
  }

  /** The constant value of a tensor in TFLite axes, in its own dtype (quantized stays raw; fp16 stays fp16). */
  HostTensor constant(int idx) {
    java.util.function.Supplier<HostTensor> f = folded.get(idx);
    if (f != null) {
      return f.get();
    }
    HostTensor c = consts.get(idx);
    if (c != null) {
      return c;
    }
    TensorInfo t = tensor(idx);
    if (!model.isConstant(t)) {
      throw new ExportRefusal("tensor '" + t.name() + "' is not a constant");
    }
    if (t.sparsity() != null) {
      throw new ExportRefusal("sparse constant '" + t.name() + "' is read only through DENSIFY");
    }
    try {
      c = model.constant(t);
    } catch (RuntimeException e) {
      throw new ExportRefusal(e.getMessage());
    }
    consts.put(idx, c);
    return c;
  }

  /** Tensor {@code idx} folded: {@code made} makes its value (the same bits each time) whenever it is read. */
  void putConstant(int idx, java.util.function.Supplier<HostTensor> made) {
    folded.put(idx, made);
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
    throw new ExportRefusal("tensor '" + tensor(idx).name() + "' (#" + idx + ") has no value yet");
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

  void putTfView(int idx, String name) {
    tfViews.put(idx, name);
  }

  private static HostTensor floatIfHalf(HostTensor c) {
    return c.dtype() == DType.FLOAT16 ? c.toFloat32() : c;
  }

  // ------------------------------------------------------------------ per op

  OnnxOp scope(Operator op) {
    return new OnnxOp(this, op);
  }

  /** Maps a TFLite axis (negative allowed) of a tensor of rank r to the ONNX axis of its value. */
  static int axis(int a, int r) {
    int ax = a < 0 ? a + r : a;
    if (ax < 0 || ax >= r) {
      throw new ExportRefusal("axis " + a + " out of range for rank " + r);
    }
    return r == 4 ? Layout.nchwDim(ax) : ax;
  }
}
