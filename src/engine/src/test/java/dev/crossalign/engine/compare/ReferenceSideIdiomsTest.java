package dev.crossalign.engine.compare;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.align.Comparison;
import dev.crossalign.align.Verdict;
import dev.crossalign.engine.compare.TensorMatch.Method;
import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.onnx.OnnxModel;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two ONNX spellings of one small detector, each taken as the reference (between two ONNX models the first named
 * is): tf2onnx's (outputs returned per anchor grid, the stride-2 conv padding itself) and torch.onnx's (the two grids
 * concatenated into one output, F.pad as an explicit Pad before the conv, PReLU as GreaterOrEqual, Mul and Where).
 * What only the reference spells must not stop the matcher: a candidate output concatenating tensors the reference
 * returns is compared in its parts, the conv after the reference's explicit pad pairs by structure, and the
 * reference's decomposed PReLU pairs by region. Value matching is off, so structure alone does it.
 * The oracle for the numbers is ONNX Runtime running both graphs.
 */
class ReferenceSideIdiomsTest {
  @TempDir Path dir;

  static final HostTensor W1 = CompareFixtures.rnd(41, 4, 3, 3, 3);
  static final HostTensor B1 = CompareFixtures.rnd(42, 4);
  static final HostTensor WA = CompareFixtures.rnd(43, 2, 4, 1, 1);
  static final HostTensor WS = CompareFixtures.rnd(44, 4, 4, 3, 3);
  static final HostTensor WB = CompareFixtures.rnd(45, 2, 4, 1, 1);
  static final HostTensor SLOPE = CompareFixtures.rnd(46, 4, 1, 1);

  /** How the detector is spelled. */
  enum Spelling {
    /** PRelu; outputs per anchor grid ([1,128,1] and [1,32,1]); the stride-2 conv pads bottom/right itself. */
    TF2ONNX,
    /**
     * PReLU as Where(x >= 0, x, x * slope) (the generated module's spelling); one concatenated output [1,160,1]; an
     * explicit Pad before the stride-2 conv.
     */
    TORCH,
    /** As TORCH, the explicit pad on the wrong sides (top/left). */
    TORCH_WRONG_PAD
  }

  /**
   * x [1,3,8,8] -> conv 3x3 + prelu (t) -> head a: conv 1x1, NHWC, [1,128,1]; t -> conv 3x3 stride 2 SAME (s) ->
   * head b: conv 1x1, NHWC, [1,32,1]. Every name carries {@code p} so that no name is shared between two spellings.
   */
  static OnnxModel detector(Spelling sp, String p) {
    OnnxGraphBuilder g = new OnnxGraphBuilder("detector");
    g.addInput(p + "x", DType.FLOAT32, new int[] {1, 3, 8, 8});
    g.addInitializer(p + "w1", W1);
    g.addInitializer(p + "b1", B1);
    g.addInitializer(p + "wa", WA);
    g.addInitializer(p + "ws", WS);
    g.addInitializer(p + "wb", WB);
    g.addInitializer(p + "slope", SLOPE);
    g.addInitializer(p + "shape_a", HostTensor.ofLongs(new int[] {3}, Layout.ANY, new long[] {1, 128, 1}));
    g.addInitializer(p + "shape_b", HostTensor.ofLongs(new int[] {3}, Layout.ANY, new long[] {1, 32, 1}));
    var nhwc = OnnxGraphBuilder.attrs().putInts("perm", 0, 2, 3, 1);
    g.addNode("Conv", List.of(p + "x", p + "w1", p + "b1"), List.of(p + "c"),
        OnnxGraphBuilder.attrs().putInts("pads", 1, 1, 1, 1).putInts("kernel_shape", 3, 3));
    if (sp == Spelling.TF2ONNX) {
      g.addNode("PRelu", List.of(p + "c", p + "slope"), List.of(p + "t"));
    } else {
      g.addInitializer(p + "zero", HostTensor.ofFloats(new int[0], Layout.ANY, new float[] {0f}));
      g.addNode("GreaterOrEqual", List.of(p + "c", p + "zero"), List.of(p + "positive"));
      g.addNode("Mul", List.of(p + "c", p + "slope"), List.of(p + "scaled"));
      g.addNode("Where", List.of(p + "positive", p + "c", p + "scaled"), List.of(p + "t"));
    }
    g.addNode("Conv", List.of(p + "t", p + "wa"), List.of(p + "ha"));
    g.addNode("Transpose", List.of(p + "ha"), List.of(p + "ha_nhwc"), nhwc);
    g.addNode("Reshape", List.of(p + "ha_nhwc", p + "shape_a"), List.of(p + "grid_a"));
    var stride2 = OnnxGraphBuilder.attrs().putInts("strides", 2, 2).putInts("kernel_shape", 3, 3);
    if (sp == Spelling.TF2ONNX) {
      g.addNode("Conv", List.of(p + "t", p + "ws"), List.of(p + "s"), stride2.putInts("pads", 0, 0, 1, 1));
    } else {
      long[] pads = sp == Spelling.TORCH ? new long[] {0, 0, 0, 0, 0, 0, 1, 1} : new long[] {0, 0, 1, 1, 0, 0, 0, 0};
      g.addInitializer(p + "pads", HostTensor.ofLongs(new int[] {8}, Layout.ANY, pads));
      g.addNode("Pad", List.of(p + "t", p + "pads"), List.of(p + "padded"));
      g.addNode("Conv", List.of(p + "padded", p + "ws"), List.of(p + "s"), stride2);
    }
    g.addNode("Conv", List.of(p + "s", p + "wb"), List.of(p + "hb"));
    g.addNode("Transpose", List.of(p + "hb"), List.of(p + "hb_nhwc"), nhwc);
    g.addNode("Reshape", List.of(p + "hb_nhwc", p + "shape_b"), List.of(p + "grid_b"));
    if (sp == Spelling.TF2ONNX) {
      g.addOutput(p + "grid_a", DType.FLOAT32, new int[] {1, 128, 1});
      g.addOutput(p + "grid_b", DType.FLOAT32, new int[] {1, 32, 1});
    } else {
      g.addNode("Concat", List.of(p + "grid_a", p + "grid_b"), List.of(p + "scores"),
          OnnxGraphBuilder.attrs().putInt("axis", 1));
      g.addOutput(p + "scores", DType.FLOAT32, new int[] {1, 160, 1});
    }
    return g.build();
  }

  private Path write(Spelling sp, String prefix) {
    Path f = dir.resolve(sp.name().toLowerCase(java.util.Locale.ROOT) + ".onnx");
    detector(sp, prefix).write(f);
    return f;
  }

  private static Comparer.Outcome compare(Path reference, Path candidate) {
    Comparer.Outcome o = Comparer.compare(CompareRequest.of(reference, candidate).withValueMatching(false));
    System.out.println(reference.getFileName() + " vs " + candidate.getFileName() + ": " + o.result().verdict() + "; "
        + String.join("; ", o.result().notes()));
    return o;
  }

  private static TensorMatch pair(Matching m, String a) {
    return m.pairs().stream().filter(p -> p.a().equals(a)).findFirst().orElseThrow(() -> new AssertionError(a));
  }

  @Test
  void candidateOutputConcatenatingWhatTheReferenceReturnsInPartsIsComparedInItsParts() {
    Comparer.Outcome o = compare(write(Spelling.TF2ONNX, "p_"), write(Spelling.TORCH, "q_"));
    Matching m = o.matching();
    assertThat(m.unpairedOutputs()).isEmpty();
    assertThat(o.result().verdict()).isEqualTo(Verdict.ALIGNED);
    assertThat(m.unmatched()).as(m.unmatchedReasons().toString()).isZero();
    assertThat(pair(m, "p_grid_a").b()).isEqualTo("q_grid_a");
    assertThat(pair(m, "p_grid_b").b()).isEqualTo("q_grid_b");
    assertThat(pair(m, "p_s").b()).isEqualTo("q_s");
    // PRelu against the candidate's Where(x >= 0, x, x * slope): the agreeing tensor downstream of the conv
    assertThat(pair(m, "p_t").b()).isEqualTo("q_t");
    assertThat(pair(m, "p_t").method()).isEqualTo(Method.REGION);
    assertThat(o.result().notes()).contains("candidate output 'q_scores' compared in parts: concat of 'q_grid_a'"
        + " [1, 128, 1] + 'q_grid_b' [1, 32, 1], compared as the reference's 'p_grid_a', 'p_grid_b'");
    assertThat(o.result().comparisons()).allSatisfy(c -> assertThat(c.metrics().relL2()).isLessThan(1e-6));
  }

  @Test
  void whatOnlyTheReferenceSpellsOutIsWalkedThroughAndWhatHasNoCounterpartSaysWhy() {
    Comparer.Outcome o = compare(write(Spelling.TORCH, "q_"), write(Spelling.TF2ONNX, "p_"));
    Matching m = o.matching();
    assertThat(o.result().verdict()).as(String.join("\n", o.result().notes())).isEqualTo(Verdict.ALIGNED);
    // the reference's decomposed PReLU: its Where pairs with the PRelu by region, through the two unpaired inputs
    assertThat(pair(m, "q_t").b()).isEqualTo("p_t");
    assertThat(pair(m, "q_t").method()).isEqualTo(Method.REGION);
    // the conv after the reference's explicit pad pairs by structure
    TensorMatch s = pair(m, "q_s");
    assertThat(s.b()).isEqualTo("p_s");
    assertThat(s.method()).isEqualTo(Method.STRUCTURE);
    assertThat(pair(m, "q_grid_b").b()).isEqualTo("p_grid_b");
    TensorMatch out = pair(m, "q_scores");
    assertThat(out.method()).isEqualTo(Method.REASSEMBLED);
    assertThat(out.reassembly().parts()).containsExactly("p_grid_a", "p_grid_b");
    // what is left has no tensor on the other side, and says why
    assertThat(m.unmatchedReasons()).containsOnlyKeys("q_positive", "q_scaled", "q_padded");
    assertThat(m.unmatchedReasons().get("q_padded"))
        .startsWith("a pad the other side does inside its Conv 'p_s' (its own padding)");
    for (String inner : List.of("q_positive", "q_scaled")) {
      assertThat(m.unmatchedReasons().get(inner))
          .isEqualTo("inside ops the other side computes as one: 'q_t' is paired by region with its 'p_t'");
    }
    assertThat(m.referenceTensors() - m.unmatched()).isEqualTo(m.byStructure() + m.byRegion() + m.reassembled());
  }

  @Test
  void aWrongPadIsTheFirstDivergenceAtTheConvWhicheverSideIsTheReference() {
    Path good = write(Spelling.TF2ONNX, "p_");
    Path bad = write(Spelling.TORCH_WRONG_PAD, "q_");
    List<String> first = new ArrayList<>();
    for (boolean goodFirst : new boolean[] {true, false}) {
      Comparer.Outcome o = goodFirst ? compare(good, bad) : compare(bad, good);
      assertThat(o.result().verdict()).isEqualTo(Verdict.MISALIGNED);
      Comparison f = o.result().firstDivergence();
      first.add(f.name());
      System.out.println("wrong pad, " + (goodFirst ? "tf2onnx" : "torch") + " first: first divergence " + f.name()
          + " rel_l2 " + f.metrics().relL2());
      // what comes before the pad agrees
      String before = goodFirst ? "p_t" : "q_t";
      assertThat(o.result().comparisons()).filteredOn(c -> c.name().equals(before)).singleElement()
          .satisfies(c -> assertThat(c.passed()).isTrue());
    }
    assertThat(first).containsExactly("p_s", "q_s");
  }
  /**
   * x [1,3,8,8] -> conv 3x3 (c) -> two max pools of c (2x2 stride 2), each added to its own 1x1 conv of the pool:
   * {@code twice} spells them as two MaxPool nodes (TFLite's two MAX_POOL_2D), else one MaxPool read twice (what
   * torch.onnx's export makes of two identical max_pool2d calls). {@code secondKernel} 3 (pad 1) makes the second
   * pool a different op with the same shape.
   */
  static OnnxModel twinPools(boolean twice, int secondKernel, String p) {
    OnnxGraphBuilder g = new OnnxGraphBuilder("pools");
    g.addInput(p + "x", DType.FLOAT32, new int[] {1, 3, 8, 8});
    g.addInitializer(p + "w1", W1);
    g.addInitializer(p + "b1", B1);
    g.addInitializer(p + "k1", CompareFixtures.rnd(47, 4, 4, 1, 1));
    g.addInitializer(p + "k2", CompareFixtures.rnd(48, 4, 4, 1, 1));
    g.addNode("Conv", List.of(p + "x", p + "w1", p + "b1"), List.of(p + "c"),
        OnnxGraphBuilder.attrs().putInts("pads", 1, 1, 1, 1).putInts("kernel_shape", 3, 3));
    g.addNode("MaxPool", List.of(p + "c"), List.of(p + "m1"),
        OnnxGraphBuilder.attrs().putInts("kernel_shape", 2, 2).putInts("strides", 2, 2));
    String m2 = p + "m1";
    if (twice) {
      m2 = p + "m2";
      var k = OnnxGraphBuilder.attrs().putInts("kernel_shape", secondKernel, secondKernel).putInts("strides", 2, 2);
      g.addNode("MaxPool", List.of(p + "c"), List.of(m2), secondKernel == 3 ? k.putInts("pads", 1, 1, 1, 1) : k);
    }
    g.addNode("Conv", List.of(p + "m1", p + "k1"), List.of(p + "h1"));
    g.addNode("Add", List.of(p + "m1", p + "h1"), List.of(p + "y1"));
    g.addNode("Conv", List.of(m2, p + "k2"), List.of(p + "h2"));
    g.addNode("Add", List.of(m2, p + "h2"), List.of(p + "y2"));
    g.addOutput(p + "y1", DType.FLOAT32, new int[] {1, 4, 4, 4});
    g.addOutput(p + "y2", DType.FLOAT32, new int[] {1, 4, 4, 4});
    return g.build();
  }

  @Test
  void twoIdenticalOpsTheCandidateComputesOncePairWithItsOneTensorOnlyWhenTheValuesAgree() {
    Path once = dir.resolve("once.onnx");
    twinPools(false, 2, "q_").write(once);
    Path twice = dir.resolve("twice.onnx");
    twinPools(true, 2, "p_").write(twice);
    Comparer.Outcome o = compare(twice, once);
    Matching m = o.matching();
    assertThat(o.result().verdict()).isEqualTo(Verdict.ALIGNED);
    assertThat(m.unmatched()).as(m.unmatchedReasons().toString()).isZero();
    assertThat(pair(m, "p_m1").b()).isEqualTo("q_m1");
    assertThat(pair(m, "p_m2").b()).isEqualTo("q_m1");
    assertThat(pair(m, "p_m2").method()).isEqualTo(Method.STRUCTURE);
    assertThat(pair(m, "p_y2").b()).isEqualTo("q_y2");
    // a second pool that is another op (3x3) is not the candidate's one pool: its values do not agree
    Path other = dir.resolve("other.onnx");
    twinPools(true, 3, "p_").write(other);
    Comparer.Outcome d = compare(other, once);
    assertThat(d.matching().pairs()).noneMatch(x -> x.a().equals("p_m2"));
    assertThat(d.matching().unmatchedReasons()).containsKey("p_m2");
  }
}
