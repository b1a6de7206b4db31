package dev.crossalign.backend.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.onnx.OnnxModel;
import dev.crossalign.onnx.OnnxValueInfo;
import dev.crossalign.port.onnx.ExportOptions;
import dev.crossalign.port.onnx.Exporter;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.testutil.TestModels;
import dev.crossalign.tflite.TfliteModel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;

/**
 * A session whose weights are external initializers on native memory (OrtWeights) runs a real exported model to the
 * same bits as a session of the self-contained protobuf (the oracle: ONNX Runtime on the model as written), every
 * intermediate fetched; the protobuf handed over no longer carries the weights; closing the handles frees them.
 */
class OrtWeightsTest {
  private static final OrtOptions CAPTURE = OrtOptions.DEFAULT;

  private static OnnxModel exported() {
    TfliteModel tflite = TfliteModel.read(TestModels.require(TestModels.SHORT_RANGE));
    return Exporter.export(tflite, ExportOptions.DEFAULT).model();
  }

  @Test
  void externalWeightsGiveTheEmbeddedSessionsOutputsBitForBit() throws OrtException {
    OnnxModel model = exported();
    OrtEnvironment env = OrtSessions.environment();
    Map<String, byte[]> embedded;
    Map<String, byte[]> external;
    OrtSessions.Handles oracle = OrtSessions.create(env, model, CAPTURE, Long.MAX_VALUE);
    try {
      assertThat(oracle.weights().bytes()).isZero();
      embedded = runAll(env, oracle.session(), model);
    } finally {
      OrtSessions.closeQuietly(oracle);
    }
    OrtSessions.Handles h = OrtSessions.create(env, model, CAPTURE);
    try {
      long initializerBytes = model.proto().getGraph().getInitializerList().stream()
          .mapToLong(t -> t.getRawData().size()).sum();
      // nearly all of the model's weights are held outside (only tensors under 1 KiB stay in)
      assertThat(h.weights().bytes()).isGreaterThan(initializerBytes * 9 / 10);
      external = runAll(env, h.session(), model);
    } finally {
      OrtSessions.closeQuietly(h);
    }
    // every node output of the model (95 on this one), not only the graph's outputs
    assertThat(embedded.keySet()).hasSizeGreaterThan(50);
    assertThat(external.keySet()).containsExactlyElementsOf(embedded.keySet());
    embedded.forEach((name, bytes) -> assertThat(Arrays.equals(external.get(name), bytes)).as(name).isTrue());
  }

  @Test
  void theProtobufHandedOverCarriesNoLargeInitializerData() {
    OnnxModel model = exported();
    OrtWeights.Split split = OrtWeights.split(OrtSessions.environment(), model.proto(), OrtWeights.MIN_BYTES);
    try (OrtWeights w = split.weights()) {
      assertThat(split.proto().getSerializedSize()).isLessThan(model.proto().getSerializedSize() / 5);
      for (TensorProto t : split.proto().getGraph().getInitializerList()) {
        boolean external = w.byName().containsKey(t.getName());
        assertThat(external).as(t.getName()).isEqualTo(
            model.proto().getGraph().getInitializerList().stream().filter(o -> o.getName().equals(t.getName()))
                .findFirst().orElseThrow().getRawData().size() >= OrtWeights.MIN_BYTES);
        if (external) {
          assertThat(t.getRawData().isEmpty()).isTrue();
          assertThat(t.getDataLocation()).isEqualTo(TensorProto.DataLocation.EXTERNAL);
        }
      }
    }
  }

  @Test
  void closingTheHandlesFreesTheWeightsAtOnce() {
    OnnxModel model = exported();
    OrtEnvironment env = OrtSessions.environment();
    OrtSessions.Handles h = OrtSessions.create(env, model, CAPTURE);
    long held = h.weights().bytes();
    assertThat(held).isGreaterThan(100_000);
    long open = Pointer.totalBytes();
    assertThat(h.weights().isClosed()).isFalse();
    assertThat(OrtSessions.closeQuietly(h)).isNull();
    assertThat(h.weights().isClosed()).isTrue();
    // JavaCPP's count of live native bytes drops by the weights on close, not at some later GC (other tests may
    // allocate meanwhile, hence at least)
    assertThat(open - Pointer.totalBytes()).isGreaterThanOrEqualTo(held);
    h.weights().close(); // idempotent
  }

  // ------------------------------------------------- initializers no node reads, and reads inside subgraphs

  /** 300 floats (1200 bytes, over MIN_BYTES), distinct per seed. */
  private static HostTensor weight(int seed) {
    float[] v = new float[300];
    Random r = new Random(seed);
    for (int i = 0; i < v.length; i++) {
      v[i] = r.nextFloat() * 4 - 2;
    }
    return HostTensor.ofFloats(new int[] {300}, Layout.ANY, v);
  }

  @Test
  void anInitializerNoNodeReadsStaysInsideAndTheSessionMatchesTheEmbeddedOne() throws OrtException {
    // ONNX Runtime drops "unused" when it loads the graph; handed over as an external tensor it would refuse the model
    // ("ReplaceInitializedTensorImpl Failed to find existing initializer with name unused")
    OnnxModel model = OnnxModel.of(new OnnxGraphBuilder("unread")
        .addInput("x", DType.FLOAT32, new int[] {300})
        .addInitializer("w", weight(1))
        .addInitializer("unused", weight(2))
        .addNode("Add", List.of("x", "w"), List.of("a"))
        .addNode("Mul", List.of("a", "w"), List.of("y"))
        .addOutput("y", DType.FLOAT32, new int[] {300})
        .buildProto());
    OrtWeights.Split split = OrtWeights.split(OrtSessions.environment(), model.proto(), OrtWeights.MIN_BYTES);
    try (OrtWeights w = split.weights()) {
      assertThat(w.byName()).containsOnlyKeys("w");
      TensorProto kept = split.proto().getGraph().getInitializer(1);
      assertThat(kept.getName()).isEqualTo("unused");
      assertThat(kept).isEqualTo(model.proto().getGraph().getInitializer(1));
    }
    assertSameBitsBothWays(model, List.of(Map.of("x", tensor(floats(300, 5)))), "w");
  }

  @Test
  void initializersAlsoListedAsGraphInputsGoOutsideAndRunToTheEmbeddedBits() throws OrtException {
    // keep_initializers_as_inputs (older exporters, IR < 4): each weight is also an optional graph input; the unread one
    // is a graph input, so ONNX Runtime keeps it, yet it stays inside like any initializer no node reads
    OnnxModel model = OnnxModel.of(new OnnxGraphBuilder("as-inputs")
        .addInput("x", DType.FLOAT32, new int[] {300})
        .addInput("w", DType.FLOAT32, new int[] {300})
        .addInput("unused", DType.FLOAT32, new int[] {300})
        .addInitializer("w", weight(9))
        .addInitializer("unused", weight(10))
        .addNode("Mul", List.of("x", "w"), List.of("y"))
        .addOutput("y", DType.FLOAT32, new int[] {300})
        .buildProto());
    assertSameBitsBothWays(model, List.of(Map.of("x", tensor(floats(300, 11)))), "w");
  }

  @Test
  void initializersReadOnlyInsideIfBranchesNestedOrNotGoOutsideAndRunToTheEmbeddedBits() throws OrtException {
    // main graph: r = If(c, then: x + w, else: If(c2, then: x * v, else: x - v)); w and v are read by no main-graph node
    ModelProto p = new OnnxGraphBuilder("if")
        .addInput("x", DType.FLOAT32, new int[] {300})
        .addInput("c", DType.BOOL, new int[] {})
        .addInput("c2", DType.BOOL, new int[] {})
        .addInitializer("w", weight(3))
        .addInitializer("v", weight(4))
        .addNode("If", List.of("c"), List.of("r"))
        .addOutput("r", DType.FLOAT32, null)
        .buildProto();
    GraphProto inner = branch("inner", node("If", List.of("c2"), "inner_out",
        graphAttr("then_branch", branch("t2", node("Mul", List.of("x", "v"), "t2_out"))),
        graphAttr("else_branch", branch("e2", node("Sub", List.of("x", "v"), "e2_out")))));
    GraphProto.Builder g = p.getGraph().toBuilder();
    g.getNodeBuilder(0)
        .addAttribute(graphAttr("then_branch", branch("t1", node("Add", List.of("x", "w"), "t1_out"))))
        .addAttribute(graphAttr("else_branch", inner));
    OnnxModel model = OnnxModel.of(p.toBuilder().setGraph(g).build());
    dev.crossalign.onnx.OnnxChecker.checkOrThrow(model);
    assertThat(OrtWeights.readByNodes(model.proto().getGraph())).containsExactlyInAnyOrder("c", "x", "w", "c2", "v");
    List<Map<String, OnnxTensor>> feeds = new java.util.ArrayList<>();
    float[] x = floats(300, 6);
    for (boolean[] cc : new boolean[][] {{true, false}, {false, true}, {false, false}}) {
      feeds.add(Map.of("x", tensor(x), "c", bool(cc[0]), "c2", bool(cc[1])));
    }
    assertSameBitsBothWays(model, feeds, "w", "v");
  }

  @Test
  void anInitializerReadOnlyInsideALoopBodyGoesOutsideAndRunsToTheEmbeddedBits() throws OrtException {
    // y = Loop(3 trips, v0 = x): each trip v = v * u + u; u is read only by the body's nodes
    ModelProto p = new OnnxGraphBuilder("loop")
        .addInput("x", DType.FLOAT32, new int[] {300})
        .addInitializer("u", weight(7))
        .addInitializer("trips", HostTensor.ofLongs(new int[] {}, Layout.ANY, new long[] {3}))
        .addInitializer("go", HostTensor.of(DType.BOOL, new int[] {}, Layout.ANY,
            ByteBuffer.wrap(new byte[] {1})))
        .addNode("Loop", List.of("trips", "go", "x"), List.of("y"))
        .addOutput("y", DType.FLOAT32, null)
        .buildProto();
    GraphProto body = GraphProto.newBuilder().setName("body")
        .addInput(scalarInput("i", TensorProto.DataType.INT64_VALUE))
        .addInput(scalarInput("cond", TensorProto.DataType.BOOL_VALUE))
        .addInput(ValueInfoProto.newBuilder().setName("v").setType(TypeProto.newBuilder()
            .setTensorType(TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE))))
        .addNode(node("Identity", List.of("cond"), "cond_out"))
        .addNode(node("Mul", List.of("v", "u"), "vu"))
        .addNode(node("Add", List.of("vu", "u"), "v_out"))
        .addOutput(scalarInput("cond_out", TensorProto.DataType.BOOL_VALUE))
        .addOutput(ValueInfoProto.newBuilder().setName("v_out").setType(TypeProto.newBuilder()
            .setTensorType(TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE))))
        .build();
    GraphProto.Builder g = p.getGraph().toBuilder();
    g.getNodeBuilder(0).addAttribute(graphAttr("body", body));
    OnnxModel model = OnnxModel.of(p.toBuilder().setGraph(g).build());
    dev.crossalign.onnx.OnnxChecker.checkOrThrow(model);
    assertThat(OrtWeights.readByNodes(model.proto().getGraph())).containsExactlyInAnyOrder("trips", "go", "x", "u");
    assertSameBitsBothWays(model, List.of(Map.of("x", tensor(floats(300, 8)))), "u");
  }

  private static ValueInfoProto scalarInput(String name, int elemType) {
    return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
        TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(ai.onnx.proto.OnnxMl.TensorShapeProto
            .getDefaultInstance()))).build();
  }

  @Test
  void aSubgraphsReadOfANameItDefinesItselfIsNotAReadOfTheOuterInitializer() {
    // the branch computes its own "s" and reads that; the main graph's initializer "s" is read by nothing
    ModelProto p = new OnnxGraphBuilder("shadow")
        .addInput("c", DType.BOOL, new int[] {})
        .addInput("x", DType.FLOAT32, new int[] {300})
        .addInitializer("s", weight(5))
        .addNode("If", List.of("c"), List.of("r"))
        .buildProto();
    GraphProto own = branch("own", node("Relu", List.of("x"), "s"), node("Neg", List.of("s"), "own_out"));
    GraphProto.Builder g = p.getGraph().toBuilder();
    g.getNodeBuilder(0).addAttribute(graphAttr("then_branch", own)).addAttribute(graphAttr("else_branch", own));
    assertThat(OrtWeights.readByNodes(g.build())).containsExactlyInAnyOrder("c", "x");
  }

  /**
   * Runs {@code model} on each of {@code feedSets} with every weight inside the protobuf (the oracle) and with the
   * default split, which must hold exactly {@code external} outside; every output bit-identical. Closes the feeds.
   */
  private static void assertSameBitsBothWays(OnnxModel model, List<Map<String, OnnxTensor>> feedSets,
      String... external) throws OrtException {
    OrtEnvironment env = OrtSessions.environment();
    OrtSessions.Handles oracle = OrtSessions.create(env, model, CAPTURE, Long.MAX_VALUE);
    OrtSessions.Handles h = OrtSessions.create(env, model, CAPTURE);
    try {
      assertThat(oracle.weights().byName()).isEmpty();
      assertThat(h.weights().byName()).containsOnlyKeys(external);
      for (Map<String, OnnxTensor> feeds : feedSets) {
        Map<String, byte[]> embedded = run(oracle.session(), feeds);
        Map<String, byte[]> outside = run(h.session(), feeds);
        assertThat(outside.keySet()).isNotEmpty().containsExactlyElementsOf(embedded.keySet());
        embedded.forEach((name, bytes) -> assertThat(Arrays.equals(outside.get(name), bytes)).as(name).isTrue());
      }
    } finally {
      OrtSessions.closeQuietly(h);
      OrtSessions.closeQuietly(oracle);
      feedSets.forEach(f -> f.values().forEach(OnnxTensor::close));
    }
  }

  private static float[] floats(int n, int seed) {
    Random r = new Random(seed);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = r.nextFloat() * 2 - 1;
    }
    return v;
  }

  private static OnnxTensor tensor(float[] v) {
    try {
      return OnnxTensor.createTensor(OrtSessions.environment(), FloatBuffer.wrap(v), new long[] {v.length});
    } catch (OrtException e) {
      throw new IllegalStateException(e);
    }
  }

  private static OnnxTensor bool(boolean b) {
    try {
      return OnnxTensor.createTensor(OrtSessions.environment(), b);
    } catch (OrtException e) {
      throw new IllegalStateException(e);
    }
  }

  private static NodeProto node(String op, List<String> inputs, String output, AttributeProto... attrs) {
    return NodeProto.newBuilder().setName(output).setOpType(op).addAllInput(inputs).addOutput(output)
        .addAllAttribute(List.of(attrs)).build();
  }

  /** A branch graph of {@code nodes} whose output is the last node's (float, shape left to ONNX Runtime). */
  private static GraphProto branch(String name, NodeProto... nodes) {
    String out = nodes[nodes.length - 1].getOutput(0);
    return GraphProto.newBuilder().setName(name).addAllNode(List.of(nodes))
        .addOutput(ValueInfoProto.newBuilder().setName(out).setType(TypeProto.newBuilder()
            .setTensorType(TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE))))
        .build();
  }

  private static AttributeProto graphAttr(String name, GraphProto g) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.GRAPH).setG(g).build();
  }

  /** Every output of a run with fixed pseudo-random inputs, as the bytes ONNX Runtime wrote. */
  private static Map<String, byte[]> runAll(OrtEnvironment env, OrtSession s, OnnxModel model) throws OrtException {
    Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
    Random r = new Random(11);
    try {
      for (OnnxValueInfo in : model.inputs()) {
        long[] shape = in.shape();
        int n = (int) Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
          v[i] = r.nextFloat() * 2 - 1;
        }
        feeds.put(in.name(), OnnxTensor.createTensor(env, FloatBuffer.wrap(v), shape));
      }
      return run(s, feeds);
    } finally {
      feeds.values().forEach(OnnxTensor::close);
    }
  }

  /** Every output of one run, as the bytes ONNX Runtime wrote. */
  private static Map<String, byte[]> run(OrtSession s, Map<String, OnnxTensor> feeds) throws OrtException {
    Map<String, byte[]> out = new LinkedHashMap<>();
    try (OrtSession.Result res = s.run(feeds)) {
      for (Map.Entry<String, OnnxValue> e : res) {
        ByteBuffer b = ((OnnxTensor) e.getValue()).getByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        out.put(e.getKey(), bytes);
      }
    }
    return out;
  }
}
