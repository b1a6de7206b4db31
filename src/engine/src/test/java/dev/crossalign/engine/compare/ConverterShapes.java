package dev.crossalign.engine.compare;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import dev.crossalign.onnx.OnnxModel;
import dev.crossalign.onnx.OnnxTensors;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Rewrites crossalign's own ONNX export of a TFLite model into the shapes other converters emit, so compare meets
 * them without those converters installed: tf2onnx writes TFLite's channel PADs as Concat(x, ConstantOfShape zeros)
 * (the zeros' shape computed from Shape(x)), returns a detector's concatenated outputs as their parts (one per
 * anchor grid), keeps the NHWC input with a Transpose inside, and names nothing after the TFLite tensors. The broken
 * variants are the mistakes a hand fix of such a conversion makes.
 */
final class ConverterShapes {
  private ConverterShapes() {}

  /** A deliberate mistake in the conversion. */
  enum Breakage {
    NONE,
    /** The first pad's zeros concatenated before the tensor instead of after it. */
    WRONG_PAD,
    /** The first conv's input channels reversed (RGB read as BGR). */
    SWAPPED_CHANNELS,
    /**
     * The third conv's weights rounded to bfloat16. (Rounding them to float16 changes nothing here: this model stores
     * its weights as float16 already, behind DEQUANTIZE; TorchOnnxExportTest rounds float32 weights to float16.)
     */
    BF16_WEIGHT
  }

  /** The rewritten model and the export's name (= the TFLite tensor's) of the tensor the breakage first changes. */
  record Converted(OnnxModel model, String brokenTensor) {}

  static Converted tf2onnx(OnnxModel export, Breakage breakage) {
    GraphProto g = export.proto().getGraph();
    Map<String, TensorProto> inits = new HashMap<>();
    g.getInitializerList().forEach(t -> inits.put(t.getName(), t));
    Map<String, List<NodeProto>> consumers = new HashMap<>();
    for (NodeProto n : g.getNodeList()) {
      n.getInputList().forEach(i -> consumers.computeIfAbsent(i, k -> new ArrayList<>()).add(n));
    }
    GraphProto.Builder gb = g.toBuilder().clearNode().clearOutput();
    Map<String, List<String>> outputParts = new HashMap<>();
    for (ValueInfoProto o : g.getOutputList()) {
      outputParts.put(o.getName(), null);
    }
    int pads = 0;
    int convs = 0;
    String broken = null;
    int uid = 0;
    for (NodeProto n : g.getNodeList()) {
      String op = n.getOpType();
      if (op.equals("Pad")) {
        long[] p = OnnxTensors.toHost(inits.get(n.getInput(1))).toLongArray();
        int rank = p.length / 2;
        String cur = n.getInput(0);
        for (int axis = 0; axis < rank; axis++) {
          long begin = p[axis];
          long end = p[axis + rank];
          if (begin == 0 && end == 0) {
            continue;
          }
          boolean last = true;
          for (int k = axis + 1; k < rank; k++) {
            last &= p[k] == 0 && p[k + rank] == 0;
          }
          String out = last ? n.getOutput(0) : n.getOutput(0) + "_pad_axis" + axis;
          List<String> parts = new ArrayList<>();
          String zb = begin > 0 ? zeros(gb, cur, rank, axis, begin, "z" + uid++) : null;
          String ze = end > 0 ? zeros(gb, cur, rank, axis, end, "z" + uid++) : null;
          if (zb != null) {
            parts.add(zb);
          }
          parts.add(cur);
          if (ze != null) {
            parts.add(ze);
          }
          if (breakage == Breakage.WRONG_PAD && pads == 0 && zb == null) {
            parts = List.of(ze, cur); // the zeros on the wrong side
            broken = n.getOutput(0);
          }
          gb.addNode(NodeProto.newBuilder().setOpType("Concat").addAllInput(parts).addOutput(out)
              .addAttribute(AttributeProto.newBuilder().setName("axis").setType(AttributeProto.AttributeType.INT)
                  .setI(axis)));
          cur = out;
        }
        pads++;
        continue;
      }
      if (op.equals("Conv")) {
        if ((breakage == Breakage.SWAPPED_CHANNELS && convs == 0) || (breakage == Breakage.BF16_WEIGHT && convs == 2)) {
          String w = n.getInput(1);
          HostTensor t = OnnxTensors.toHost(inits.get(w));
          HostTensor changed = breakage == Breakage.BF16_WEIGHT ? bf16(t) : reverseInputChannels(t);
          String name = w + "_broken";
          gb.addInitializer(OnnxTensors.toProto(name, changed));
          n = n.toBuilder().setInput(1, name).build();
          broken = n.getOutput(0);
        }
        convs++;
      }
      if (op.equals("Concat") && outputParts.containsKey(n.getOutput(0))) {
        outputParts.put(n.getOutput(0), n.getInputList()); // returned in parts: no Concat
        continue;
      }
      gb.addNode(n);
    }
    for (ValueInfoProto o : g.getOutputList()) {
      List<String> parts = outputParts.get(o.getName());
      if (parts == null) {
        gb.addOutput(o);
        continue;
      }
      for (String p : parts) {
        gb.addOutput(ValueInfoProto.newBuilder().setName(p).setType(TypeProto.newBuilder().setTensorType(
            TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE))));
      }
    }
    ModelProto m = export.proto().toBuilder().setGraph(gb).build();
    return new Converted(CompareFixtures.stripNames(OnnxModel.of(m)), broken);
  }

  /** Zeros shaped like {@code x} but {@code n} long on {@code axis}: ConstantOfShape(Shape(x) * mask + n * e_axis). */
  private static String zeros(GraphProto.Builder gb, String x, int rank, int axis, long n, String id) {
    long[] mask = new long[rank];
    long[] add = new long[rank];
    for (int k = 0; k < rank; k++) {
      mask[k] = k == axis ? 0 : 1;
      add[k] = k == axis ? n : 0;
    }
    gb.addInitializer(OnnxTensors.toProto(id + "_mask", HostTensor.ofLongs(new int[] {rank}, Layout.ANY, mask)));
    gb.addInitializer(OnnxTensors.toProto(id + "_add", HostTensor.ofLongs(new int[] {rank}, Layout.ANY, add)));
    gb.addNode(NodeProto.newBuilder().setOpType("Shape").addInput(x).addOutput(id + "_shape"));
    gb.addNode(NodeProto.newBuilder().setOpType("Mul").addInput(id + "_shape").addInput(id + "_mask")
        .addOutput(id + "_kept"));
    gb.addNode(NodeProto.newBuilder().setOpType("Add").addInput(id + "_kept").addInput(id + "_add")
        .addOutput(id + "_dims"));
    gb.addNode(NodeProto.newBuilder().setOpType("ConstantOfShape").addInput(id + "_dims").addOutput(id)
        .addAttribute(AttributeProto.newBuilder().setName("value").setType(AttributeProto.AttributeType.TENSOR)
            .setT(OnnxTensors.toProto("", HostTensor.ofFloats(new int[] {1}, Layout.ANY, new float[] {0f})))));
    return id;
  }

  /** Round to nearest even bfloat16 (8 bits of mantissa), back in float32. */
  static HostTensor bf16(HostTensor t) {
    float[] v = t.toFloatArray();
    for (int i = 0; i < v.length; i++) {
      int bits = Float.floatToRawIntBits(v[i]);
      bits = (bits + 0x7fff + ((bits >>> 16) & 1)) & 0xffff0000;
      v[i] = Float.intBitsToFloat(bits);
    }
    return HostTensor.ofFloats(t.shape(), Layout.ANY, v);
  }

  /** OIHW weights with the I axis reversed. */
  static HostTensor reverseInputChannels(HostTensor t) {
    int[] s = t.shape();
    float[] v = t.toFloatArray();
    float[] out = new float[v.length];
    int inner = s[2] * s[3];
    for (int o = 0; o < s[0]; o++) {
      for (int i = 0; i < s[1]; i++) {
        System.arraycopy(v, (o * s[1] + i) * inner, out, (o * s[1] + (s[1] - 1 - i)) * inner, inner);
      }
    }
    return HostTensor.ofFloats(s, Layout.ANY, out);
  }
}
