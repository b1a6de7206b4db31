package dev.crossalign.align;

import dev.crossalign.UnsupportedOp;
import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.backend.Activations;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AlignerTest {

  static HostTensor vec(float... v) {
    return HostTensor.ofFloats(new int[] {v.length}, Layout.ANY, v);
  }

  static Activations reference() {
    return Activations.builder("tflite")
        .add("input", "INPUT", 0, LayoutAlignerTest.nhwc(1, 2, 2, 3, Layout.NHWC))
        .add("conv", "CONV_2D", 1, LayoutAlignerTest.nhwc(1, 2, 2, 3, Layout.NHWC))
        .add("fused", "ADD", 2, vec(1, 2))
        .add("ids", "ARG_MAX", 3, HostTensor.ofInts(new int[] {3}, Layout.ANY, new int[] {0, 2, 1}))
        .add("head", "RESHAPE", 4, vec(1, 2, 3, 4, 5, 6))
        .add("out", "SOFTMAX", 5, vec(0.25f, 0.75f))
        .output("out")
        .build();
  }

  @Test
  void comparesCommonTensorsInReferenceOrder() {
    Activations cand = Activations.builder("torch")
        // a different order and extra tensor: the reference's order must win, the extra is ignored
        .add("extra", "X", 9, vec(1))
        .add("head", "RESHAPE", 4, HostTensor.ofFloats(new int[] {4, 2}, Layout.ANY, new float[8]))
        .add("ids", "ARG_MAX", 3, HostTensor.ofLongs(new int[] {3}, Layout.ANY, new long[] {0, 2, 2}))
        .add("conv", "CONV_2D", 1, LayoutAlignerTest.nchw(1, 2, 2, 3, Layout.NCHW))
        .add("input", "INPUT", 0, LayoutAlignerTest.nhwc(1, 2, 2, 3, Layout.NHWC))
        .build();
    List<Comparison> cs = Aligner.compare(reference(), cand, Mode.ISOLATED, Tolerance.DEFAULT);
    assertThat(cs).extracting(Comparison::name).containsExactly("input", "conv", "ids", "head", "out");
    assertThat(cs).allSatisfy(c -> {
      assertThat(c.pair()).isEqualTo("tflite~torch");
      assertThat(c.mode()).isEqualTo(Mode.ISOLATED);
    });
    Comparison input = cs.get(0);
    assertThat(input.status()).isEqualTo(Comparison.Status.COMPARED);
    assertThat(input.permutation()).isNull();
    assertThat(input.passed()).isTrue();
    assertThat(input.shape()).containsExactly(1, 2, 2, 3);

    Comparison conv = cs.get(1);
    assertThat(conv.op()).isEqualTo("CONV_2D");
    assertThat(conv.index()).isEqualTo(1);
    assertThat(conv.permutation()).containsExactly(0, 2, 3, 1);
    assertThat(conv.metrics().maxAbs()).isZero();
    assertThat(conv.passed()).isTrue();

    Comparison ids = cs.get(2);
    assertThat(ids.status()).isEqualTo(Comparison.Status.COMPARED);
    assertThat(ids.metrics().maxAbs()).isEqualTo(1.0);
    assertThat(ids.metrics().argmax()).isEqualTo(2);
    assertThat(ids.passed()).isFalse();

    Comparison head = cs.get(3);
    assertThat(head.status()).isEqualTo(Comparison.Status.SHAPE_MISMATCH);
    assertThat(head.metrics()).isNull();
    assertThat(head.detail()).contains("[6]").contains("[4, 2]");
    assertThat(head.passed()).isFalse();

    Comparison out = cs.get(4);
    assertThat(out.status()).isEqualTo(Comparison.Status.MISSING);
    assertThat(out.metrics()).isNull();
    assertThat(out.detail()).contains("out").contains("torch");
  }

  @Test
  void aCandidateThatDidNotRunAccountsForEveryOutput() {
    List<Comparison> missing = Aligner.missingOutputs(reference(), "onnx", Mode.CHAINED, "export failed: CUSTOM");
    assertThat(missing).singleElement().satisfies(c -> {
      assertThat(c.name()).isEqualTo("out");
      assertThat(c.index()).isEqualTo(5);
      assertThat(c.pair()).isEqualTo("tflite~onnx");
      assertThat(c.status()).isEqualTo(Comparison.Status.MISSING);
      assertThat(c.detail()).isEqualTo("export failed: CUSTOM");
    });
    List<Comparison> all = new java.util.ArrayList<>(missing);
    all.add(ok("a", 0, "tflite~torch", Mode.CHAINED));
    assertThat(result(all, List.of(new UnsupportedOp("CUSTOM", 1, "no ONNX op"))).verdict())
        .isEqualTo(Verdict.INCOMPLETE);
    assertThat(result(all, List.of()).verdict()).isEqualTo(Verdict.MISALIGNED);
  }

  static Comparison ok(String name, int index, String pair, Mode mode) {
    return new Comparison(name, "OP", index, List.of(2), pair, mode,
        Metrics.of(vec(1, 2), vec(1, 2), Tolerance.DEFAULT), Comparison.Status.COMPARED, null, null);
  }

  static Comparison bad(String name, int index, String pair, Mode mode) {
    return new Comparison(name, "OP", index, List.of(2), pair, mode,
        Metrics.of(vec(1, 2), vec(1, 3), Tolerance.DEFAULT), Comparison.Status.COMPARED, null, null);
  }

  static Comparison status(String name, int index, Comparison.Status s) {
    return new Comparison(name, "OP", index, List.of(2), "tflite~torch", Mode.CHAINED, null, s, null, "why");
  }

  static AlignmentResult result(List<Comparison> cs, List<UnsupportedOp> unsupported) {
    return AlignmentResult.of("m.tflite", "cpu", 7, Tolerance.DEFAULT, List.of("tflite", "torch"), cs, unsupported,
        List.of(), Map.of(), Map.of());
  }

  @Test
  void verdictRules() {
    String p = "tflite~torch";
    UnsupportedOp u = new UnsupportedOp("CUSTOM", 2, "no kernel");
    assertThat(result(List.of(ok("a", 0, p, Mode.CHAINED), ok("b", 1, p, Mode.CHAINED)), List.of()).verdict())
        .isEqualTo(Verdict.ALIGNED);
    assertThat(result(List.of(ok("a", 0, p, Mode.CHAINED), bad("b", 1, p, Mode.CHAINED)), List.of()).verdict())
        .isEqualTo(Verdict.MISALIGNED);
    assertThat(result(List.of(), List.of()).verdict()).isEqualTo(Verdict.INCOMPLETE);
    // nothing compared: only mismatches
    assertThat(result(List.of(status("a", 0, Comparison.Status.SHAPE_MISMATCH)), List.of()).verdict())
        .isEqualTo(Verdict.INCOMPLETE);
    // unsupported ops kept an output from being compared
    assertThat(result(List.of(ok("a", 0, p, Mode.CHAINED), status("out", 5, Comparison.Status.MISSING)), List.of(u))
        .verdict()).isEqualTo(Verdict.INCOMPLETE);
    // ... and that wins over a failing comparison before it
    assertThat(result(List.of(bad("a", 0, p, Mode.CHAINED), status("out", 5, Comparison.Status.MISSING)), List.of(u))
        .verdict()).isEqualTo(Verdict.INCOMPLETE);
    // a missing output without unsupported ops is a broken candidate
    assertThat(result(List.of(ok("a", 0, p, Mode.CHAINED), status("out", 5, Comparison.Status.MISSING)), List.of())
        .verdict()).isEqualTo(Verdict.MISALIGNED);
    // unsupported ops that did not keep anything from being compared
    assertThat(result(List.of(ok("a", 0, p, Mode.CHAINED)), List.of(u)).verdict()).isEqualTo(Verdict.ALIGNED);
    assertThat(result(List.of(ok("a", 0, p, Mode.CHAINED), status("b", 1, Comparison.Status.SHAPE_MISMATCH)),
        List.of()).verdict()).isEqualTo(Verdict.MISALIGNED);
  }

  @Test
  void firstDivergenceIsEarliestByIndexOverPairsAndModes() {
    String torch = "tflite~torch";
    String onnx = "tflite~onnx";
    List<Comparison> cs = List.of(
        ok("a", 0, torch, Mode.CHAINED), bad("c", 2, torch, Mode.CHAINED), bad("d", 3, torch, Mode.CHAINED),
        ok("a", 0, torch, Mode.ISOLATED), ok("c", 2, torch, Mode.ISOLATED), bad("d", 3, torch, Mode.ISOLATED),
        ok("a", 0, onnx, Mode.CHAINED), bad("b", 1, onnx, Mode.CHAINED));
    AlignmentResult r = result(cs, List.of());
    assertThat(r.verdict()).isEqualTo(Verdict.MISALIGNED);
    assertThat(r.firstDivergence()).isSameAs(cs.get(7));
    assertThat(r.firstDivergences()).containsExactly(cs.get(1), cs.get(5), cs.get(7));
    assertThat(result(List.of(ok("a", 0, torch, Mode.CHAINED)), List.of()).firstDivergence()).isNull();
  }

  @Test
  void worstFirstPutsFailuresFirstThenLargestRelL2() {
    Comparison small = new Comparison("s", "OP", 0, List.of(2), "p", Mode.CHAINED,
        Metrics.of(vec(1, 2), vec(1, 2.000001f), Tolerance.DEFAULT), Comparison.Status.COMPARED, null, null);
    Comparison exact = ok("e", 1, "p", Mode.CHAINED);
    Comparison failing = bad("f", 2, "p", Mode.CHAINED);
    Comparison missing = status("m", 3, Comparison.Status.MISSING);
    AlignmentResult r = result(List.of(exact, small, failing, missing), List.of());
    assertThat(r.worstFirst()).containsExactly(missing, failing, small, exact);
  }
}
