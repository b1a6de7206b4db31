package dev.crossalign.engine.compare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.crossalign.align.AlignmentResult;
import dev.crossalign.align.Comparison;
import dev.crossalign.align.Verdict;
import dev.crossalign.engine.compare.TensorMatch.Method;
import dev.crossalign.testutil.TestModels;
import dev.crossalign.tflite.TfliteModel;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A published detector (face_detection_short_range) against conversions in the shapes tf2onnx emits (outputs split
 * per anchor grid, channel pads as Concat with ConstantOfShape zeros, NHWC input with a Transpose inside, no names
 * shared), faithful and deliberately broken, each compared with the two files in both orders. The oracle is the
 * TFLite interpreter (the reference run) and ONNX Runtime running the rewritten graph.
 */
class ThirdPartyConversionTest {
  @TempDir Path dir;

  private record Setup(Path tflite, Path onnx, String broken) {}

  private Setup setup(ConverterShapes.Breakage breakage) {
    Path model = TestModels.require("face_detection_short_range.tflite");
    Optional<CompareFixtures.Exported> e = CompareFixtures.export(TfliteModel.read(model));
    assumeTrue(e.isPresent(), "the ONNX exporter is not on the class path");
    ConverterShapes.Converted c = ConverterShapes.tf2onnx(e.get().model(), breakage);
    Path onnx = dir.resolve("tf2onnx_" + breakage.name().toLowerCase(java.util.Locale.ROOT) + ".onnx");
    c.model().write(onnx);
    // the export names its tensors after TFLite's; a conv whose TFLite op fuses the Relu is seen after the Relu
    String broken = c.brokenTensor();
    if (broken != null) {
      broken = e.get().onnxToTflite().getOrDefault(broken, broken);
      final String conv = broken;
      boolean captured = TfliteModel.read(model).main().tensors().stream().anyMatch(t -> t.name().equals(conv));
      if (!captured) {
        broken = e.get().model().nodes().stream().filter(n -> n.inputs().contains(conv)).findFirst()
            .map(n -> e.get().onnxToTflite().getOrDefault(n.outputs().get(0), n.outputs().get(0))).orElse(conv);
      }
    }
    return new Setup(model, onnx, broken);
  }

  /** compare A B and compare B A: the same verdict, pairs, numbers and worst tensor. Returns A B's outcome. */
  static Comparer.Outcome bothOrders(CompareRequest req) {
    Comparer.Outcome ab = Comparer.compare(req);
    Comparer.Outcome ba = Comparer.compare(req.swapped());
    AlignmentResult x = ab.result();
    AlignmentResult y = ba.result();
    assertThat(y.verdict()).isEqualTo(x.verdict());
    assertThat(ba.matching().pairs()).hasSameSizeAs(ab.matching().pairs()).isEqualTo(ab.matching().pairs());
    assertThat(y.comparisons()).isEqualTo(x.comparisons());
    assertThat(worst(y)).isEqualTo(worst(x));
    assertThat(ba.matching().unmatchedReasons()).isEqualTo(ab.matching().unmatchedReasons());
    assertThat(ab.matching().referenceSide()).isNotEqualTo(ba.matching().referenceSide());
    return ab;
  }


  static String worst(AlignmentResult r) {
    List<Comparison> w = r.worstFirst();
    return w.isEmpty() ? null : w.get(0).name();
  }

  @Test
  void faithfulConversionWithSplitOutputsIsAlignedAndSaysHowTheOutputsWereReassembled() {
    Setup s = setup(ConverterShapes.Breakage.NONE);
    Comparer.Outcome o = bothOrders(CompareRequest.of(s.tflite(), s.onnx()));
    Matching m = o.matching();
    System.out.println("tf2onnx-shaped face_detection_short_range: " + m.summary() + "; "
        + o.result().comparisons().stream().mapToDouble(c -> c.metrics().relL2()).max().orElseThrow()
        + " max rel_l2");
    assertThat(o.result().verdict()).as(String.join("\n", o.result().notes())).isEqualTo(Verdict.ALIGNED);
    for (String out : List.of("regressors", "classificators")) {
      TensorMatch p = m.pairs().stream().filter(x -> x.a().equals(out)).findFirst().orElseThrow();
      assertThat(p.method()).isEqualTo(Method.REASSEMBLED);
      assertThat(p.reassembly().kind()).isEqualTo(Reassembly.Kind.CONCAT);
      assertThat(p.reassembly().axis()).isEqualTo(1);
      assertThat(p.reassembly().lengths()).containsExactly(512, 384);
      assertThat(o.result().notes()).anyMatch(n -> n.startsWith("output '" + out + "' compared against concat of"));
    }
    assertThat(m.unpairedOutputs()).isEmpty();
    // the 11 channel pads (Concat with zeros there) pair by structure like everything else
    assertThat(m.unmatched()).as(m.unmatchedReasons().toString()).isZero();
    assertThat(o.result().comparisons()).allSatisfy(c -> assertThat(c.metrics().relL2()).isLessThan(1e-5));
  }

  @Test
  void withoutValueMatchingStructureAlonePairsAtLeastNinetyPercent() {
    Setup s = setup(ConverterShapes.Breakage.NONE);
    Comparer.Outcome o = bothOrders(CompareRequest.of(s.tflite(), s.onnx()).withValueMatching(false));
    Matching m = o.matching();
    System.out.println("--no-value-matching: " + m.summary());
    assertThat(m.byValue()).isZero();
    assertThat((double) m.byStructure()).isGreaterThanOrEqualTo(0.9 * m.referenceTensors());
    assertThat(o.result().verdict()).isEqualTo(Verdict.ALIGNED);
  }

  @ParameterizedTest
  @EnumSource(value = ConverterShapes.Breakage.class, names = {"WRONG_PAD", "SWAPPED_CHANNELS", "BF16_WEIGHT"})
  void brokenConversionIsMisalignedAtTheBrokenTensorInBothOrders(ConverterShapes.Breakage breakage) {
    Setup s = setup(breakage);
    assertThat(s.broken()).isNotNull();
    Comparer.Outcome o = bothOrders(CompareRequest.of(s.tflite(), s.onnx()));
    assertThat(o.result().firstDivergence()).as(String.join("\n", o.result().notes())).isNotNull();
    System.out.println(breakage + ": first divergence " + o.result().firstDivergence().name() + " rel_l2 "
        + o.result().firstDivergence().metrics().relL2() + "; " + o.matching().summary());
    assertThat(o.result().verdict()).isEqualTo(Verdict.MISALIGNED);
    assertThat(o.result().firstDivergence().name()).isEqualTo(s.broken());
    if (breakage == ConverterShapes.Breakage.SWAPPED_CHANNELS) {
      assertThat(o.result().notes()).anyMatch(n -> n.startsWith("channel order:"));
    }
  }

  /** x[1,8,8,3] -> c = CONV_2D(fused RELU) [1,8,8,4] -> r = RESIZE_BILINEAR(16x16, asymmetric) -> out = CONV_2D. */
  static byte[] resizeTflite() {
    dev.crossalign.tflite.TfliteWriter w = new dev.crossalign.tflite.TfliteWriter();
    var f32 = dev.crossalign.tflite.TensorType.FLOAT32;
    int x = w.input("x", f32, 1, 8, 8, 3);
    int w1 = w.constant("w1", CompareFixtures.W1);
    int b1 = w.constant("b1", CompareFixtures.B1);
    int w2 = w.constant("w2", CompareFixtures.W2);
    int b2 = w.constant("b2", CompareFixtures.B2);
    int size = w.constant("size", dev.crossalign.tensor.HostTensor.ofInts(new int[] {2},
        dev.crossalign.tensor.Layout.ANY, new int[] {16, 16}));
    int c = w.tensor("c", f32, 1, 8, 8, 4);
    int r = w.tensor("r", f32, 1, 16, 16, 4);
    int out = w.tensor("out", f32, 1, 16, 16, 4);
    var same = dev.crossalign.tflite.Padding.SAME;
    w.op(dev.crossalign.tflite.BuiltinOp.CONV_2D, new dev.crossalign.tflite.OpOptions.Conv2D(same, 1, 1,
        dev.crossalign.tflite.Activation.RELU, 1, 1), new int[] {x, w1, b1}, new int[] {c});
    w.op(dev.crossalign.tflite.BuiltinOp.RESIZE_BILINEAR, new dev.crossalign.tflite.OpOptions.ResizeBilinear(false,
        false), new int[] {c, size}, new int[] {r});
    w.op(dev.crossalign.tflite.BuiltinOp.CONV_2D, new dev.crossalign.tflite.OpOptions.Conv2D(same, 1, 1,
        dev.crossalign.tflite.Activation.NONE, 1, 1), new int[] {r, w2, b2}, new int[] {out});
    w.outputs(out);
    return w.build();
  }

  /** The same as tf2onnx-shaped ONNX: NHWC in and out with Transposes inside; Resize in the given mode. */
  static dev.crossalign.onnx.OnnxModel resizeOnnx(String coordinateMode) {
    var g = new dev.crossalign.onnx.OnnxGraphBuilder("resize");
    var any = dev.crossalign.tensor.Layout.ANY;
    g.addInput("input_1", dev.crossalign.tensor.DType.FLOAT32, new int[] {1, 8, 8, 3});
    g.addInitializer("k1", CompareFixtures.W1.permute(new int[] {0, 3, 1, 2}, any));
    g.addInitializer("k1b", CompareFixtures.B1);
    g.addInitializer("k2", CompareFixtures.W2.permute(new int[] {0, 3, 1, 2}, any));
    g.addInitializer("k2b", CompareFixtures.B2);
    g.addInitializer("scales", dev.crossalign.tensor.HostTensor.ofFloats(new int[] {4}, any,
        new float[] {1f, 1f, 2f, 2f}));
    var conv = dev.crossalign.onnx.OnnxGraphBuilder.attrs().putInts("pads", 1, 1, 1, 1).putInts("kernel_shape", 3, 3);
    g.addNode("Transpose", List.of("input_1"), List.of("t0"),
        dev.crossalign.onnx.OnnxGraphBuilder.attrs().putInts("perm", 0, 3, 1, 2));
    g.addNode("Conv", List.of("t0", "k1", "k1b"), List.of("t1"), conv);
    g.addNode("Relu", List.of("t1"), List.of("t2"));
    g.addNode("Resize", List.of("t2", "", "scales"), List.of("t3"), dev.crossalign.onnx.OnnxGraphBuilder.attrs()
        .putString("mode", "linear").putString("coordinate_transformation_mode", coordinateMode));
    g.addNode("Conv", List.of("t3", "k2", "k2b"), List.of("t4"),
        dev.crossalign.onnx.OnnxGraphBuilder.attrs().putInts("pads", 1, 1, 1, 1).putInts("kernel_shape", 3, 3));
    g.addNode("Transpose", List.of("t4"), List.of("Identity"),
        dev.crossalign.onnx.OnnxGraphBuilder.attrs().putInts("perm", 0, 2, 3, 1));
    g.addOutput("Identity", dev.crossalign.tensor.DType.FLOAT32, new int[] {1, 16, 16, 4});
    return g.build();
  }

  @Test
  void wrongResizeModeIsMisalignedAtTheResizeAndTheRightOneIsAligned() throws Exception {
    Path tflite = dir.resolve("resize.tflite");
    java.nio.file.Files.write(tflite, resizeTflite());
    Path good = dir.resolve("asymmetric.onnx");
    resizeOnnx("asymmetric").write(good);
    Path bad = dir.resolve("half_pixel.onnx");
    resizeOnnx("half_pixel").write(bad);
    Comparer.Outcome ok = bothOrders(CompareRequest.of(tflite, good));
    assertThat(ok.result().verdict()).isEqualTo(Verdict.ALIGNED);
    assertThat(ok.matching().unmatched()).isZero();
    Comparer.Outcome o = bothOrders(CompareRequest.of(tflite, bad));
    assertThat(o.result().verdict()).isEqualTo(Verdict.MISALIGNED);
    assertThat(o.result().firstDivergence().name()).isEqualTo("r");
    assertThat(o.result().comparisons().stream().filter(c -> c.name().equals("c")).findFirst().orElseThrow()
        .passed()).isTrue();
    assertThat(o.matching().pairs().stream().filter(p -> p.a().equals("r")).findFirst().orElseThrow().b())
        .isEqualTo("t3");
  }

  @Test
  void outputsTheOtherSideReturnsConcatenatedAreComparedAsSlices() throws Exception {
    Path model = TestModels.require("face_detection_short_range.tflite");
    TfliteModel tm = TfliteModel.read(model);
    java.util.Map<String, dev.crossalign.tensor.HostTensor> inputs =
        dev.crossalign.engine.InputGenerator.inputs(tm, 0, -1, 1, java.util.Map.of());
    dev.crossalign.tensor.HostTensor reg;
    dev.crossalign.tensor.HostTensor cls;
    try (var be = dev.crossalign.backend.tflite.TfliteBackend.open(tm.bytes(), "ref",
        dev.crossalign.backend.tflite.TfliteOptions.defaults())) {
      var run = be.run(inputs);
      reg = run.tensor("regressors");
      cls = run.tensor("classificators");
    }
    // one [1, 896, 17] array: scores after boxes along the last axis, as a PyTorch port might return them
    dev.crossalign.tensor.HostTensor both = Reassembly.concat(List.of(reg, cls), 2, new int[] {1, 896, 17});
    java.util.Map<String, dev.crossalign.tensor.HostTensor> npz = new java.util.LinkedHashMap<>(inputs);
    npz.put("detections", both);
    Path file = dir.resolve("port.npz");
    dev.crossalign.tensor.Npz.write(file, npz);
    Comparer.Outcome o = bothOrders(CompareRequest.of(model, file));
    assertThat(o.result().verdict()).isEqualTo(Verdict.ALIGNED);
    TensorMatch r = o.matching().pairs().stream().filter(p -> p.a().equals("regressors")).findFirst().orElseThrow();
    TensorMatch c = o.matching().pairs().stream().filter(p -> p.a().equals("classificators")).findFirst()
        .orElseThrow();
    assertThat(r.reassembly()).isEqualTo(new Reassembly(Reassembly.Kind.SLICE, 2, List.of("detections"),
        List.of(16), 0, 17));
    assertThat(c.reassembly()).isEqualTo(new Reassembly(Reassembly.Kind.SLICE, 2, List.of("detections"),
        List.of(1), 16, 17));
    assertThat(o.result().notes()).contains("output 'classificators' compared against slice [16:17) of 'detections'"
        + " along axis 2 (its 17)");
    assertThat(o.result().comparisons()).allSatisfy(x -> assertThat(x.metrics().maxAbs()).isZero());
  }
}
