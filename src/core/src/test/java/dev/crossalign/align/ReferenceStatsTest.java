package dev.crossalign.align;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.backend.Activations;
import dev.crossalign.backend.CapturedTensor;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A reference tensor's own statistics made by its first comparison and reused by the later ones change no number:
 * the oracle is the same comparison made without {@link ReferenceStats} (which MetricsTest checks against closed
 * forms), compared as records (every double bit for bit, NaN included), over tensors with NaN, Inf, -0, several
 * chunks, the largest |ref| last (the scaled atol), failing and passing candidates, flat and NCHW.
 */
class ReferenceStatsTest {
  private static final Random RANDOM = new Random(5);
  private static final int[] BIG = {1, 3, 2 * PairScan.CHUNK / 7 + 5, 7};

  private static float[] values(int n, boolean special) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) RANDOM.nextGaussian();
    }
    v[n - 1] = 40; // max|ref| last: atol' = 40 * atol is known only at the end of a pass
    if (special) {
      v[1] = Float.NaN;
      v[n / 2] = Float.POSITIVE_INFINITY;
      v[n / 3] = -0.0f;
    }
    return v;
  }

  private static HostTensor noisy(HostTensor t, double noise, boolean nchw) {
    float[] v = new float[(int) t.numel()];
    for (int i = 0; i < v.length; i++) {
      double x = t.getDouble(i);
      v[i] = (float) (Double.isFinite(x) ? x + RANDOM.nextGaussian() * noise : x);
    }
    HostTensor c = HostTensor.ofFloats(t.shape(), Layout.NHWC, v);
    return nchw ? c.permute(Layout.nhwcToNchw(), Layout.NCHW) : c;
  }

  private static Activations reference() {
    return Activations.builder("tflite")
        .add("big", "CONV_2D", 0, HostTensor.ofFloats(BIG, Layout.NHWC, values((int) HostTensor.numel(BIG), false)))
        .add("odd", "ADD", 1, HostTensor.ofFloats(new int[] {1, 5, 9, 3}, Layout.NHWC, values(135, true)))
        .add("small", "RELU", 2, HostTensor.ofFloats(new int[] {7}, Layout.ANY, values(7, false)))
        .output("small").build();
  }

  /** Four candidates per reference tensor, as validate has (torch and ONNX Runtime, chained and isolated). */
  private static List<CapturedTensor> candidates(CapturedTensor r) {
    List<CapturedTensor> out = new ArrayList<>();
    boolean rank4 = r.tensor().shape().length == 4;
    for (double noise : new double[] {1e-7, 1e-3, 2e-5, 0}) {
      out.add(new CapturedTensor(r.name(), r.op(), r.index(), noise == 0 && rank4
          ? noisy(r.tensor(), 1e-6, true) : noisy(r.tensor(), noise, false)));
    }
    return out;
  }

  @Test
  void reusedStatisticsGiveTheSameComparisonsBitForBit() {
    Activations ref = reference();
    ReferenceStats held = new ReferenceStats(ref);
    int failing = 0;
    for (Tolerance tol : new Tolerance[] {Tolerance.DEFAULT, new Tolerance(1e-5, 0, false)}) {
      for (CapturedTensor r : ref.tensors()) {
        for (CapturedTensor c : candidates(r)) {
          Comparison fresh = Aligner.compareOne(r, c, "tflite~torch", Mode.CHAINED, tol);
          Comparison shared = Aligner.compareOne(r, c, "tflite~torch", Mode.CHAINED, tol, held);
          assertThat(shared).isEqualTo(fresh);
          failing += fresh.metrics().outOfTolerance() > 0 ? 1 : 0;
        }
      }
    }
    assertThat(held.size()).isEqualTo(3);
    assertThat(failing).as("candidates outside the tolerance, whose count the known max|ref| makes in one pass")
        .isGreaterThan(2);
  }

  @Test
  void keptStatisticsAreTheTensorsOwn() {
    Activations ref = reference();
    ReferenceStats held = new ReferenceStats(ref);
    for (CapturedTensor r : ref.tensors()) {
      Aligner.compareOne(r, candidates(r).get(1), "tflite~torch", Mode.CHAINED, Tolerance.DEFAULT, held);
      // the oracle: the side statistics added element by element over the tensor's flat order
      SideStats own = new SideStats();
      for (long i = 0; i < r.tensor().numel(); i++) {
        own.add(new double[] {r.tensor().getDouble(i)}, 1, i);
      }
      SideStats kept = held.get(r);
      assertThat(kept).isNotNull();
      assertThat(List.of(kept.finite, kept.sum, kept.min, kept.max, kept.nan, kept.inf, kept.firstNonFinite))
          .isEqualTo(List.of(own.finite, own.sum, own.min, own.max, own.nan, own.inf, own.firstNonFinite));
    }
  }

  @Test
  void aTensorOfTheSameNameFromElsewhereIsMeasuredAfresh() {
    Activations ref = reference();
    ReferenceStats held = new ReferenceStats(ref);
    CapturedTensor r = ref.get("odd");
    CapturedTensor c = candidates(r).get(0);
    Aligner.compareOne(r, c, "tflite~torch", Mode.CHAINED, Tolerance.DEFAULT, held);
    // the same name, other values (a streamed run's tensor, say): not the held run's, so neither served nor kept
    CapturedTensor other = new CapturedTensor("odd", "ADD", 1, noisy(r.tensor(), 0.5, false));
    Comparison shared = Aligner.compareOne(other, c, "tflite~torch", Mode.CHAINED, Tolerance.DEFAULT, held);
    assertThat(shared).isEqualTo(Aligner.compareOne(other, c, "tflite~torch", Mode.CHAINED, Tolerance.DEFAULT));
    assertThat(shared.metrics().meanRef()).isNotEqualTo(held.get(r).mean());
    assertThat(held.get(other)).isNull();
    assertThat(held.size()).isEqualTo(1);
  }
}
