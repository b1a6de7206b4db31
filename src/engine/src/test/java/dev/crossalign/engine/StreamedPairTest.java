package dev.crossalign.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.align.Aligner;
import dev.crossalign.align.AlignmentResult;
import dev.crossalign.align.Comparison;
import dev.crossalign.align.Mode;
import dev.crossalign.align.Tolerance;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.CapturedTensor;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Streaming a run past a held one gives what {@link Aligner#compare} gives for the two whole runs (the oracle: the
 * whole-run comparison validate made before streaming), in the same order, with missing outputs, tensors only one side
 * has, names captured twice and NCHW candidates; and {@link WorstPair} keeps the result's worst pair's tensors.
 */
class StreamedPairTest {
  private static final Random RANDOM = new Random(11);

  private static HostTensor nhwc(float scale) {
    float[] v = new float[2 * 3 * 4];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) RANDOM.nextGaussian() * scale;
    }
    return HostTensor.ofFloats(new int[] {1, 2, 3, 4}, Layout.NHWC, v);
  }

  private static HostTensor noisy(HostTensor t, double noise) {
    float[] v = new float[(int) t.numel()];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (t.getDouble(i) + RANDOM.nextGaussian() * noise);
    }
    return HostTensor.ofFloats(t.shape(), t.layout(), v);
  }

  private static HostTensor toNchw(HostTensor t) {
    return t.permute(new int[] {0, 3, 1, 2}, Layout.NCHW);
  }

  /** Reference a,b,c,out (out a model output); candidate lacks out, holds b twice, c in NCHW, and an extra x. */
  private static Activations[] runs() {
    HostTensor a = nhwc(1);
    HostTensor b = nhwc(2);
    HostTensor c = nhwc(3);
    HostTensor out = nhwc(1);
    Activations ref = Activations.builder("tflite").add("a", "INPUT", 0, a).add("b", "CONV_2D", 1, b)
        .add("c", "ADD", 2, c).add("out", "LOGISTIC", 3, out).output("out").build();
    Activations cand = Activations.builder("torch").add("a", "INPUT", 0, a).add("b", "CONV_2D", 1, noisy(b, 1e-3))
        .add("x", "RESHAPE", 5, nhwc(1)).add("c", "ADD", 2, toNchw(noisy(c, 1e-7)))
        .add("b", "CONV_2D", 1, noisy(b, 1e-6)).output("out").build();
    return new Activations[] {ref, cand};
  }

  private static WorstPair worst() {
    return new WorstPair("tflite", Set.of(), Set.of(), Set.of(), true);
  }

  @Test
  void candidateStreamingGivesTheWholeRunComparisons() {
    Activations[] r = runs();
    StreamedPair p = StreamedPair.candidateStreams(r[0], "torch", "torch", Mode.CHAINED, Tolerance.DEFAULT, worst(), 0);
    r[1].tensors().forEach(p::accept);
    // the same tensors streamed in run order, the duplicate name arriving twice as a capture would
    List<Comparison> streamed = p.finish();
    List<Comparison> whole = Aligner.compare(r[0], r[1], Mode.CHAINED, Tolerance.DEFAULT);
    assertThat(streamed).hasSameSizeAs(whole);
    assertThat(streamed).extracting(Comparison::name).containsExactly("a", "b", "c", "out");
    assertThat(streamed.get(3).status()).isEqualTo(Comparison.Status.MISSING);
    for (int i = 0; i < whole.size(); i++) {
      assertThat(streamed.get(i).toString()).isEqualTo(whole.get(i).toString());
    }
    assertThat(p.pairs()).isEqualTo(3 * 24);
  }

  /**
   * Two candidates of one validation (torch and ONNX Runtime, say) share the reference tensors' own statistics through
   * the legs' context: the second pair makes none, and both still give the whole-run comparisons.
   */
  @Test
  void candidatePairsOfOneValidationShareTheReferenceStatistics() {
    Activations[] r = runs();
    LegContext ctx = new LegContext(null, null, Map.of(), r[0], null, worst(), null);
    StreamedPair first = StreamedPair.candidateStreams(ctx, "torch", "torch", Mode.CHAINED, Tolerance.DEFAULT, 0);
    r[1].tensors().forEach(first::accept);
    assertThat(ctx.referenceStats().size()).as("a, b and c compared; out missing, x not in the reference").isEqualTo(3);
    StreamedPair second = StreamedPair.candidateStreams(ctx, "torch", "torch", Mode.CHAINED, Tolerance.DEFAULT, 1);
    r[1].tensors().forEach(second::accept);
    assertThat(ctx.referenceStats().size()).isEqualTo(3);
    List<Comparison> whole = Aligner.compare(r[0], r[1], Mode.CHAINED, Tolerance.DEFAULT);
    assertThat(first.finish()).isEqualTo(whole);
    assertThat(second.finish()).isEqualTo(whole);
  }

  @Test
  void duplicateNamesCountTheirLastTensorWhenStreamed() {
    Activations[] r = runs();
    StreamedPair p = StreamedPair.candidateStreams(r[0], "torch", "torch", Mode.CHAINED, Tolerance.DEFAULT, worst(), 0);
    HostTensor first = noisy(r[0].tensor("b"), 1.0);
    p.accept(new CapturedTensor("b", "CONV_2D", 1, first));
    p.accept(new CapturedTensor("b", "CONV_2D", 1, r[0].tensor("b")));
    Comparison b = p.finish().stream().filter(c -> c.name().equals("b")).findFirst().orElseThrow();
    assertThat(b.metrics().maxAbs()).isZero();
  }

  @Test
  void referenceStreamingGivesTheWholeRunComparisons() {
    Activations[] r = runs();
    // torch~onnxruntime: the pair's reference (here r[1], "torch") streams, its candidate (r[0] renamed) is held in a
    // temporary file
    Activations held = Activations.builder("onnxruntime").add(r[0].get("a")).add(r[0].get("b")).add(r[0].get("c"))
        .output("out").build();
    Activations torch = Activations.builder("torch").add(r[1].get("a")).add(r[1].get("b")).add(r[1].get("x"))
        .add(r[1].get("c")).add(new CapturedTensor("out", "LOGISTIC", 3, nhwc(1))).output("out").build();
    List<Comparison> streamed;
    try (SpilledRun spilled = SpilledRun.create("onnxruntime")) {
      held.tensors().forEach(spilled::accept);
      StreamedPair p = StreamedPair.referenceStreams("torch", "torch", List.of("out"), spilled, "onnxruntime",
          Mode.CHAINED, Tolerance.DEFAULT, worst(), 3);
      torch.tensors().forEach(p::accept);
      streamed = p.finish();
    }
    List<Comparison> whole = Aligner.compare(torch, held, Mode.CHAINED, Tolerance.DEFAULT);
    assertThat(streamed).extracting(Comparison::toString).containsExactlyElementsOf(
        whole.stream().map(Comparison::toString).toList());
    assertThat(streamed).extracting(Comparison::name).containsExactly("a", "b", "c", "out");
  }

  @Test
  void worstPairKeepsTheResultsWorstTensors() {
    Activations[] r = runs();
    WorstPair worst = worst();
    StreamedPair p = StreamedPair.candidateStreams(r[0], "torch", "torch", Mode.CHAINED, Tolerance.DEFAULT, worst, 0);
    r[1].tensors().forEach(p::accept);
    // without the missing output (no numbers: it would rank first and the report draws no histogram for it)
    List<Comparison> cs = p.finish().stream().filter(c -> c.metrics() != null).toList();
    AlignmentResult result = AlignmentResult.of("m", "cpu", 0, Tolerance.DEFAULT, List.of("tflite", "torch"), cs,
        List.of(), List.of(), Map.of(), Map.of());
    Comparison w = result.worstFirst().get(0);
    // b's later capture (noise 1e-6) replaced its first (1e-3, failing), so b ranks worst with the later tensor
    assertThat(w.name()).isEqualTo("b");
    Map<String, Activations> kept = worst.tensorsFor(result);
    assertThat(kept.get("tflite").tensor("b")).isSameAs(r[0].tensor("b"));
    assertThat(kept.get("torch").tensor("b")).isSameAs(r[1].tensor("b"));
  }

  @Test
  void worstPairSkipsWhatTheValidationDrops() {
    Activations[] r = runs();
    // c is a placeholder output: its comparisons are dropped, so it cannot be the worst even when it is
    WorstPair worst = new WorstPair("tflite", Set.of("c"), Set.of(), Set.of(), true);
    HostTensor bad = noisy(r[0].tensor("c"), 10);
    worst.offer(Aligner.compareOne(r[0].get("c"), new CapturedTensor("c", "ADD", 2, bad), "tflite~torch",
        Mode.CHAINED, Tolerance.DEFAULT), 0, 2, r[0].get("c"), null, "tflite", "torch");
    Comparison b = Aligner.compareOne(r[0].get("b"), r[1].get("b"), "tflite~torch", Mode.CHAINED, Tolerance.DEFAULT);
    worst.offer(b, 0, 1, r[0].get("b"), r[1].get("b"), "tflite", "torch");
    AlignmentResult result = AlignmentResult.of("m", "cpu", 0, Tolerance.DEFAULT, List.of("tflite", "torch"),
        List.of(b), List.of(), List.of(), Map.of(), Map.of());
    assertThat(worst.tensorsFor(result).get("torch").tensor("b")).isSameAs(r[1].tensor("b"));
  }
}
