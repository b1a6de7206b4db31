package dev.crossalign.engine.compare;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.onnx.OnnxModel;
import dev.crossalign.onnx.OnnxTensors;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.Activation;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.Padding;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteModel;
import dev.crossalign.tflite.TfliteWriter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Test models for compare: a writer-built TFLite conv/relu/add/depthwise chain and the same network written by hand
 * as NCHW ONNX (so the pair exists without the exporter), a renamer that strips every ONNX tensor name, and the
 * exporter reached by reflection (it lives on another branch until merged).
 */
public final class CompareFixtures {
  private CompareFixtures() {}

  static final HostTensor W1 = rnd(1, 4, 3, 3, 3); // OHWI
  static final HostTensor B1 = rnd(2, 4);
  static final HostTensor W2 = rnd(3, 4, 3, 3, 4);
  static final HostTensor B2 = rnd(4, 4);
  static final HostTensor WD = rnd(5, 1, 3, 3, 4); // [1, kh, kw, c]
  static final HostTensor BD = rnd(6, 4);

  /**
   * x[1,8,8,3] -> t1 = CONV_2D(SAME, fused RELU) -> t2 = CONV_2D(t1) -> t3 = ADD(t1, t2) -> y = RELU(t3) -> out =
   * DEPTHWISE_CONV_2D(y, fused RELU6) [1,8,8,4].
   */
  public static byte[] chainTflite() {
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, 1, 8, 8, 3);
    int w1 = w.constant("w1", W1);
    int b1 = w.constant("b1", B1);
    int w2 = w.constant("w2", W2);
    int b2 = w.constant("b2", B2);
    int wd = w.constant("wd", WD);
    int bd = w.constant("bd", BD);
    int t1 = w.tensor("t1", TensorType.FLOAT32, 1, 8, 8, 4);
    int t2 = w.tensor("t2", TensorType.FLOAT32, 1, 8, 8, 4);
    int t3 = w.tensor("t3", TensorType.FLOAT32, 1, 8, 8, 4);
    int y = w.tensor("y", TensorType.FLOAT32, 1, 8, 8, 4);
    int out = w.tensor("out", TensorType.FLOAT32, 1, 8, 8, 4);
    w.op(BuiltinOp.CONV_2D, new OpOptions.Conv2D(Padding.SAME, 1, 1, Activation.RELU, 1, 1), new int[] {x, w1, b1},
        new int[] {t1});
    w.op(BuiltinOp.CONV_2D, new OpOptions.Conv2D(Padding.SAME, 1, 1, Activation.NONE, 1, 1), new int[] {t1, w2, b2},
        new int[] {t2});
    w.op(BuiltinOp.ADD, new OpOptions.Arithmetic(11, Activation.NONE), new int[] {t1, t2}, new int[] {t3});
    w.op(BuiltinOp.RELU, new OpOptions.None(), new int[] {t3}, new int[] {y});
    w.op(BuiltinOp.DEPTHWISE_CONV_2D, new OpOptions.DepthwiseConv2D(Padding.SAME, 1, 1, 1, Activation.RELU6, 1, 1),
        new int[] {y, wd, bd}, new int[] {out});
    w.outputs(out);
    return w.build();
  }

  /**
   * The same network as NCHW ONNX, tensors named after the TFLite ones (x, t1, t2, t3, y, out; the ONNX-only ones
   * c1 and d). {@code w2} replaces the second conv's weights (OHWI), to build a perturbed model.
   */
  public static OnnxModel chainOnnx(HostTensor w2) {
    OnnxGraphBuilder g = new OnnxGraphBuilder("chain");
    g.addInput("x", DType.FLOAT32, new int[] {1, 3, 8, 8});
    g.addInitializer("W1", W1.permute(new int[] {0, 3, 1, 2}, Layout.ANY));
    g.addInitializer("B1", B1);
    g.addInitializer("W2", w2.permute(new int[] {0, 3, 1, 2}, Layout.ANY));
    g.addInitializer("B2", B2);
    g.addInitializer("WD", WD.permute(new int[] {3, 0, 1, 2}, Layout.ANY));
    g.addInitializer("BD", BD);
    g.addInitializer("lo", HostTensor.ofFloats(new int[0], Layout.ANY, new float[] {0f}));
    g.addInitializer("hi", HostTensor.ofFloats(new int[0], Layout.ANY, new float[] {6f}));
    var pads = OnnxGraphBuilder.attrs().putInts("pads", 1, 1, 1, 1).putInts("kernel_shape", 3, 3);
    g.addNode("Conv", List.of("x", "W1", "B1"), List.of("c1"), pads);
    g.addNode("Relu", List.of("c1"), List.of("t1"));
    g.addNode("Conv", List.of("t1", "W2", "B2"), List.of("t2"),
        OnnxGraphBuilder.attrs().putInts("pads", 1, 1, 1, 1).putInts("kernel_shape", 3, 3));
    g.addNode("Add", List.of("t1", "t2"), List.of("t3"));
    g.addNode("Relu", List.of("t3"), List.of("y"));
    g.addNode("Conv", List.of("y", "WD", "BD"), List.of("d"),
        OnnxGraphBuilder.attrs().putInts("pads", 1, 1, 1, 1).putInts("kernel_shape", 3, 3).putInt("group", 4));
    g.addNode("Clip", List.of("d", "lo", "hi"), List.of("out"));
    g.addOutput("out", DType.FLOAT32, new int[] {1, 4, 8, 8});
    return g.build();
  }

  /** Every value (inputs, initializers, node outputs) renamed to "v0", "v1", ...; node names and layout tags gone. */
  public static OnnxModel stripNames(OnnxModel model) {
    ModelProto p = model.proto();
    GraphProto g = p.getGraph();
    Map<String, String> names = new HashMap<>();
    Function<String, String> rename = n -> n.isEmpty() ? n : names.computeIfAbsent(n, k -> "v" + names.size());
    GraphProto.Builder gb = g.toBuilder().clearInput().clearOutput().clearInitializer().clearNode().clearValueInfo();
    for (ValueInfoProto v : g.getInputList()) {
      gb.addInput(v.toBuilder().setName(rename.apply(v.getName())));
    }
    for (TensorProto t : g.getInitializerList()) {
      gb.addInitializer(t.toBuilder().setName(rename.apply(t.getName())));
    }
    for (NodeProto n : g.getNodeList()) {
      NodeProto.Builder nb = n.toBuilder().clearInput().clearOutput().setName("");
      n.getInputList().forEach(i -> nb.addInput(rename.apply(i)));
      n.getOutputList().forEach(o -> nb.addOutput(rename.apply(o)));
      gb.addNode(nb);
    }
    for (ValueInfoProto v : g.getOutputList()) {
      gb.addOutput(v.toBuilder().setName(rename.apply(v.getName())));
    }
    ModelProto.Builder mb = p.toBuilder().setGraph(gb).clearMetadataProps();
    for (StringStringEntryProto e : p.getMetadataPropsList()) {
      if (!e.getKey().startsWith(OnnxModel.META_LAYOUT_PREFIX)) {
        mb.addMetadataProps(e);
      }
    }
    return OnnxModel.of(mb.build());
  }

  /** The model with initializer {@code name} replaced by {@code value}. */
  public static OnnxModel replaceInitializer(OnnxModel model, String name, HostTensor value) {
    GraphProto.Builder gb = model.proto().getGraph().toBuilder();
    boolean found = false;
    for (int i = 0; i < gb.getInitializerCount(); i++) {
      if (gb.getInitializer(i).getName().equals(name)) {
        gb.setInitializer(i, OnnxTensors.toProto(name, value));
        found = true;
      }
    }
    if (!found) {
      throw new IllegalArgumentException("no initializer " + name);
    }
    return OnnxModel.of(model.proto().toBuilder().setGraph(gb).build());
  }

  /** The exported ONNX of a TFLite model and its ONNX-to-TFLite name map, when the exporter is on the class path. */
  public record Exported(OnnxModel model, Map<String, String> onnxToTflite) {}

  public static Optional<Exported> export(TfliteModel m) {
    return export(m, false);
  }

  /** As {@link #export(TfliteModel)}; {@code nchwInputs}: rank-4 inputs declared NCHW (ExportOptions.InputLayout). */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public static Optional<Exported> export(TfliteModel m, boolean nchwInputs) {
    try {
      Class<?> ex = Class.forName("dev.crossalign.port.onnx.Exporter");
      Class<?> opts = Class.forName("dev.crossalign.port.onnx.ExportOptions");
      Object def = opts.getField("DEFAULT").get(null);
      if (nchwInputs) {
        Class<? extends Enum> layout =
            (Class<? extends Enum>) Class.forName("dev.crossalign.port.onnx.ExportOptions$InputLayout");
        def = opts.getConstructor(layout).newInstance(Enum.valueOf(layout, "NCHW"));
      }
      Object export = ex.getMethod("export", TfliteModel.class, opts).invoke(null, m, def);
      OnnxModel model = (OnnxModel) export.getClass().getMethod("model").invoke(export);
      Map<String, String> map = (Map<String, String>) export.getClass().getMethod("onnxToTflite").invoke(export);
      return Optional.of(new Exported(model, map));
    } catch (ClassNotFoundException e) {
      return Optional.empty();
    } catch (java.lang.reflect.InvocationTargetException e) {
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException(e.getCause());
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("exporter API changed: " + e, e);
    }
  }

  static HostTensor rnd(long seed, int... shape) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] v = new float[(int) HostTensor.numel(shape)];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (r.nextDouble() - 0.5);
    }
    return HostTensor.ofFloats(shape, Layout.ANY, v);
  }
}
