package dev.crossalign.onnx;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.crossalign.CrossalignException;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.ModelFormatException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * An ONNX model held in memory as a protobuf {@link ModelProto} whose tensor data is all inline: external data is read
 * in (and checked) when the model is read, so that the proto can be handed to ONNX Runtime as bytes. Immutable.
 *
 * <p>Layout metadata (model metadata_props) read by the ONNX Runtime backend: {@value #META_LAYOUT} = NCHW | NHWC | ANY
 * is the layout of rank-4 tensors that have no entry of their own (NCHW when absent); {@value #META_LAYOUT_PREFIX} +
 * tensor name = the layout of that one tensor, whatever its rank.
 *
 * <p>Size: reading with its format checks, writing with external data, the structure-only form and the graph's
 * accessors are one model's; split, each would reach into the same proto.
 */
public final class OnnxModel {
  /** protobuf cannot parse or serialize a message of 2 GiB or more; larger weights must live in external data. */
  public static final long MAX_PROTO_BYTES = Integer.MAX_VALUE;
  /** Metadata key: default layout of rank-4 tensors. */
  public static final String META_LAYOUT = "crossalign.layout";
  /** Metadata key prefix: layout of one tensor ("crossalign.layout:" + name). */
  public static final String META_LAYOUT_PREFIX = "crossalign.layout:";

  private final ModelProto proto;
  private final List<OnnxNode> nodes;
  private final Set<String> initializerNames;
  private final Map<String, String> metadata;
  /** Whether the initializers' data was let go ({@link #structureOnly}). */
  private final boolean structureOnly;

  private OnnxModel(ModelProto proto) {
    this(proto, false);
  }

  private OnnxModel(ModelProto proto, boolean structureOnly) {
    this.proto = proto;
    this.structureOnly = structureOnly;
    Map<String, String> meta = new LinkedHashMap<>();
    proto.getMetadataPropsList().forEach(e -> meta.put(e.getKey(), e.getValue()));
    this.metadata = Collections.unmodifiableMap(meta);
    List<OnnxNode> ns = new ArrayList<>();
    List<NodeProto> nodeList = proto.getGraph().getNodeList();
    for (int i = 0; i < nodeList.size(); i++) {
      NodeProto n = nodeList.get(i);
      ns.add(new OnnxNode(i, n.getName(), n.getDomain(), n.getOpType(), n.getInputList(), n.getOutputList()));
    }
    this.nodes = List.copyOf(ns);
    Set<String> inits = new HashSet<>();
    proto.getGraph().getInitializerList().forEach(t -> inits.add(t.getName()));
    this.initializerNames = Collections.unmodifiableSet(inits);
  }

  // ---------------------------------------------------------------- reading

  /**
   * Reads a .onnx file. External data initializers are read from files in the model's directory (never outside it),
   * with their offset and length checked against the file size. Any problem is a {@link ModelFormatException} (INPUT).
   */
  public static OnnxModel read(Path file) {
    byte[] bytes;
    try {
      long size = ModelFormatException.requireRegular(file);
      if (size == 0) {
        throw new ModelFormatException(file + " is empty", 0);
      }
      if (size >= MAX_PROTO_BYTES) {
        throw new ModelFormatException(file + " is " + size + " bytes; protobuf cannot read 2 GiB or more in one "
            + "message (save the weights as external data)", -1);
      }
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new ModelFormatException("no such file: " + file, -1);
    } catch (IOException e) {
      throw new ModelFormatException("cannot read " + file + ": " + e.getMessage(), -1);
    }
    Path dir = file.toAbsolutePath().getParent();
    return parse(bytes, dir, file.toString());
  }

  /** Reads a model from bytes; a model with external data is rejected (it needs a directory: use {@link #read(Path)}). */
  public static OnnxModel read(byte[] bytes) {
    return parse(bytes, null, "ONNX model bytes");
  }

  /** Reads a model from bytes, resolving external data against {@code directory}. */
  public static OnnxModel read(byte[] bytes, Path directory) {
    return parse(bytes, directory.toAbsolutePath(), "ONNX model bytes");
  }

  /** Wraps a proto built in memory (after the same checks as a file). */
  public static OnnxModel of(ModelProto proto) {
    return new OnnxModel(validate(resolveExternal(proto, null, "model"), "model"));
  }

  private static OnnxModel parse(byte[] bytes, Path dir, String what) {
    if (bytes.length == 0) {
      throw new ModelFormatException(what + " is empty", 0);
    }
    if (bytes.length >= 8 && new String(bytes, 4, 4, StandardCharsets.ISO_8859_1).equals("TFL3")) {
      throw new ModelFormatException(what + " is a TFLite flatbuffer (identifier TFL3), not an ONNX model", 4);
    }
    CodedInputStream in = CodedInputStream.newInstance(bytes);
    ModelProto proto;
    try {
      proto = ModelProto.parseFrom(in);
    } catch (InvalidProtocolBufferException e) {
      throw new ModelFormatException(what + " is not a valid ONNX protobuf (" + firstLine(e.getMessage())
          + "; truncated or not an .onnx file?)", in.getTotalBytesRead());
    } catch (IOException | RuntimeException e) {
      throw new ModelFormatException(what + " is not a valid ONNX protobuf: " + firstLine(e.getMessage()),
          in.getTotalBytesRead());
    }
    return new OnnxModel(validate(resolveExternal(proto, dir, what), what));
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "no detail";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  /** The checks that tell an ONNX model from bytes that happen to parse as protobuf. */
  private static ModelProto validate(ModelProto proto, String what) {
    if (!proto.hasGraph()) {
      throw new ModelFormatException(what + " has no graph: not an ONNX model, or truncated before the graph", -1);
    }
    if (proto.getIrVersion() <= 0) {
      throw new ModelFormatException(what + " has no ir_version: not an ONNX model", -1);
    }
    if (proto.getOpsetImportCount() == 0) {
      throw new ModelFormatException(what + " has no opset_import: truncated, or not an ONNX model", -1);
    }
    GraphProto g = proto.getGraph();
    for (int i = 0; i < g.getNodeCount(); i++) {
      if (g.getNode(i).getOpType().isEmpty()) {
        throw new ModelFormatException(what + ": node #" + i + " has no op_type", -1);
      }
    }
    for (TensorProto t : g.getInitializerList()) {
      if (t.getName().isEmpty()) {
        throw new ModelFormatException(what + ": an initializer has no name", -1);
      }
      try {
        OnnxTensors.checkConsistent(t);
      } catch (ModelFormatException e) {
        throw new ModelFormatException(what + ": " + e.getMessage(), -1); // the message has the offset
      }
    }
    return proto;
  }

  // ---------------------------------------------------------------- external data

  /** Every external tensor of the model, wherever it sits, inlined from the model's folder (see {@link ExternalData}). */
  private static ModelProto resolveExternal(ModelProto proto, Path dir, String what) {
    return ExternalData.inline(proto, dir, what);
  }

  // ---------------------------------------------------------------- writing

  /** The serialized model (all data inline). */
  public byte[] toBytes() {
    requireData();
    long size = proto.getSerializedSize();
    if (size < 0 || size >= MAX_PROTO_BYTES) {
      throw CrossalignException.unsupported("model serializes to 2 GiB or more; write it with external data");
    }
    return proto.toByteArray();
  }

  /** Writes the model with all data inline, atomically (a temp file in the same directory, then a move). */
  public void write(Path file) {
    requireData();
    byte[] bytes = toBytes();
    atomicWrite(file, out -> out.write(bytes));
  }

  /**
   * Writes the model with each initializer of at least {@code minBytes} bytes moved into {@code dataFileName}, a file
   * next to the model (a plain file name, no directories). Both files are written atomically, the data file first.
   */
  public void writeWithExternalData(Path file, String dataFileName, long minBytes) {
    requireData();
    if (dataFileName.isEmpty() || dataFileName.contains("/") || dataFileName.contains("\\")
        || dataFileName.equals(".") || dataFileName.equals("..")) {
      throw CrossalignException.input("external data file name must be a plain file name, got '" + dataFileName + "'");
    }
    Path dir = file.toAbsolutePath().getParent();
    GraphProto.Builder gb = proto.getGraph().toBuilder();
    List<ByteString> chunks = new ArrayList<>();
    long offset = 0;
    for (int i = 0; i < gb.getInitializerCount(); i++) {
      TensorProto t = gb.getInitializer(i);
      if (t.getRawData().isEmpty() && OnnxTypes.dtype(t.getDataType()).isPresent()) {
        t = OnnxTensors.toProto(t.getName(), OnnxTensors.toHost(t));
      }
      ByteString raw = t.getRawData();
      if (raw.isEmpty() || raw.size() < minBytes) {
        continue;
      }
      gb.setInitializer(i, t.toBuilder()
          .clearRawData()
          .setDataLocation(TensorProto.DataLocation.EXTERNAL)
          .addExternalData(entry("location", dataFileName))
          .addExternalData(entry("offset", Long.toString(offset)))
          .addExternalData(entry("length", Long.toString(raw.size())))
          .build());
      chunks.add(raw);
      offset += raw.size();
    }
    ModelProto external = proto.toBuilder().setGraph(gb).build();
    if (external.getSerializedSize() < 0) {
      throw CrossalignException.unsupported("model graph without its weights still serializes to 2 GiB or more");
    }
    atomicWrite(dir.resolve(dataFileName), out -> {
      for (ByteString c : chunks) {
        c.writeTo(out);
      }
    });
    byte[] bytes = external.toByteArray();
    atomicWrite(file, out -> out.write(bytes));
  }

  private static StringStringEntryProto entry(String k, String v) {
    return StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
  }

  private static void atomicWrite(Path file, dev.crossalign.tensor.AtomicFiles.Body body) {
    dev.crossalign.tensor.AtomicFiles.replace(file, body);
  }

  // ---------------------------------------------------------------- accessors

  /** The model as protobuf (all tensor data inline). */
  public ModelProto proto() {
    requireData();
    return proto;
  }

  /**
   * The same model with the main graph's initializers' data let go (their names, types and dims, and everything else,
   * kept): for a holder whose session already has the weights and reads only the graph (ONNX Runtime's backend:
   * inputs, outputs, nodes, layouts), so the weights are not held twice, once natively and once on the heap
   * (pose_landmark_heavy: 52 MB). {@link #proto}, {@link #initializer} and the writers refuse it.
   */
  public OnnxModel structureOnly() {
    GraphProto.Builder g = proto.getGraph().toBuilder();
    for (int i = 0; i < g.getInitializerCount(); i++) {
      TensorProto t = g.getInitializer(i);
      g.setInitializer(i, TensorProto.newBuilder().setName(t.getName()).setDataType(t.getDataType())
          .addAllDims(t.getDimsList()).build());
    }
    return new OnnxModel(proto.toBuilder().setGraph(g).build(), true);
  }

  private void requireData() {
    if (structureOnly) {
      throw new IllegalStateException("this ONNX model's weights were let go (structureOnly): its session holds them");
    }
  }

  public long irVersion() {
    return proto.getIrVersion();
  }

  public String producerName() {
    return proto.getProducerName();
  }

  /** Opset version per domain; the default ONNX domain is "" (an "ai.onnx" entry is reported as ""). */
  public Map<String, Long> opsetImports() {
    Map<String, Long> m = new LinkedHashMap<>();
    for (OperatorSetIdProto o : proto.getOpsetImportList()) {
      m.put(o.getDomain().equals("ai.onnx") ? "" : o.getDomain(), o.getVersion());
    }
    return Collections.unmodifiableMap(m);
  }

  /** Version of the default ONNX domain, or -1 when it is not imported. */
  public long opset() {
    return opsetImports().getOrDefault("", -1L);
  }

  /** Inputs to feed: graph inputs that are not initializers (old models list their weights as inputs too). */
  public List<OnnxValueInfo> inputs() {
    List<OnnxValueInfo> l = new ArrayList<>();
    for (ValueInfoProto v : proto.getGraph().getInputList()) {
      if (!initializerNames.contains(v.getName())) {
        l.add(info(v));
      }
    }
    return List.copyOf(l);
  }

  public List<OnnxValueInfo> outputs() {
    return proto.getGraph().getOutputList().stream().map(OnnxModel::info).toList();
  }

  /** Main-graph nodes in file order. */
  public List<OnnxNode> nodes() {
    return nodes;
  }

  /** Type and shape the model declares for a value (graph input, output or value_info), if any. */
  public Optional<OnnxValueInfo> valueInfo(String name) {
    GraphProto g = proto.getGraph();
    for (List<ValueInfoProto> list : List.of(g.getInputList(), g.getOutputList(), g.getValueInfoList())) {
      for (ValueInfoProto v : list) {
        if (v.getName().equals(name) && v.hasType()) {
          return Optional.of(info(v));
        }
      }
    }
    return Optional.empty();
  }

  /** Initializer names in file order. */
  public List<String> initializerNames() {
    return proto.getGraph().getInitializerList().stream().map(TensorProto::getName).toList();
  }

  public boolean isInitializer(String name) {
    return initializerNames.contains(name);
  }

  /** One initializer as a HostTensor (layout ANY); UNSUPPORTED for element types no DType holds. */
  public HostTensor initializer(String name) {
    requireData();
    for (TensorProto t : proto.getGraph().getInitializerList()) {
      if (t.getName().equals(name)) {
        return OnnxTensors.toHost(t);
      }
    }
    throw CrossalignException.input("no initializer named '" + name + "'; the model has " + initializerNames());
  }

  /** All initializers in file order (copies); UNSUPPORTED when one has an element type no DType holds. */
  public Map<String, HostTensor> initializers() {
    Map<String, HostTensor> m = new LinkedHashMap<>();
    for (TensorProto t : proto.getGraph().getInitializerList()) {
      m.put(t.getName(), OnnxTensors.toHost(t));
    }
    return Collections.unmodifiableMap(m);
  }

  /** Model metadata_props in file order. */
  public Map<String, String> metadata() {
    return metadata;
  }

  /**
   * The layout of a tensor of rank {@code rank}: its own metadata entry, else for rank 4 the model default (NCHW when
   * absent), else ANY. Unreadable metadata values count as ANY.
   */
  public Layout layoutOf(String tensor, int rank) {
    Map<String, String> meta = metadata;
    String own = meta.get(META_LAYOUT_PREFIX + tensor);
    if (own != null) {
      return parseLayout(own);
    }
    if (rank != 4) {
      return Layout.ANY;
    }
    String def = meta.get(META_LAYOUT);
    return def == null ? Layout.NCHW : parseLayout(def);
  }

  private static Layout parseLayout(String s) {
    try {
      return Layout.valueOf(s.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return Layout.ANY;
    }
  }

  static OnnxValueInfo info(ValueInfoProto v) {
    if (!v.hasType() || !v.getType().hasTensorType()) {
      return new OnnxValueInfo(v.getName(), 0, null);
    }
    TypeProto.Tensor tt = v.getType().getTensorType();
    List<Long> dims = null;
    if (tt.hasShape()) {
      dims = new ArrayList<>();
      for (TensorShapeProto.Dimension d : tt.getShape().getDimList()) {
        dims.add(d.hasDimValue() && d.getDimValue() >= 0 ? d.getDimValue() : -1L);
      }
    }
    return new OnnxValueInfo(v.getName(), tt.getElemType(), dims);
  }

  @Override
  public String toString() {
    return "OnnxModel[ir " + irVersion() + ", opset " + opsetImports() + ", " + nodes.size() + " nodes, producer '"
        + producerName() + "']";
  }
}
