package dev.crossalign.engine.compare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.crossalign.align.AlignmentResult;
import dev.crossalign.align.Comparison;
import dev.crossalign.align.Verdict;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.tflite.TfliteBackend;
import dev.crossalign.backend.tflite.TfliteOptions;
import dev.crossalign.engine.InputGenerator;
import dev.crossalign.engine.compare.TensorMatch.Method;
import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.onnx.OnnxModel;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tensor.Npz;
import dev.crossalign.testutil.TestModels;
import dev.crossalign.tflite.TfliteModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ComparerTest {
  @TempDir Path dir;

  private Path tflite() throws Exception {
    Path p = dir.resolve("chain.tflite");
    Files.write(p, CompareFixtures.chainTflite());
    return p;
  }

  private Path onnx(String name, OnnxModel m) {
    Path p = dir.resolve(name);
    m.write(p);
    return p;
  }

  private static TensorMatch pairOf(Matching m, String a) {
    return m.pairs().stream().filter(p -> p.a().equals(a)).findFirst().orElseThrow(() -> new AssertionError(a));
  }

  @Test
  void strippedOnnxIsPairedByStructureAndAligned() throws Exception {
    OnnxModel stripped = CompareFixtures.stripNames(CompareFixtures.chainOnnx(CompareFixtures.W2));
    Comparer.Outcome o = Comparer.compare(CompareRequest.of(tflite(), onnx("stripped.onnx", stripped)));
    Matching m = o.matching();
    AlignmentResult r = o.result();

    assertThat(r.verdict()).isEqualTo(Verdict.ALIGNED);
    assertThat(r.comparisons()).allMatch(Comparison::passed);
    assertThat(r.comparisons().get(0).pair()).isEqualTo("tflite~onnxruntime");
    // t1, t2, t3, y, out: every data tensor of the TFLite run, each by structure (no name survives)
    assertThat(m.referenceTensors()).isEqualTo(5);
    assertThat(m.byStructure()).isEqualTo(5);
    assertThat(m.byName()).isZero();
    assertThat(m.unmatched()).isZero();
    // the NHWC input fed to the NCHW input, permuted
    assertThat(m.inputs()).singleElement().satisfies(p -> {
      assertThat(p.a()).isEqualTo("x");
      assertThat(p.how()).isEqualTo("order");
      assertThat(p.permutationList()).containsExactly(0, 3, 1, 2);
    });
    // the pairs are the right tensors: node k of the stripped graph produces what node k of the named one does
    List<String> strippedOutputs = stripped.nodes().stream().map(n -> n.outputs().get(0)).toList();
    assertThat(pairOf(m, "t1").b()).isEqualTo(strippedOutputs.get(1)); // Relu after the first Conv
    assertThat(pairOf(m, "t2").b()).isEqualTo(strippedOutputs.get(2));
    assertThat(pairOf(m, "t3").b()).isEqualTo(strippedOutputs.get(3));
    assertThat(pairOf(m, "y").b()).isEqualTo(strippedOutputs.get(4));
    assertThat(pairOf(m, "out").b()).isEqualTo(strippedOutputs.get(6)); // Clip after the grouped Conv
    assertThat(pairOf(m, "out").permutation()).containsExactly(0, 2, 3, 1);
    Comparison out = r.comparisons().stream().filter(c -> c.name().equals("out")).findFirst().orElseThrow();
    assertThat(out.permutation()).containsExactly(0, 2, 3, 1);
    assertThat(out.metrics().maxAbs()).isLessThan(1e-5);
    assertThat(r.notes()).anyMatch(n -> n.contains("5 by structure"));
  }

  @Test
  void valueFingerprintBridgesWhatStructureCannotAndReanchorsIt() throws Exception {
    // B inserts Mul(t1, 1) before the second conv: no TFLite node corresponds, so t2 cannot be reached by structure
    OnnxGraphBuilder g = new OnnxGraphBuilder("bridged");
    g.addInput("x", dev.crossalign.tensor.DType.FLOAT32, new int[] {1, 3, 8, 8});
    g.addInitializer("W1", CompareFixtures.W1.permute(new int[] {0, 3, 1, 2}, Layout.ANY));
    g.addInitializer("B1", CompareFixtures.B1);
    g.addInitializer("W2", CompareFixtures.W2.permute(new int[] {0, 3, 1, 2}, Layout.ANY));
    g.addInitializer("B2", CompareFixtures.B2);
    g.addInitializer("one", HostTensor.ofFloats(new int[0], Layout.ANY, new float[] {1f}));
    var pads = OnnxGraphBuilder.attrs().putInts("pads", 1, 1, 1, 1).putInts("kernel_shape", 3, 3);
    g.addNode("Conv", List.of("x", "W1", "B1"), List.of("p"), pads);
    g.addNode("Relu", List.of("p"), List.of("q"));
    g.addNode("Mul", List.of("q", "one"), List.of("r"));
    g.addNode("Conv", List.of("r", "W2", "B2"), List.of("s"),
        OnnxGraphBuilder.attrs().putInts("pads", 1, 1, 1, 1).putInts("kernel_shape", 3, 3));
    g.addNode("Add", List.of("q", "s"), List.of("u"));
    g.addNode("Relu", List.of("u"), List.of("v"));
    g.addOutput("v", dev.crossalign.tensor.DType.FLOAT32, new int[] {1, 4, 8, 8});
    // A: the chain without its depthwise tail, so both end at y
    Path a = dir.resolve("a.onnx");
    Path b = onnx("b.onnx", g.build());
    // A is the named hand-built ONNX cut at y: build it from the fixture by re-declaring the output
    OnnxModel full = CompareFixtures.chainOnnx(CompareFixtures.W2);
    var gp = full.proto().getGraph().toBuilder();
    while (gp.getNodeCount() > 5) {
      gp.removeNode(gp.getNodeCount() - 1);
    }
    gp.setOutput(0, gp.getOutput(0).toBuilder().setName("y"));
    OnnxModel.of(full.proto().toBuilder().setGraph(gp).build()).write(a);

    Comparer.Outcome o = Comparer.compare(CompareRequest.of(a, b));
    Matching m = o.matching();
    assertThat(o.result().verdict()).isEqualTo(Verdict.ALIGNED);
    assertThat(pairOf(m, "c1").method()).isEqualTo(Method.STRUCTURE);
    assertThat(pairOf(m, "t1").b()).isEqualTo("q");
    // no ONNX node of t2's kind reads q's counterpart directly: the one tensor downstream of q that agrees
    assertThat(pairOf(m, "t2")).satisfies(p -> {
      assertThat(p.b()).isEqualTo("s");
      assertThat(p.method()).isEqualTo(Method.REGION);
      assertThat(p.margin()).isGreaterThan(TensorMatcher.VALUE_MARGIN);
    });
    // after the value pair, the walk goes on by structure
    assertThat(pairOf(m, "t3")).satisfies(p -> {
      assertThat(p.b()).isEqualTo("u");
      assertThat(p.method()).isEqualTo(Method.STRUCTURE);
    });
    assertThat(pairOf(m, "y").b()).isEqualTo("v");
    assertThat(m.unmatched()).isZero();

    // without value matching the walk does not stop at the Mul it does not know: the same pairs, none by value
    Matching m2 = Comparer.compare(CompareRequest.of(a, b).withValueMatching(false)).matching();
    assertThat(m2.byValue()).isZero();
    assertThat(m2.unmatched()).isZero();
    assertThat(pairOf(m2, "t3").b()).isEqualTo("u");
  }

  @Test
  void perturbedInitializerIsMisalignedAtTheFirstTensorItFeeds() throws Exception {
    HostTensor w2 = CompareFixtures.W2;
    float[] v = w2.toFloatArray();
    v[7] += 0.5f;
    OnnxModel perturbed = CompareFixtures.chainOnnx(HostTensor.ofFloats(w2.shape(), Layout.ANY, v));
    Comparer.Outcome o = Comparer.compare(CompareRequest.of(tflite(), onnx("perturbed.onnx", perturbed)));
    assertThat(o.result().verdict()).isEqualTo(Verdict.MISALIGNED);
    assertThat(o.result().firstDivergence().name()).isEqualTo("t2");
    assertThat(o.result().notes()).contains("first divergence 't2' is paired with onnxruntime tensor 't2' (by name)");
    assertThat(o.matching().byName()).isEqualTo(5);
    // t1 comes before the changed weight and still passes
    assertThat(o.result().comparisons().stream().filter(c -> c.name().equals("t1")).findFirst().orElseThrow()
        .passed()).isTrue();
  }

  @Test
  void sameTfliteTwiceIsAllByNameAndBitExact() {
    Path model = TestModels.require("face_detection_short_range.tflite");
    Comparer.Outcome o = Comparer.compare(CompareRequest.of(model, model));
    assertThat(o.result().verdict()).isEqualTo(Verdict.ALIGNED);
    Matching m = o.matching();
    assertThat(m.referenceTensors()).isGreaterThan(50);
    assertThat(m.byName()).isEqualTo(m.referenceTensors());
    assertThat(m.unmatched()).isZero();
    assertThat(o.result().comparisons()).allSatisfy(c -> assertThat(c.metrics().maxAbs()).isZero());
  }

  @Test
  void npzOfTheModelsOwnOutputsAlignsAndAPerturbedOneDoesNot() throws Exception {
    Path model = TestModels.require("face_detection_short_range.tflite");
    TfliteModel tm = TfliteModel.read(model);
    Map<String, HostTensor> inputs = InputGenerator.inputs(tm, 0, -1, 1, Map.of());
    Map<String, HostTensor> outs = new LinkedHashMap<>();
    try (TfliteBackend be = TfliteBackend.open(tm.bytes(), "ref", TfliteOptions.defaults())) {
      Activations run = be.run(inputs);
      for (String n : run.outputNames()) {
        outs.put(n, run.tensor(n).withLayout(Layout.ANY));
      }
    }
    Path outputsOnly = dir.resolve("outputs_only.npz");
    Npz.write(outputsOnly, outs);
    // without the model's inputs the two sides never saw the same data: a user error, not a verdict
    assertThatThrownBy(() -> Comparer.compare(CompareRequest.of(model, outputsOnly)))
        .isInstanceOf(dev.crossalign.CrossalignException.class)
        .hasMessageContaining("holds no array for the model input(s) [input[1, 128, 128, 3]]")
        .hasMessageContaining("--input");
    Map<String, HostTensor> withInputs = new LinkedHashMap<>(inputs);
    withInputs.putAll(outs);
    outs = withInputs;
    Path npz = dir.resolve("outs.npz");
    Npz.write(npz, outs);
    Comparer.Outcome o = Comparer.compare(CompareRequest.of(model, npz));
    assertThat(o.result().verdict()).isEqualTo(Verdict.ALIGNED);
    assertThat(o.matching().byName()).isEqualTo(outs.size() - inputs.size());
    assertThat(o.result().comparisons()).hasSize(outs.size()); // the outputs and the input the .npz fed

    String first = outs.keySet().stream().filter(n -> !inputs.containsKey(n)).findFirst().orElseThrow();
    float[] v = outs.get(first).toFloatArray();
    v[0] += 1f;
    outs.put(first, HostTensor.ofFloats(outs.get(first).shape(), Layout.ANY, v));
    Path bad = dir.resolve("bad.npz");
    Npz.write(bad, outs);
    // Python-side names that are not TFLite's: outputs pair by value, and what is left by position
    Map<String, HostTensor> renamed = new LinkedHashMap<>();
    int k = 0;
    for (Map.Entry<String, HostTensor> e : Npz.read(npz).entrySet()) {
      renamed.put(inputs.containsKey(e.getKey()) ? e.getKey() : "output_" + k++, e.getValue());
    }
    Path byOrder = dir.resolve("by_order.npz");
    Npz.write(byOrder, renamed);
    Comparer.Outcome o3 = Comparer.compare(CompareRequest.of(model, byOrder));
    assertThat(o3.result().verdict()).isEqualTo(Verdict.ALIGNED);
    assertThat(o3.matching().byOutputOrder() + o3.matching().byValue()).isEqualTo(k);
    assertThat(o3.result().comparisons()).hasSize(k + inputs.size());

    Comparer.Outcome o2 = Comparer.compare(CompareRequest.of(model, bad));
    assertThat(o2.result().verdict()).isEqualTo(Verdict.MISALIGNED);
    assertThat(o2.result().firstDivergence().name()).isEqualTo(first);
  }

  @Test
  void theTfliteModelIsTheReferenceWhicheverOrderTheFilesAreGiven() throws Exception {
    OnnxModel stripped = CompareFixtures.stripNames(CompareFixtures.chainOnnx(CompareFixtures.W2));
    Path onnxFile = onnx("a.onnx", stripped);
    Comparer.Outcome ba = Comparer.compare(CompareRequest.of(onnxFile, tflite()));
    Comparer.Outcome ab = Comparer.compare(CompareRequest.of(tflite(), onnxFile));
    for (Comparer.Outcome o : List.of(ab, ba)) {
      assertThat(o.result().verdict()).isEqualTo(Verdict.ALIGNED);
      assertThat(o.result().comparisons().get(0).pair()).isEqualTo("tflite~onnxruntime");
      assertThat(o.matching().referenceTensors()).isEqualTo(5);
      assertThat(o.matching().byStructure()).isEqualTo(5);
      assertThat(o.matching().unmatched()).isZero();
    }
    assertThat(ba.matching().referenceSide()).isEqualTo("b");
    assertThat(ab.matching().referenceSide()).isEqualTo("a");
    assertThat(ba.matching().pairs()).isEqualTo(ab.matching().pairs());
    assertThat(ba.result().comparisons()).isEqualTo(ab.result().comparisons());
    assertThat(ba.result().notes()).contains("reference: " + tflite() + " (a TFLite model is the reference against an"
        + " ONNX model, whichever order the two are given in)");
  }

  @Test
  void givenInputIsFedToBothSides() throws Exception {
    HostTensor x = CompareFixtures.rnd(99, 1, 8, 8, 3);
    Path npy = dir.resolve("x.npy");
    dev.crossalign.tensor.Npy.write(npy, x);
    HostTensor given = dev.crossalign.tensor.Npy.read(npy);
    CompareRequest base = CompareRequest.of(tflite(), onnx("b.onnx", CompareFixtures.chainOnnx(CompareFixtures.W2)));
    CompareRequest req = new CompareRequest(base.a(), base.b(), null, null,
        base.run().withInputs(Map.of("x", given)), true);
    Comparer.Outcome o = Comparer.compare(req);
    assertThat(o.result().verdict()).isEqualTo(Verdict.ALIGNED);
    assertThat(o.activations().get("reference").tensor("x").toFloatArray()).containsExactly(x.toFloatArray());
    // B got the same numbers in NCHW
    HostTensor fedB = o.activations().get("candidate").tensor("x");
    assertThat(fedB.shape()).containsExactly(1, 3, 8, 8);
    assertThat(fedB.permute(new int[] {0, 2, 3, 1}, Layout.NHWC).toFloatArray()).containsExactly(x.toFloatArray());
  }
}
