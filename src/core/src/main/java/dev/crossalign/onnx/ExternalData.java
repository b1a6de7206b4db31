package dev.crossalign.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.FunctionProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.SparseTensorProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TrainingInfoProto;
import com.google.protobuf.ByteString;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.ModelFormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Confinement of ONNX external data. Every {@link TensorProto} of a model whose data_location is EXTERNAL, wherever it
 * sits (graph initializers, sparse initializers' values and indices, tensor attributes of any node such as Constant's
 * value, subgraphs of If/Loop/Scan at any depth, model-local functions, training info), is read from a regular file
 * inside the model's own folder and inlined, or the model is refused naming the tensor, its node and the location.
 *
 * <p>Why the whole model: ONNX Runtime, given a model as bytes, resolves the external data it finds against the
 * process's current directory, wherever in the model the tensor sits; a model that still referenced a file when it
 * reached ONNX Runtime could read any file the process can (its bytes then show up in reports). After
 * {@link #inline} nothing in the model refers to a file, and {@link #firstReference} lets the one place that creates
 * ONNX Runtime sessions check that again.
 */
public final class ExternalData {
  /** Op types whose attributes name files that some ONNX Runtime execution providers open (EPContext's cache). */
  private static final String EP_CONTEXT = "EPContext";

  private final Path dir;
  private final String what;

  private ExternalData(Path dir, String what) {
    this.dir = dir;
    this.what = what;
  }

  /**
   * The model with every external tensor read in from {@code dir} (the model's folder; null when the model came
   * without one, and then any external tensor is refused). Returns {@code proto} itself when nothing is external.
   */
  static ModelProto inline(ModelProto proto, Path dir, String what) {
    if (firstReference(proto).isEmpty()) {
      return proto;
    }
    return new ExternalData(dir == null ? null : dir.toAbsolutePath().normalize(), what).model(proto);
  }

  /**
   * Where the first tensor that still points at external data sits (for example "attribute 'value' of node 'c1'
   * (Constant)"), or empty when the model is self-contained. Reads no file.
   */
  public static Optional<String> firstReference(ModelProto proto) {
    return new Finder().model(proto);
  }

  // ------------------------------------------------------------------ the walk that inlines

  private ModelProto model(ModelProto p) {
    ModelProto.Builder b = p.toBuilder();
    b.setGraph(graph(p.getGraph(), ""));
    for (int i = 0; i < p.getFunctionsCount(); i++) {
      b.setFunctions(i, function(p.getFunctions(i)));
    }
    for (int i = 0; i < p.getTrainingInfoCount(); i++) {
      TrainingInfoProto t = p.getTrainingInfo(i);
      b.setTrainingInfo(i, t.toBuilder()
          .setInitialization(graph(t.getInitialization(), " in training_info #" + i + " initialization"))
          .setAlgorithm(graph(t.getAlgorithm(), " in training_info #" + i + " algorithm")));
    }
    return b.build();
  }

  private FunctionProto function(FunctionProto f) {
    String in = " in function '" + f.getName() + "'";
    FunctionProto.Builder b = f.toBuilder();
    for (int i = 0; i < f.getNodeCount(); i++) {
      b.setNode(i, node(f.getNode(i), in));
    }
    for (int i = 0; i < f.getAttributeProtoCount(); i++) {
      AttributeProto a = f.getAttributeProto(i);
      b.setAttributeProto(i, attribute(a, "default of attribute '" + a.getName() + "'" + in));
    }
    return b.build();
  }

  /** {@code in} says where the graph sits ("" for the main graph, " in attribute 'then_branch' of node ..."). */
  private GraphProto graph(GraphProto g, String in) {
    GraphProto.Builder b = g.toBuilder();
    for (int i = 0; i < g.getInitializerCount(); i++) {
      TensorProto t = g.getInitializer(i);
      b.setInitializer(i, tensor(t, "initializer '" + t.getName() + "'" + in));
    }
    for (int i = 0; i < g.getSparseInitializerCount(); i++) {
      b.setSparseInitializer(i, sparse(g.getSparseInitializer(i), "sparse initializer", in));
    }
    for (int i = 0; i < g.getNodeCount(); i++) {
      b.setNode(i, node(g.getNode(i), in));
    }
    return b.build();
  }

  private NodeProto node(NodeProto n, String in) {
    if (n.getOpType().equals(EP_CONTEXT)) {
      throw new ModelFormatException(what + ": " + Finder.nodeName(n) + in + " is a precompiled EPContext node, which "
          + "may name a cache file outside the model; crossalign runs only plain ONNX graphs", -1);
    }
    NodeProto.Builder b = n.toBuilder();
    for (int i = 0; i < n.getAttributeCount(); i++) {
      AttributeProto a = n.getAttribute(i);
      b.setAttribute(i, attribute(a, "attribute '" + a.getName() + "' of " + Finder.nodeName(n) + in));
    }
    return b.build();
  }

  private AttributeProto attribute(AttributeProto a, String where) {
    AttributeProto.Builder b = a.toBuilder();
    if (a.hasT()) {
      b.setT(tensor(a.getT(), where));
    }
    for (int i = 0; i < a.getTensorsCount(); i++) {
      b.setTensors(i, tensor(a.getTensors(i), "tensor #" + i + " of " + where));
    }
    if (a.hasSparseTensor()) {
      b.setSparseTensor(sparse(a.getSparseTensor(), "sparse tensor", " of " + where));
    }
    for (int i = 0; i < a.getSparseTensorsCount(); i++) {
      b.setSparseTensors(i, sparse(a.getSparseTensors(i), "sparse tensor #" + i, " of " + where));
    }
    if (a.hasG()) {
      b.setG(graph(a.getG(), " in " + where));
    }
    for (int i = 0; i < a.getGraphsCount(); i++) {
      b.setGraphs(i, graph(a.getGraphs(i), " in graph #" + i + " of " + where));
    }
    return b.build();
  }

  private SparseTensorProto sparse(SparseTensorProto s, String kind, String in) {
    String name = s.getValues().getName().isEmpty() ? "" : " '" + s.getValues().getName() + "'";
    return s.toBuilder()
        .setValues(tensor(s.getValues(), "values of " + kind + name + in))
        .setIndices(tensor(s.getIndices(), "indices of " + kind + name + in))
        .build();
  }

  private TensorProto tensor(TensorProto t, String where) {
    if (t.getDataLocation() != TensorProto.DataLocation.EXTERNAL) {
      return t;
    }
    String w = what + ": external data of " + where;
    if (dir == null) {
      throw new ModelFormatException(w + ": the model came without its folder; read it from its file "
          + "(OnnxModel.read(Path)) so that external data can be found", -1);
    }
    return load(t, w);
  }

  /** Reads one tensor's bytes from a regular file inside {@link #dir}; the file is opened only after every check. */
  private TensorProto load(TensorProto t, String w) {
    Map<String, String> kv = new LinkedHashMap<>();
    for (StringStringEntryProto e : t.getExternalDataList()) {
      kv.put(e.getKey(), e.getValue());
    }
    String location = kv.get("location");
    if (location == null || location.isEmpty()) {
      throw new ModelFormatException(w + " has no location", -1);
    }
    String at = w + ": location '" + shown(location) + "'";
    int elemSize = OnnxTypes.byteSize(t.getDataType());
    if (elemSize <= 0) {
      throw new ModelFormatException(w + ": element type " + OnnxTypes.name(t.getDataType())
          + " cannot be read from external data", -1);
    }
    long expected;
    try {
      expected = Math.multiplyExact(HostTensor.numel(OnnxTensors.shapeOf(t)), (long) elemSize);
    } catch (ArithmeticException | IllegalArgumentException e) {
      throw new ModelFormatException(w + ": dims " + t.getDimsList() + " are not a tensor that can be held", -1);
    }
    long offset = parseLong(kv.getOrDefault("offset", "0"), w, "offset");
    long length = kv.containsKey("length") ? parseLong(kv.get("length"), w, "length") : expected;
    if (length != expected) {
      throw new ModelFormatException(w + ": length " + length + " bytes, but dims " + t.getDimsList() + " of "
          + OnnxTypes.name(t.getDataType()) + " need " + expected, -1);
    }
    Path real = confined(location, at);
    Path target = dir.resolve(Path.of(location)).normalize();
    if (length > Integer.MAX_VALUE - 8) {
      throw new ModelFormatException(w + ": " + length + " bytes is too large for one tensor", offset);
    }
    try (FileChannel ch = FileChannel.open(real, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
      long fileSize = ch.size();
      if (offset > fileSize || length > fileSize - offset) {
        throw new ModelFormatException(w + ": offset " + offset + " + length " + length + " runs past the end of "
            + target.getFileName() + " (" + fileSize + " bytes)", offset);
      }
      ByteBuffer buf = ByteBuffer.allocate((int) length);
      long pos = offset;
      while (buf.hasRemaining()) {
        int r = ch.read(buf, pos);
        if (r < 0) {
          throw new ModelFormatException(w + ": " + target.getFileName() + " ended early", pos);
        }
        pos += r;
      }
      buf.flip();
      return t.toBuilder()
          .clearExternalData()
          .setDataLocation(TensorProto.DataLocation.DEFAULT)
          .setRawData(ByteString.copyFrom(buf))
          .build();
    } catch (IOException e) {
      throw new ModelFormatException(w + ": cannot read " + target + ": " + e.getMessage(), -1);
    }
  }

  /**
   * The regular file {@code location} names inside {@link #dir}: relative, not leaving the directory by name or
   * through a link, existing, and a regular file (a FIFO would block the open, a device read forever); refused
   * otherwise, without opening anything.
   */
  private Path confined(String location, String at) {
    Path target;
    try {
      if (location.indexOf('\0') >= 0) {
        throw new InvalidPathException(location, "NUL character");
      }
      Path rel = Path.of(location);
      if (rel.isAbsolute() || location.startsWith("/") || location.startsWith("\\")) {
        throw new ModelFormatException(at + " is absolute; it must be relative to the model directory", -1);
      }
      target = dir.resolve(rel).normalize();
    } catch (InvalidPathException e) {
      throw new ModelFormatException(at + " is not a valid path", -1);
    }
    if (!target.startsWith(dir) || target.equals(dir)) {
      throw new ModelFormatException(at + " points outside the model directory " + dir, -1);
    }
    Path real;
    try {
      real = target.toRealPath();
      if (!real.startsWith(dir.toRealPath())) {
        throw new ModelFormatException(at + " resolves (through a link) outside the model directory", -1);
      }
    } catch (NoSuchFileException e) {
      throw new ModelFormatException(at + ": file " + target + " does not exist", -1);
    } catch (IOException e) {
      throw new ModelFormatException(at + ": cannot resolve " + target + ": " + e.getMessage(), -1);
    }
    if (!Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
      // a FIFO would block the open, a device would read forever: refused without opening
      throw new ModelFormatException(at + ": " + target + " is not a regular file", -1);
    }
    return real;
  }

  /** A location as messages show it: at most 200 characters, control characters as '?'. */
  private static String shown(String location) {
    String s = location.length() > 200 ? location.substring(0, 200) + "..." : location;
    StringBuilder b = new StringBuilder(s.length());
    s.codePoints().forEach(c -> b.appendCodePoint(Character.isISOControl(c) ? '?' : c));
    return b.toString();
  }

  private static long parseLong(String s, String what, String key) {
    try {
      long v = Long.parseLong(s.trim());
      if (v < 0) {
        throw new ModelFormatException(what + ": negative " + key + " " + v, -1);
      }
      return v;
    } catch (NumberFormatException e) {
      throw new ModelFormatException(what + ": " + key + " '" + shown(s) + "' is not a number", -1);
    }
  }

  // ------------------------------------------------------------------ the walk that only looks

  /** Finds the first tensor that points at external data, or a node whose attributes name a file. */
  private static final class Finder {
    static String nodeName(NodeProto n) {
      return "node '" + n.getName() + "' (" + (n.getDomain().isEmpty() ? "" : n.getDomain() + ".") + n.getOpType()
          + ")";
    }

    Optional<String> model(ModelProto p) {
      Optional<String> r = graph(p.getGraph(), "");
      for (int i = 0; r.isEmpty() && i < p.getFunctionsCount(); i++) {
        FunctionProto f = p.getFunctions(i);
        String in = " in function '" + f.getName() + "'";
        for (int k = 0; r.isEmpty() && k < f.getNodeCount(); k++) {
          r = node(f.getNode(k), in);
        }
        for (int k = 0; r.isEmpty() && k < f.getAttributeProtoCount(); k++) {
          r = attribute(f.getAttributeProto(k), "default of attribute '" + f.getAttributeProto(k).getName() + "'" + in);
        }
      }
      for (int i = 0; r.isEmpty() && i < p.getTrainingInfoCount(); i++) {
        r = graph(p.getTrainingInfo(i).getInitialization(), " in training_info #" + i + " initialization");
        if (r.isEmpty()) {
          r = graph(p.getTrainingInfo(i).getAlgorithm(), " in training_info #" + i + " algorithm");
        }
      }
      return r;
    }

    Optional<String> graph(GraphProto g, String in) {
      for (TensorProto t : g.getInitializerList()) {
        if (external(t)) {
          return Optional.of("initializer '" + t.getName() + "'" + in);
        }
      }
      for (SparseTensorProto s : g.getSparseInitializerList()) {
        if (external(s)) {
          return Optional.of(sparse(s, "sparse initializer", in));
        }
      }
      for (NodeProto n : g.getNodeList()) {
        Optional<String> r = node(n, in);
        if (r.isPresent()) {
          return r;
        }
      }
      return Optional.empty();
    }

    Optional<String> node(NodeProto n, String in) {
      if (n.getOpType().equals(EP_CONTEXT)) {
        // its ep_cache_context may name a file an execution provider opens; crossalign never needs one
        return Optional.of(nodeName(n) + in);
      }
      for (AttributeProto a : n.getAttributeList()) {
        Optional<String> r = attribute(a, "attribute '" + a.getName() + "' of " + nodeName(n) + in);
        if (r.isPresent()) {
          return r;
        }
      }
      return Optional.empty();
    }

    Optional<String> attribute(AttributeProto a, String where) {
      if (a.hasT() && external(a.getT())) {
        return Optional.of(where);
      }
      for (int i = 0; i < a.getTensorsCount(); i++) {
        if (external(a.getTensors(i))) {
          return Optional.of("tensor #" + i + " of " + where);
        }
      }
      if (a.hasSparseTensor() && external(a.getSparseTensor())) {
        return Optional.of(sparse(a.getSparseTensor(), "sparse tensor", " of " + where));
      }
      for (int i = 0; i < a.getSparseTensorsCount(); i++) {
        if (external(a.getSparseTensors(i))) {
          return Optional.of(sparse(a.getSparseTensors(i), "sparse tensor #" + i, " of " + where));
        }
      }
      if (a.hasG()) {
        Optional<String> r = graph(a.getG(), " in " + where);
        if (r.isPresent()) {
          return r;
        }
      }
      for (int i = 0; i < a.getGraphsCount(); i++) {
        Optional<String> r = graph(a.getGraphs(i), " in graph #" + i + " of " + where);
        if (r.isPresent()) {
          return r;
        }
      }
      return Optional.empty();
    }

    private static boolean external(TensorProto t) {
      return t.getDataLocation() == TensorProto.DataLocation.EXTERNAL;
    }

    /** Names the part of a sparse tensor that is external, the way the inlining walk does. */
    private static String sparse(SparseTensorProto s, String kind, String in) {
      String name = s.getValues().getName().isEmpty() ? "" : " '" + s.getValues().getName() + "'";
      return (external(s.getValues()) ? "values of " : "indices of ") + kind + name + in;
    }

    private static boolean external(SparseTensorProto s) {
      return external(s.getValues()) || external(s.getIndices());
    }
  }
}
