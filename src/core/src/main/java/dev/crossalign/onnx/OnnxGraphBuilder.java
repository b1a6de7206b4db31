package dev.crossalign.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds an ONNX graph in Java, one call per input, initializer, node and output, in topological order. Not
 * thread-safe; one builder per model.
 *
 * <pre>{@code
 * OnnxModel m = new OnnxGraphBuilder("tiny")
 *     .addInput("x", DType.FLOAT32, new int[] {1, 1, 4, 4})
 *     .addInitializer("w", weights)
 *     .addNode("Conv", List.of("x", "w"), List.of("y"), OnnxGraphBuilder.attrs().putInts("pads", 0, 0, 1, 1))
 *     .addOutput("y", DType.FLOAT32, null)
 *     .build();
 * }</pre>
 */
public final class OnnxGraphBuilder {
  /**
   * Default opset of the ONNX domain: 17 (ONNX 1.12). It has every op a TFLite float graph lowers to (Resize 13 with
   * all coordinate modes, LayerNormalization, Pad with constant_value input) and every ONNX Runtime of the last years
   * runs it.
   */
  public static final int DEFAULT_OPSET = 17;
  /** IR version written with the default opset: 8 belongs to opset 17 (ONNX 1.12). */
  public static final int DEFAULT_IR_VERSION = 8;
  public static final String PRODUCER_NAME = "crossalign";

  private final String graphName;
  private long opset = DEFAULT_OPSET;
  private long irVersion = DEFAULT_IR_VERSION;
  private String producerVersion = "";
  private final Map<String, Long> extraOpsets = new LinkedHashMap<>();
  private final List<ValueInfoProto> inputs = new ArrayList<>();
  private final List<ValueInfoProto> outputs = new ArrayList<>();
  private final List<ValueInfoProto> valueInfos = new ArrayList<>();
  private final GraphProto.Builder graph = GraphProto.newBuilder();
  private final Map<String, String> metadata = new LinkedHashMap<>();

  public OnnxGraphBuilder(String graphName) {
    this.graphName = graphName;
  }

  public OnnxGraphBuilder() {
    this("crossalign");
  }

  /** Opset of the default ONNX domain (default {@link #DEFAULT_OPSET}). */
  public OnnxGraphBuilder opset(long version) {
    this.opset = version;
    return this;
  }

  /** IR version of the model (default {@link #DEFAULT_IR_VERSION}). */
  public OnnxGraphBuilder irVersion(long version) {
    this.irVersion = version;
    return this;
  }

  /** Imports another operator domain (e.g. "com.microsoft", 1). */
  public OnnxGraphBuilder opsetImport(String domain, long version) {
    extraOpsets.put(domain, version);
    return this;
  }

  public OnnxGraphBuilder producerVersion(String version) {
    this.producerVersion = version;
    return this;
  }

  /** A model metadata_props entry. */
  public OnnxGraphBuilder metadata(String key, String value) {
    metadata.put(key, value);
    return this;
  }

  /** Records the layout of one tensor in the metadata ({@link OnnxModel#META_LAYOUT_PREFIX}). */
  public OnnxGraphBuilder layout(String tensor, Layout layout) {
    return metadata(OnnxModel.META_LAYOUT_PREFIX + tensor, layout.name());
  }

  /** A graph input. A negative dimension is symbolic (dim_param "name_dimI"). */
  public OnnxGraphBuilder addInput(String name, DType dtype, int[] shape) {
    inputs.add(valueInfo(name, dtype, shape));
    return this;
  }

  /** A constant weight. */
  public OnnxGraphBuilder addInitializer(String name, HostTensor value) {
    graph.addInitializer(OnnxTensors.toProto(name, value));
    return this;
  }

  public OnnxGraphBuilder addNode(String opType, List<String> inputs, List<String> outputs) {
    return addNode("", "", opType, inputs, outputs, attrs());
  }

  public OnnxGraphBuilder addNode(String opType, List<String> inputs, List<String> outputs, Attrs attrs) {
    return addNode("", "", opType, inputs, outputs, attrs);
  }

  /**
   * A node. {@code nodeName} "" names it after its first output; {@code domain} "" is the ONNX domain. Use "" in
   * {@code inputs} for an omitted optional input.
   */
  public OnnxGraphBuilder addNode(
      String nodeName, String domain, String opType, List<String> inputs, List<String> outputs, Attrs attrs) {
    String name = !nodeName.isEmpty() ? nodeName : outputs.isEmpty() ? opType + "_" + graph.getNodeCount() : outputs.get(0);
    NodeProto.Builder n = NodeProto.newBuilder().setName(name).setOpType(opType).setDomain(domain);
    n.addAllInput(inputs).addAllOutput(outputs);
    attrs.values.values().forEach(n::addAttribute);
    graph.addNode(n);
    return this;
  }

  /** A graph output; {@code shape} null leaves the shape for the runtime to infer. */
  public OnnxGraphBuilder addOutput(String name, DType dtype, int[] shape) {
    outputs.add(valueInfo(name, dtype, shape));
    return this;
  }

  /** Declares the type (and shape, when not null) of an intermediate value. */
  public OnnxGraphBuilder addValueInfo(String name, DType dtype, int[] shape) {
    valueInfos.add(valueInfo(name, dtype, shape));
    return this;
  }

  /** The model proto as it stands, without checks (tests use it to build broken graphs). */
  public ModelProto buildProto() {
    GraphProto.Builder g = graph.clone().setName(graphName);
    g.addAllInput(inputs).addAllOutput(outputs).addAllValueInfo(valueInfos);
    ModelProto.Builder m = ModelProto.newBuilder()
        .setIrVersion(irVersion)
        .setProducerName(PRODUCER_NAME)
        .setProducerVersion(producerVersion)
        .setGraph(g)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset));
    extraOpsets.forEach((d, v) -> m.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(d).setVersion(v)));
    metadata.forEach((k, v) -> m.addMetadataProps(StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
    return m.build();
  }

  /** The model, after {@link OnnxChecker#checkOrThrow}: a structural problem is a ModelFormatException. */
  public OnnxModel build() {
    OnnxModel m = OnnxModel.of(buildProto());
    OnnxChecker.checkOrThrow(m);
    return m;
  }

  /** The model without the structural check. */
  public OnnxModel buildUnchecked() {
    return OnnxModel.of(buildProto());
  }

  static ValueInfoProto valueInfo(String name, DType dtype, int[] shape) {
    TypeProto.Tensor.Builder tt = TypeProto.Tensor.newBuilder().setElemType(OnnxTypes.elemType(dtype));
    if (shape != null) {
      TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
      for (int i = 0; i < shape.length; i++) {
        s.addDim(shape[i] >= 0
            ? TensorShapeProto.Dimension.newBuilder().setDimValue(shape[i])
            : TensorShapeProto.Dimension.newBuilder().setDimParam(name + "_dim" + i));
      }
      tt.setShape(s);
    }
    return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(tt)).build();
  }

  public static Attrs attrs() {
    return new Attrs();
  }

  /** Node attributes, in insertion order; a name set twice keeps the last value. */
  public static final class Attrs {
    private final Map<String, AttributeProto> values = new LinkedHashMap<>();

    private Attrs() {}

    private Attrs put(AttributeProto.Builder a) {
      AttributeProto p = a.build();
      values.put(p.getName(), p);
      return this;
    }

    private static AttributeProto.Builder named(String name, AttributeProto.AttributeType type) {
      return AttributeProto.newBuilder().setName(name).setType(type);
    }

    public Attrs putInt(String name, long value) {
      return put(named(name, AttributeProto.AttributeType.INT).setI(value));
    }

    public Attrs putInts(String name, long... values) {
      AttributeProto.Builder a = named(name, AttributeProto.AttributeType.INTS);
      for (long v : values) {
        a.addInts(v);
      }
      return put(a);
    }

    public Attrs putInts(String name, int[] values) {
      AttributeProto.Builder a = named(name, AttributeProto.AttributeType.INTS);
      for (int v : values) {
        a.addInts(v);
      }
      return put(a);
    }

    public Attrs putFloat(String name, float value) {
      return put(named(name, AttributeProto.AttributeType.FLOAT).setF(value));
    }

    public Attrs putFloats(String name, float... values) {
      AttributeProto.Builder a = named(name, AttributeProto.AttributeType.FLOATS);
      for (float v : values) {
        a.addFloats(v);
      }
      return put(a);
    }

    public Attrs putString(String name, String value) {
      return put(named(name, AttributeProto.AttributeType.STRING)
          .setS(ByteString.copyFrom(value, StandardCharsets.UTF_8)));
    }

    public Attrs putStrings(String name, String... values) {
      AttributeProto.Builder a = named(name, AttributeProto.AttributeType.STRINGS);
      for (String v : values) {
        a.addStrings(ByteString.copyFrom(v, StandardCharsets.UTF_8));
      }
      return put(a);
    }

    public Attrs putTensor(String name, HostTensor value) {
      return put(named(name, AttributeProto.AttributeType.TENSOR).setT(OnnxTensors.toProto("", value)));
    }

    public boolean isEmpty() {
      return values.isEmpty();
    }
  }
}
