package dev.crossalign.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.FunctionProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.SparseTensorProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.google.protobuf.ByteString;
import dev.crossalign.CrossalignException;
import dev.crossalign.backend.onnx.OrtBackend;
import dev.crossalign.backend.onnx.OrtOptions;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.testutil.FifoCanary;
import dev.crossalign.ModelFormatException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * External data of an ONNX model is read only from regular files inside the model's own folder, wherever in the
 * model the tensor sits; a location that leads anywhere else is refused before any file there is opened. "Never
 * opened" is observed with a FIFO canary at the place the location leads to (see {@link FifoCanary}).
 *
 * <p>Each model computes y = x + c for a float[2] c that sits in one of the places ONNX allows tensors: the closed form
 * with c = {7, 8} read from the model's folder is the oracle that the inlined bytes are the right ones.
 */
public class ExternalDataConfinementTest {
  @TempDir Path dir;

  static final float[] C = {7f, 8f};

  /** Where in the model the external tensor c sits. */
  public enum Kind {
    INITIALIZER("initializer 'c'", loc -> graph(List.of(ext("c", loc)), List.of(), List.of(add()))),
    CONSTANT_VALUE("attribute 'value' of node 'c1' (Constant)",
        loc -> graph(List.of(), List.of(), List.of(constant("c1", "c", ext("cv", loc)), add()))),
    CONSTANT_SPARSE_VALUE("attribute 'sparse_value' of node 'c1' (Constant)",
        loc -> graph(List.of(), List.of(), List.of(NodeProto.newBuilder().setName("c1").setOpType("Constant")
            .addOutput("c").addAttribute(AttributeProto.newBuilder().setName("sparse_value")
                .setType(AttributeProto.AttributeType.SPARSE_TENSOR).setSparseTensor(sparse("sv", loc))).build(),
            add()))),
    SUBGRAPH_CONSTANT("attribute 'value' of node 'c2' (Constant) in attribute 'then_branch' of node 'if1' (If)",
        loc -> {
          GraphProto thenG = GraphProto.newBuilder().setName("then")
              .addNode(constant("c2", "tc", ext("tcv", loc))).addOutput(vi("tc", TensorProto.DataType.FLOAT_VALUE, 2))
              .build();
          GraphProto elseG = GraphProto.newBuilder().setName("else")
              .addNode(constant("c3", "ec", inline("ecv", 0f, 0f))).addOutput(vi("ec", TensorProto.DataType.FLOAT_VALUE, 2))
              .build();
          TensorProto cond = TensorProto.newBuilder().setName("cond").setDataType(TensorProto.DataType.BOOL_VALUE)
              .setRawData(ByteString.copyFrom(new byte[] {1})).build();
          NodeProto ifNode = NodeProto.newBuilder().setName("if1").setOpType("If").addInput("cond").addOutput("c")
              .addAttribute(AttributeProto.newBuilder().setName("then_branch").setType(AttributeProto.AttributeType.GRAPH)
                  .setG(thenG))
              .addAttribute(AttributeProto.newBuilder().setName("else_branch").setType(AttributeProto.AttributeType.GRAPH)
                  .setG(elseG))
              .build();
          return graph(List.of(cond), List.of(), List.of(ifNode, add()));
        }),
    SPARSE_INITIALIZER("values of sparse initializer 'c'",
        loc -> graph(List.of(), List.of(sparse("c", loc)), List.of(add()))),
    FUNCTION_CONSTANT("attribute 'value' of node 'fc' (Constant) in function 'AddC'", loc -> null);

    final String where;
    final Function<String, GraphProto> graph;

    Kind(String where, Function<String, GraphProto> graph) {
      this.where = where;
      this.graph = graph;
    }

    public ModelProto model(String location) {
      if (this == FUNCTION_CONSTANT) {
        // a model-local function whose body holds the Constant; the main graph calls it
        FunctionProto f = FunctionProto.newBuilder().setName("AddC").setDomain("local").addInput("fx").addOutput("fy")
            .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17))
            .addNode(constant("fc", "fcv", ext("fct", location)))
            .addNode(NodeProto.newBuilder().setName("fadd").setOpType("Add").addInput("fx").addInput("fcv").addOutput("fy"))
            .build();
        GraphProto g = graph(List.of(), List.of(), List.of(NodeProto.newBuilder().setName("call").setOpType("AddC")
            .setDomain("local").addInput("x").addOutput("y").build()));
        return base(g).addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("local").setVersion(1))
            .addFunctions(f).build();
      }
      return base(graph.apply(location)).build();
    }
  }

  /** Where the location leads, and what the refusal says. */
  enum Escape {
    ABSOLUTE("is absolute"),
    DOT_DOT("points outside the model directory"),
    SYMLINK_OUT("through a link"),
    CURRENT_DIRECTORY("does not exist"),
    FIFO_INSIDE("is not a regular file");

    final String says;

    Escape(String says) {
      this.says = says;
    }
  }

  // ------------------------------------------------------------------ model pieces

  static ModelProto.Builder base(GraphProto g) {
    return ModelProto.newBuilder().setIrVersion(8).setProducerName("test")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17)).setGraph(g);
  }

  static GraphProto graph(List<TensorProto> inits, List<SparseTensorProto> sparse, List<NodeProto> nodes) {
    return GraphProto.newBuilder().setName("main")
        .addInput(vi("x", TensorProto.DataType.FLOAT_VALUE, 2))
        .addAllInitializer(inits).addAllSparseInitializer(sparse).addAllNode(nodes)
        .addOutput(vi("y", TensorProto.DataType.FLOAT_VALUE, 2))
        .build();
  }

  static NodeProto add() {
    return NodeProto.newBuilder().setName("add").setOpType("Add").addInput("x").addInput("c").addOutput("y").build();
  }

  static NodeProto constant(String name, String output, TensorProto value) {
    return NodeProto.newBuilder().setName(name).setOpType("Constant").addOutput(output)
        .addAttribute(AttributeProto.newBuilder().setName("value").setType(AttributeProto.AttributeType.TENSOR).setT(value))
        .build();
  }

  static ValueInfoProto vi(String name, int elemType, long dim) {
    return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
        TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(TensorShapeProto.newBuilder()
            .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(dim))))).build();
  }

  static TensorProto ext(String name, String location) {
    return TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE).addDims(2)
        .setDataLocation(TensorProto.DataLocation.EXTERNAL)
        .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue(location))
        .addExternalData(StringStringEntryProto.newBuilder().setKey("length").setValue("8"))
        .build();
  }

  static TensorProto inline(String name, float... v) {
    return TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE).addDims(v.length)
        .setRawData(ByteString.copyFrom(floats(v))).build();
  }

  /** A dense [2] as sparse: both elements listed, the values external. */
  static SparseTensorProto sparse(String name, String location) {
    ByteBuffer idx = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(0).putLong(1);
    return SparseTensorProto.newBuilder().addDims(2).setValues(ext(name, location))
        .setIndices(TensorProto.newBuilder().setName(name + "_indices").setDataType(TensorProto.DataType.INT64_VALUE)
            .addDims(2).setRawData(ByteString.copyFrom(idx.array())))
        .build();
  }

  static byte[] floats(float... v) {
    ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(v);
    return b.array();
  }

  static float[] runOnOrt(OnnxModel m) {
    try (OrtBackend b = OrtBackend.open(m, OrtOptions.DEFAULT.withCaptureIntermediates(false))) {
      return b.run(Map.of("x", HostTensor.ofFloats(new int[] {2}, Layout.ANY, new float[] {1f, 2f}))).tensor("y")
          .toFloatArray();
    }
  }

  // ------------------------------------------------------------------ data inside the folder is inlined

  @ParameterizedTest
  @EnumSource(Kind.class)
  void externalDataInTheModelsFolderIsInlinedWhereverItSits(Kind kind) throws IOException {
    Path m = Files.createDirectories(dir.resolve("m"));
    Files.write(m.resolve("c.bin"), floats(C));
    assertThat(ExternalData.firstReference(kind.model("c.bin"))).as("the raw model refers to a file").isPresent()
        .get().asString().contains(kind.where);
    Path f = Files.write(m.resolve("model.onnx"), kind.model("c.bin").toByteArray());
    OnnxModel model = OnnxModel.read(f);
    assertThat(ExternalData.firstReference(model.proto())).as("nothing external is left").isEmpty();
    // y = x + c, computed by ONNX Runtime from the inlined bytes
    assertThat(runOnOrt(model)).containsExactly(1f + C[0], 2f + C[1]);
  }

  // ------------------------------------------------------------------ data outside is refused, never opened

  static Stream<Arguments> escapes() {
    List<Arguments> l = new ArrayList<>();
    for (Kind k : Kind.values()) {
      for (Escape e : Escape.values()) {
        l.add(Arguments.of(k, e));
      }
    }
    return l.stream();
  }

  @ParameterizedTest
  @MethodSource("escapes")
  void aLocationThatLeavesTheModelsFolderIsRefusedWithoutOpeningTheFile(Kind kind, Escape escape) throws Exception {
    Path m = Files.createDirectories(dir.resolve("m"));
    Path outside = Files.createDirectories(dir.resolve("outside"));
    Path cwdDir = null;
    Path fifo;
    String location;
    switch (escape) {
      case ABSOLUTE -> {
        fifo = outside.resolve("secret");
        location = fifo.toString();
      }
      case DOT_DOT -> {
        fifo = outside.resolve("secret");
        location = "../outside/secret";
      }
      case SYMLINK_OUT -> {
        fifo = outside.resolve("secret");
        location = "link.bin";
      }
      case CURRENT_DIRECTORY -> {
        // what ONNX Runtime alone would resolve the location against: this process's current directory
        String name = "confinement-" + UUID.randomUUID();
        cwdDir = Files.createDirectories(Path.of("target", name).toAbsolutePath());
        fifo = cwdDir.resolve("secret");
        location = "target/" + name + "/secret";
      }
      case FIFO_INSIDE -> {
        fifo = m.resolve("secret");
        location = "secret";
      }
      default -> throw new AssertionError(escape);
    }
    try (FifoCanary canary = FifoCanary.create(fifo)) {
      if (escape == Escape.SYMLINK_OUT) {
        Files.createSymbolicLink(m.resolve("link.bin"), fifo);
      }
      Path f = Files.write(m.resolve("model.onnx"), kind.model(location).toByteArray());
      assertThatThrownBy(() -> OnnxModel.read(f))
          .isInstanceOf(ModelFormatException.class)
          .satisfies(e -> assertThat(((CrossalignException) e).kind()).isEqualTo(CrossalignException.Kind.INPUT))
          .hasMessageContaining(kind.where)
          .hasMessageContaining(escape.says)
          .hasMessageContaining("location '" + location + "'")
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
      assertThat(canary.opened()).as("the file the location leads to was opened").isFalse();
    } finally {
      if (cwdDir != null) {
        Files.deleteIfExists(cwdDir);
      }
    }
  }

  /** The rarer places a tensor can sit: lists of tensors, sparse indices, graph lists, training info, defaults. */
  static Stream<Arguments> rarePlaces() {
    AttributeProto.Builder ts = AttributeProto.newBuilder().setName("ts").setType(AttributeProto.AttributeType.TENSORS);
    AttributeProto.Builder ss = AttributeProto.newBuilder().setName("ss")
        .setType(AttributeProto.AttributeType.SPARSE_TENSORS);
    AttributeProto.Builder gs = AttributeProto.newBuilder().setName("gs").setType(AttributeProto.AttributeType.GRAPHS);
    Function<String, ModelProto> tensors = loc -> withNode(NodeProto.newBuilder().setName("n").setOpType("Custom")
        .setDomain("x").addAttribute(ts.clone().addTensors(inline("a", 1f, 2f)).addTensors(ext("b", loc))).build());
    Function<String, ModelProto> sparseIndices = loc -> {
      SparseTensorProto sp = SparseTensorProto.newBuilder().addDims(2).setValues(inline("v", 1f, 2f))
          .setIndices(ext("i", loc).toBuilder().setDataType(TensorProto.DataType.INT64_VALUE)
              .setExternalData(1, StringStringEntryProto.newBuilder().setKey("length").setValue("16"))).build();
      return withNode(NodeProto.newBuilder().setName("n").setOpType("Custom").setDomain("x")
          .addAttribute(ss.clone().addSparseTensors(sp)).build());
    };
    Function<String, ModelProto> graphs = loc -> withNode(NodeProto.newBuilder().setName("n").setOpType("Custom")
        .setDomain("x").addAttribute(gs.clone().addGraphs(GraphProto.newBuilder().setName("g0"))
            .addGraphs(GraphProto.newBuilder().setName("g1").addInitializer(ext("w", loc)))).build());
    Function<String, ModelProto> training = loc -> base(graph(List.of(inline("c", C)), List.of(), List.of(add())))
        .addTrainingInfo(ai.onnx.proto.OnnxMl.TrainingInfoProto.newBuilder()
            .setInitialization(GraphProto.newBuilder().setName("init").addInitializer(ext("w", loc))))
        .build();
    Function<String, ModelProto> functionDefault = loc -> base(graph(List.of(inline("c", C)), List.of(), List.of(add())))
        .addFunctions(FunctionProto.newBuilder().setName("F").setDomain("local")
            .addAttributeProto(AttributeProto.newBuilder().setName("k").setType(AttributeProto.AttributeType.TENSOR)
                .setT(ext("k", loc))))
        .build();
    return Stream.of(
        Arguments.of("tensor #1 of attribute 'ts' of node 'n' (x.Custom)", tensors),
        Arguments.of("indices of sparse tensor #0 'v' of attribute 'ss' of node 'n' (x.Custom)", sparseIndices),
        Arguments.of("initializer 'w' in graph #1 of attribute 'gs' of node 'n' (x.Custom)", graphs),
        Arguments.of("initializer 'w' in training_info #0 initialization", training),
        Arguments.of("default of attribute 'k' in function 'F'", functionDefault));
  }

  private static ModelProto withNode(NodeProto n) {
    return base(graph(List.of(inline("c", C)), List.of(), List.of(add(), n))).build();
  }

  @ParameterizedTest
  @MethodSource("rarePlaces")
  void externalDataInRarerPlacesIsFoundAndRefusedToo(String where, Function<String, ModelProto> model)
      throws Exception {
    try (FifoCanary canary = FifoCanary.create(Files.createDirectories(dir.resolve("outside")).resolve("secret"))) {
      ModelProto p = model.apply(canary.path().toString());
      assertThat(ExternalData.firstReference(p)).contains(where);
      Path f = Files.write(Files.createDirectories(dir.resolve("m")).resolve("model.onnx"), p.toByteArray());
      assertThatThrownBy(() -> OnnxModel.read(f)).isInstanceOf(ModelFormatException.class)
          .hasMessageContaining(where).hasMessageContaining("is absolute");
      assertThat(canary.opened()).isFalse();
    }
  }

  @Test
  void theCanaryNoticesAnOpen() throws Exception {
    try (FifoCanary canary = FifoCanary.create(dir.resolve("fifo"))) {
      assertThat(canary.opened()).isFalse();
      try (InputStream in = Files.newInputStream(canary.path())) {
        assertThat(in.readAllBytes()).hasSize(64);
      }
      assertThat(canary.opened()).isTrue();
    }
  }

  /**
   * The hole this closes, shown on ONNX Runtime alone: given the model as bytes, it reads a Constant's external data
   * from the current directory (the bytes of a file next to the process, not next to the model, become c).
   */
  @Test
  void onnxRuntimeAloneResolvesExternalDataAgainstTheCurrentDirectory() throws Exception {
    String name = "confinement-" + UUID.randomUUID();
    Path cwdDir = Files.createDirectories(Path.of("target", name).toAbsolutePath());
    try {
      Files.write(cwdDir.resolve("leak.bin"), floats(C));
      byte[] bytes = Kind.CONSTANT_VALUE.model("target/" + name + "/leak.bin").toByteArray();
      OrtEnvironment env = OrtEnvironment.getEnvironment();
      try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
        // as crossalign runs ONNX Runtime: no graph optimization, so that every node runs as written
        so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
        assertThat(runFromBytes(env, bytes, so)).containsExactly(1f + C[0], 2f + C[1]);
      }
      // crossalign, reading the same bytes from a folder of its own, looks only there
      Path f = Files.write(Files.createDirectories(dir.resolve("m")).resolve("model.onnx"), bytes);
      assertThatThrownBy(() -> OnnxModel.read(f)).isInstanceOf(ModelFormatException.class)
          .hasMessageContaining("does not exist");
    } finally {
      Files.deleteIfExists(cwdDir.resolve("leak.bin"));
      Files.deleteIfExists(cwdDir);
    }
  }

  private static float[] runFromBytes(OrtEnvironment env, byte[] bytes, OrtSession.SessionOptions so) throws Exception {
    try (OrtSession s = env.createSession(bytes, so);
        OnnxTensor x = OnnxTensor.createTensor(env, new float[] {1f, 2f});
        OrtSession.Result r = s.run(Map.of("x", x))) {
      return (float[]) r.get(0).getValue();
    }
  }

  @Test
  void aModelFromBytesWithoutAFolderIsRefusedWhereverItsExternalDataSits() {
    for (Kind k : Kind.values()) {
      byte[] bytes = k.model("c.bin").toByteArray();
      assertThatThrownBy(() -> OnnxModel.read(bytes)).as(k.name()).isInstanceOf(ModelFormatException.class)
          .hasMessageContaining(k.where).hasMessageContaining("without its folder");
    }
  }

  @Test
  void anEpContextNodeIsRefused() throws IOException {
    GraphProto g = graph(List.of(inline("c", C)), List.of(), List.of(add(), NodeProto.newBuilder().setName("ctx")
        .setOpType("EPContext").setDomain("com.microsoft").addInput("y").addOutput("z")
        .addAttribute(AttributeProto.newBuilder().setName("ep_cache_context").setType(AttributeProto.AttributeType.STRING)
            .setS(ByteString.copyFromUtf8("/etc/passwd")))
        .build()));
    Path f = Files.write(dir.resolve("ctx.onnx"), base(g).build().toByteArray());
    assertThatThrownBy(() -> OnnxModel.read(f)).isInstanceOf(ModelFormatException.class)
        .hasMessageContaining("node 'ctx' (com.microsoft.EPContext)");
  }
}
