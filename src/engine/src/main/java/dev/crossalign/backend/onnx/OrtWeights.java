package dev.crossalign.backend.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxTensorLike;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import dev.crossalign.onnx.OnnxTypes;
import dev.crossalign.tensor.DType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bytedeco.javacpp.BytePointer;

/**
 * A model's large initializers moved out of the protobuf handed to ONNX Runtime: each one's raw bytes copied once into
 * native memory this object owns and handed to the session as an external initializer ({@code
 * SessionOptions.addExternalInitializers}), so that neither serialising the model nor ONNX Runtime's parse copies the
 * weights again. ONNX Runtime reads the tensors in place for the session's whole life: close this only after the
 * session (OrtSessions.closeQuietly does, in that order). One owner; {@link #close()} frees the memory at once (not at
 * some later GC) and is idempotent.
 */
final class OrtWeights implements AutoCloseable {
  /** Initializers smaller than this stay in the protobuf (shape constants and scalars: nothing to gain). */
  static final int MIN_BYTES = 1024;

  /**
   * Where the stripped initializers say their data is: a name no file has. ONNX Runtime never reads it (every such
   * initializer is replaced by its external tensor before anything reads data; a missing one fails session creation).
   */
  static final String LOCATION = "crossalign-external-initializer-not-a-file";

  private final List<BytePointer> memory;
  private final List<OnnxTensor> tensors;
  private final Map<String, OnnxTensorLike> byName;
  private boolean closed;

  private OrtWeights(List<BytePointer> memory, List<OnnxTensor> tensors, Map<String, OnnxTensorLike> byName) {
    this.memory = memory;
    this.tensors = tensors;
    this.byName = byName;
  }

  /** A model and the weights taken out of it. */
  record Split(ModelProto proto, OrtWeights weights) {}

  /**
   * {@code proto} with every main-graph initializer of at least {@code minBytes} raw bytes (of a type ONNX Runtime's
   * Java tensors hold) that some node reads ({@link #readByNodes}) marked external and without its data, and those
   * tensors in native memory. An initializer no node reads stays inside as it was: ONNX Runtime drops such an
   * initializer when it loads the graph, before it swaps in the external ones, and then refuses an external tensor of
   * that name ("Failed to find existing initializer"). {@code proto} must have no external data of its own
   * (OrtSessions checks first).
   */
  static Split split(OrtEnvironment env, ModelProto proto, long minBytes) {
    GraphProto g = proto.getGraph();
    Set<String> read = minBytes == Long.MAX_VALUE ? Set.of() : readByNodes(g);
    List<BytePointer> memory = new ArrayList<>();
    List<OnnxTensor> tensors = new ArrayList<>();
    Map<String, OnnxTensorLike> byName = new LinkedHashMap<>();
    OrtWeights weights = new OrtWeights(memory, tensors, Collections.unmodifiableMap(byName));
    GraphProto.Builder gb = null;
    try {
      for (int i = 0; i < g.getInitializerCount(); i++) {
        TensorProto t = g.getInitializer(i);
        OnnxJavaType type = javaType(t.getDataType());
        int n = t.getRawData().size();
        if (type == null || n < minBytes || !read.contains(t.getName()) || byName.containsKey(t.getName())) {
          continue;
        }
        BytePointer p = new BytePointer((long) n);
        memory.add(p);
        ByteBuffer buf = p.position(0).limit(n).asByteBuffer().order(ByteOrder.nativeOrder());
        t.getRawData().copyTo(buf);
        buf.flip();
        long[] dims = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
        OnnxTensor tensor = OnnxTensor.createTensor(env, buf, dims, type);
        tensors.add(tensor);
        byName.put(t.getName(), tensor);
        if (gb == null) {
          gb = g.toBuilder();
        }
        gb.setInitializer(i, stripped(t, n));
      }
    } catch (OrtException e) {
      weights.close();
      throw OrtSessions.translate("onnxruntime cannot hold the model's weights", e);
    } catch (RuntimeException | Error e) {
      weights.close();
      throw e;
    }
    return new Split(gb == null ? proto : proto.toBuilder().setGraph(gb).build(), weights);
  }

  /**
   * The names the nodes of {@code g} read as inputs, with those that nodes of its subgraphs (If branches, Loop and
   * Scan bodies, nested to any depth) read from the scopes around them: a subgraph's reads of names it defines itself
   * (its inputs, initializers, node outputs) are its own. What ONNX Runtime keeps of a graph's initializers when it
   * loads it: a node's inputs and its subgraphs' outer-scope reads (its implicit inputs). A graph output or input that
   * is an initializer no node reads is not counted (kept inside the protobuf: nothing breaks either way).
   */
  static Set<String> readByNodes(GraphProto g) {
    Set<String> read = new HashSet<>();
    for (NodeProto n : g.getNodeList()) {
      for (String in : n.getInputList()) {
        if (!in.isEmpty()) {
          read.add(in);
        }
      }
      for (AttributeProto a : n.getAttributeList()) {
        if (a.hasG()) {
          read.addAll(fromOuterScope(a.getG()));
        }
        a.getGraphsList().forEach(sub -> read.addAll(fromOuterScope(sub)));
      }
    }
    return read;
  }

  /** What subgraph {@code g}'s nodes read that {@code g} does not define itself. */
  private static Set<String> fromOuterScope(GraphProto g) {
    Set<String> read = readByNodes(g);
    g.getInputList().stream().map(ValueInfoProto::getName).forEach(read::remove);
    g.getInitializerList().forEach(t -> read.remove(t.getName()));
    g.getSparseInitializerList().forEach(t -> read.remove(t.getValues().getName()));
    g.getNodeList().forEach(n -> n.getOutputList().forEach(read::remove));
    return read;
  }

  /** The tensors by initializer name, for {@code SessionOptions.addExternalInitializers}. */
  Map<String, OnnxTensorLike> byName() {
    return byName;
  }

  /** How many bytes of weights this holds. */
  long bytes() {
    long sum = 0;
    for (BytePointer p : memory) {
      sum += p.capacity();
    }
    return sum;
  }

  /** Whether the native memory has been freed. */
  boolean isClosed() {
    return closed;
  }

  /** Closes the tensors, then frees their memory; once. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    tensors.forEach(OnnxTensor::close);
    memory.forEach(BytePointer::close);
  }

  private static TensorProto stripped(TensorProto t, int n) {
    return t.toBuilder().clearRawData()
        .setDataLocation(TensorProto.DataLocation.EXTERNAL)
        .clearExternalData()
        .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue(LOCATION))
        .addExternalData(StringStringEntryProto.newBuilder().setKey("offset").setValue("0"))
        .addExternalData(StringStringEntryProto.newBuilder().setKey("length").setValue(Integer.toString(n)))
        .build();
  }

  /**
   * The Java tensor type of an ONNX data type whose raw bytes are handed over as they are; null otherwise (types no
   * DType holds, and bool, which stays inside).
   */
  private static OnnxJavaType javaType(int onnxType) {
    return OnnxTypes.dtype(onnxType).filter(d -> d != DType.BOOL).map(OrtValues::javaType).orElse(null);
  }
}
