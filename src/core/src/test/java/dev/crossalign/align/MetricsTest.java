package dev.crossalign.align;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.crossalign.CrossalignException;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.Half;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

class MetricsTest {
  private static final double EPS = 1e-15;

  static HostTensor f(int[] shape, float... v) {
    return HostTensor.ofFloats(shape, Layout.ANY, v);
  }

  static HostTensor f(float... v) {
    return f(new int[] {v.length}, v);
  }

  /**
   * A scaled atol is known only at the end of the pass (max|ref| may come last): pairs outside the tolerance at the
   * running max|ref| but inside at the final one must not count, and pairs outside at the final one must. The oracle
   * is the rule counted element by element here, over 3 chunks of the pass with the largest |ref| in the last one.
   */
  @Test
  void aScaledAtolCountsWithTheFinalMaxWhereverTheMaxIs() {
    int n = 3 * PairScan.CHUNK + 5;
    double[] a = new double[n];
    double[] b = new double[n];
    java.util.Random rnd = new java.util.Random(3);
    for (int i = 0; i < n; i++) {
      a[i] = rnd.nextDouble() - 0.5;
      b[i] = a[i] + (rnd.nextBoolean() ? 1 : -1) * 5e-5 * rnd.nextDouble(); // above atol 1e-5, below 100 * atol
    }
    a[n - 1] = 100; // max|ref| only at the very end: atol' = 1e-3
    b[n - 1] = 100;
    Tolerance tol = new Tolerance(1e-5, 0);
    Metrics passing = Metrics.of(d(a), d(b), tol);
    assertThat(passing.outOfTolerance()).isZero();
    assertThat(passing.pass()).isTrue();
    b[7] = a[7] + 2e-3; // outside even at the final atol'
    b[n - 2] = a[n - 2] - 1.5e-3;
    long expected = 0;
    for (int i = 0; i < n; i++) {
      expected += Math.abs(b[i] - a[i]) <= 1e-5 * 100 ? 0 : 1;
    }
    Metrics failing = Metrics.of(d(a), d(b), tol);
    assertThat(expected).isEqualTo(2);
    assertThat(failing.outOfTolerance()).isEqualTo(expected);
    assertThat(failing.pass()).isFalse();
    // unscaled: the pass's own count is the answer (every pair here is above 1e-5 but the two at the end are equal)
    long unscaled = 0;
    for (int i = 0; i < n; i++) {
      unscaled += Math.abs(b[i] - a[i]) <= 1e-5 ? 0 : 1;
    }
    assertThat(Metrics.of(d(a), d(b), new Tolerance(1e-5, 0, false)).outOfTolerance()).isEqualTo(unscaled);
  }

  static HostTensor d(double... v) {
    ByteBuffer b = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    b.asDoubleBuffer().put(v);
    return HostTensor.wrap(DType.FLOAT64, new int[] {v.length}, Layout.ANY, b);
  }

  @Test
  void closedFormOnFourElements() {
    Metrics m = Metrics.of(f(1, 2, 3, 4), f(1, 2, 3, 5), Tolerance.DEFAULT);
    assertThat(m.count()).isEqualTo(4);
    assertThat(m.finitePairs()).isEqualTo(4);
    assertThat(m.maxAbs()).isEqualTo(1.0);
    assertThat(m.meanAbs()).isEqualTo(0.25);
    // ||a-b|| = 1, ||a|| = sqrt(1+4+9+16) = sqrt(30)
    assertThat(m.relL2()).isCloseTo(1 / Math.sqrt(30), within(EPS));
    // a.b = 1+4+9+20 = 34, ||b|| = sqrt(1+4+9+25) = sqrt(39)
    assertThat(m.cosine()).isCloseTo(34 / (Math.sqrt(30) * Math.sqrt(39)), within(EPS));
    assertThat(m.meanRef()).isEqualTo(2.5);
    assertThat(m.meanCand()).isEqualTo(2.75);
    assertThat(m.meanDiff()).isEqualTo(0.25);
    assertThat(m.sumDiff()).isEqualTo(1.0);
    assertThat(m.minRef()).isEqualTo(1.0);
    assertThat(m.maxRef()).isEqualTo(4.0);
    assertThat(m.minCand()).isEqualTo(1.0);
    assertThat(m.maxCand()).isEqualTo(5.0);
    assertThat(m.distinctRef()).isEqualTo(4);
    assertThat(m.distinctCand()).isEqualTo(4);
    assertThat(m.nanRef() + m.nanCand() + m.infRef() + m.infCand()).isZero();
    assertThat(m.argmax()).isEqualTo(3);
    assertThat(m.argmaxIndex()).containsExactly(3);
    assertThat(m.refAtArgmax()).isEqualTo(4.0);
    assertThat(m.candAtArgmax()).isEqualTo(5.0);
    assertThat(m.outOfTolerance()).isEqualTo(1);
    assertThat(m.pass()).isFalse();
  }

  @Test
  void argmaxMultiIndexUsesReferenceShape() {
    // [[1, 2, 3], [4, 5, 6]] vs a change at row 1, column 0 (flat 3)
    Metrics m = Metrics.of(f(new int[] {2, 3}, 1, 2, 3, 4, 5, 6), f(1, 2, 3, 4.5f, 5, 6), Tolerance.DEFAULT);
    assertThat(m.argmax()).isEqualTo(3);
    assertThat(m.argmaxIndex()).containsExactly(1, 0);
    assertThat(m.maxAbs()).isEqualTo(0.5);
  }

  @Test
  void toleranceBoundIsInclusiveAndScaledByReference() {
    // |4 - 5| = 1 <= 0 + 0.25 * |4|
    assertThat(Metrics.of(f(1, 2, 3, 4), f(1, 2, 3, 5), new Tolerance(0, 0.25)).pass()).isTrue();
    assertThat(Metrics.of(f(1, 2, 3, 4), f(1, 2, 3, 5), new Tolerance(0, 0.2499)).pass()).isFalse();
    // scaled by the reference (4), not the candidate (5): 0.2 * 5 = 1 would pass, 0.2 * 4 = 0.8 does not
    assertThat(Metrics.of(f(1, 2, 3, 4), f(1, 2, 3, 5), new Tolerance(0, 0.2)).pass()).isFalse();
    // atol alone, absolute (numpy.allclose)
    assertThat(Metrics.of(f(1, 2, 3, 4), f(1, 2, 3, 5), new Tolerance(1.0, 0, false)).pass()).isTrue();
    assertThat(Metrics.of(f(1, 2, 3, 4), f(1, 2, 3, 5), new Tolerance(0.999, 0, false)).pass()).isFalse();
  }

  @Test
  void atolIsScaledByTheLargestReferenceMagnitudeByDefault() {
    // max|ref| = 4: atol' = 0.25 * 4 = 1 covers |4 - 5| = 1; 0.2499 * 4 < 1 does not
    assertThat(Metrics.of(f(1, 2, 3, 4), f(1, 2, 3, 5), new Tolerance(0.25, 0)).pass()).isTrue();
    assertThat(Metrics.of(f(1, 2, 3, 4), f(1, 2, 3, 5), new Tolerance(0.2499, 0)).pass()).isFalse();
    // below 1 the scale is 1: atol stays absolute for small tensors
    assertThat(Metrics.of(f(0.1f, 0.5f), f(0.1f, 0.6f), new Tolerance(0.1001, 0)).pass()).isTrue();
    assertThat(Metrics.of(f(0.1f, 0.5f), f(0.1f, 0.6f), new Tolerance(0.0999, 0)).pass()).isFalse();
    // a NaN or Inf in the reference does not inflate the scale
    assertThat(Metrics.of(f(Float.POSITIVE_INFINITY, 0.5f), f(Float.POSITIVE_INFINITY, 0.6f), new Tolerance(0.0999, 0)).pass()).isFalse();
  }

  @Test
  void relL2BudgetLetsAnAccumulatedErrorPassButNotANonFiniteOne() {
    Tolerance strict = new Tolerance(0, 0, false);
    // ||d|| / ||a|| = 1 / sqrt(30) = 0.1826
    assertThat(Metrics.of(f(1, 2, 3, 4), f(1, 2, 3, 5), strict).pass()).isFalse();
    assertThat(Metrics.of(f(1, 2, 3, 4), f(1, 2, 3, 5), strict.withRelL2Budget(0.183)).pass()).isTrue();
    assertThat(Metrics.of(f(1, 2, 3, 4), f(1, 2, 3, 5), strict.withRelL2Budget(0.182)).pass()).isFalse();
    assertThat(Metrics.of(f(1, 2, 3, 4), f(1, 2, 3, Float.NaN), strict.withRelL2Budget(1e9)).pass()).isFalse();
  }

  @Test
  void identicalNonFiniteValuesFailByDefaultAndPassOnlyWhenAccepted() {
    float nan = Float.NaN;
    float inf = Float.POSITIVE_INFINITY;
    Metrics strict = Metrics.of(f(1, nan, inf, 2, -inf), f(1, nan, inf, 2, -inf), Tolerance.DEFAULT);
    assertThat(strict.pass()).as("NaN/Inf never pass silently").isFalse();
    assertThat(strict.hasNonFinite()).isTrue();
    assertThat(strict.firstNonFiniteRef()).isEqualTo(1);
    assertThat(strict.firstNonFiniteCand()).isEqualTo(1);
    Metrics m = Metrics.of(f(1, nan, inf, 2, -inf), f(1, nan, inf, 2, -inf), Tolerance.DEFAULT.withAcceptNonFinite(true));
    assertThat(m.pass()).isTrue();
    assertThat(m.nanRef()).isEqualTo(1);
    assertThat(m.nanCand()).isEqualTo(1);
    assertThat(m.infRef()).isEqualTo(2);
    assertThat(m.infCand()).isEqualTo(2);
    assertThat(m.finitePairs()).isEqualTo(2);
    assertThat(m.nonFiniteMismatch()).isZero();
    assertThat(m.meanRef()).isEqualTo(1.5);
    assertThat(m.minRef()).isEqualTo(1.0);
    assertThat(m.maxRef()).isEqualTo(2.0);
    assertThat(m.maxAbs()).isZero();
    assertThat(m.distinctRef()).isEqualTo(5);
  }

  @Test
  void acceptedNonFiniteStillFailsWhereTheSidesDisagree() {
    float nan = Float.NaN;
    float inf = Float.POSITIVE_INFINITY;
    Tolerance accept = Tolerance.DEFAULT.withAcceptNonFinite(true);
    // same-signed Inf where Inf, NaN where NaN: anything else fails even when accepted
    assertThat(Metrics.of(f(inf, 1), f(-inf, 1), accept).pass()).isFalse();
    assertThat(Metrics.of(f(nan, 1), f(inf, 1), accept).pass()).isFalse();
    assertThat(Metrics.of(f(1, nan), f(nan, 1), accept).pass()).isFalse();
    Metrics shifted = Metrics.of(f(1, nan, 2, 3), f(1, 2, 3, inf), accept);
    assertThat(shifted.pass()).isFalse();
    assertThat(shifted.firstNonFiniteRef()).isEqualTo(1);
    assertThat(shifted.firstNonFiniteCand()).isEqualTo(3);
    assertThat(shifted.nonFiniteMismatch()).isEqualTo(2);
    // the finite part is still judged by the tolerance
    assertThat(Metrics.of(f(nan, 1), f(nan, 2), accept).pass()).isFalse();
    assertThat(Metrics.of(f(nan, 1), f(nan, 1), accept).pass()).isTrue();
    // NaN on one side only, finite elsewhere
    Metrics one = Metrics.of(f(1, 2), f(1, nan), Tolerance.DEFAULT);
    assertThat(one.firstNonFiniteRef()).isEqualTo(-1);
    assertThat(one.firstNonFiniteCand()).isEqualTo(1);
  }

  @Test
  void nanAgainstFiniteFailsAndIsTheWorstElement() {
    Metrics m = Metrics.of(f(1, 2, 3), f(1.5f, Float.NaN, 3), Tolerance.DEFAULT);
    assertThat(m.pass()).isFalse();
    assertThat(m.nonFiniteMismatch()).isEqualTo(1);
    assertThat(m.nanCand()).isEqualTo(1);
    assertThat(m.nanRef()).isZero();
    assertThat(m.argmax()).isEqualTo(1);
    assertThat(m.candAtArgmax()).isNaN();
    // difference statistics over the two finite pairs only
    assertThat(m.finitePairs()).isEqualTo(2);
    assertThat(m.maxAbs()).isEqualTo(0.5);
    assertThat(m.meanAbs()).isEqualTo(0.25);
    assertThat(m.meanCand()).isEqualTo(2.25);
    assertThat(m.meanRef()).isEqualTo(2.0);
  }

  @Test
  void nanInReferenceOnlyFails() {
    Metrics m = Metrics.of(f(Float.NaN, 1), f(0, 1), new Tolerance(1e9, 0));
    assertThat(m.pass()).isFalse();
    assertThat(m.nanRef()).isEqualTo(1);
  }

  @Test
  void oppositeInfinitiesFail() {
    Metrics m = Metrics.of(f(Float.POSITIVE_INFINITY), f(Float.NEGATIVE_INFINITY), Tolerance.DEFAULT);
    assertThat(m.pass()).isFalse();
    assertThat(m.infRef()).isEqualTo(1);
    assertThat(m.infCand()).isEqualTo(1);
    assertThat(m.argmax()).isZero();
  }

  @Test
  void nothingFiniteGivesNaNMeansAndZeroSums() {
    Metrics m = Metrics.of(f(Float.NaN, Float.NaN), f(Float.NaN, Float.NaN), Tolerance.DEFAULT);
    assertThat(m.pass()).as("all-NaN on both sides is not a pass").isFalse();
    assertThat(m.relL2()).as("no finite pair: rel_l2 is not 0").isNaN();
    assertThat(m.cosine()).isNaN();
    assertThat(Metrics.of(f(Float.NaN, Float.NaN), f(Float.NaN, Float.NaN), Tolerance.DEFAULT.withAcceptNonFinite(true))
        .pass()).isTrue();
    assertThat(m.meanRef()).isNaN();
    assertThat(m.meanAbs()).isNaN();
    assertThat(m.minCand()).isNaN();
    assertThat(m.sumDiff()).isZero();
    assertThat(m.maxAbs()).isZero();
    assertThat(m.distinctRef()).isEqualTo(1);
  }

  @Test
  void cosineAndRelL2OnZeroVectors() {
    Metrics both = Metrics.of(f(0, 0, 0), f(0, -0f, 0), Tolerance.DEFAULT);
    assertThat(both.cosine()).isEqualTo(1.0);
    assertThat(both.relL2()).isZero();
    assertThat(both.pass()).isTrue();
    assertThat(both.distinctCand()).as("-0.0 and 0.0 are one value").isEqualTo(1);

    Metrics oneZero = Metrics.of(f(0, 0), f(1, 0), Tolerance.DEFAULT);
    assertThat(oneZero.cosine()).isEqualTo(0.0);
    assertThat(oneZero.relL2()).isEqualTo(1.0 / Metrics.TINY);
  }

  @Test
  void oppositeVectorsHaveCosineMinusOne() {
    Metrics m = Metrics.of(f(1, -2, 3), f(-1, 2, -3), Tolerance.DEFAULT);
    assertThat(m.cosine()).isCloseTo(-1.0, within(EPS));
    // ||a-b|| = 2 ||a||
    assertThat(m.relL2()).isCloseTo(2.0, within(EPS));
  }

  @Test
  void distinctCountStopsAtTheCap() {
    int n = Metrics.DISTINCT_CAP + 5000;
    float[] many = new float[n];
    float[] few = new float[n];
    for (int i = 0; i < n; i++) {
      many[i] = i;
      few[i] = i % 7;
    }
    Metrics m = Metrics.of(f(many), f(few), Tolerance.DEFAULT);
    assertThat(m.distinctRef()).isEqualTo(Metrics.DISTINCT_CAP);
    assertThat(m.distinctRefSaturated()).isTrue();
    assertThat(m.distinctCand()).isEqualTo(7);
    assertThat(m.distinctCandSaturated()).isFalse();

    float[] justBelow = new float[Metrics.DISTINCT_CAP - 1];
    for (int i = 0; i < justBelow.length; i++) {
      justBelow[i] = -i * 0.5f;
    }
    Metrics b = Metrics.of(f(justBelow), f(justBelow), Tolerance.DEFAULT);
    assertThat(b.distinctRef()).isEqualTo(Metrics.DISTINCT_CAP - 1);
    assertThat(b.distinctRefSaturated()).isFalse();
  }

  @Test
  void manyChunksMatchClosedForm() {
    // a[i] = i, b = a except b[12345] = a[12345] + 3; n spans several internal chunks
    int n = 50_000;
    float[] a = new float[n];
    float[] b = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = i;
      b[i] = i;
    }
    b[12345] += 3;
    Metrics m = Metrics.of(f(a), f(b), Tolerance.DEFAULT);
    double sumSq = (double) (n - 1) * n * (2L * n - 1) / 6.0;
    assertThat(m.maxAbs()).isEqualTo(3.0);
    assertThat(m.argmax()).isEqualTo(12345);
    assertThat(m.sumDiff()).isEqualTo(3.0);
    assertThat(m.meanAbs()).isCloseTo(3.0 / n, within(EPS));
    assertThat(m.meanRef()).isEqualTo((n - 1) / 2.0);
    assertThat(m.relL2()).isCloseTo(3.0 / Math.sqrt(sumSq), within(1e-18));
    assertThat(m.maxRef()).isEqualTo(n - 1.0);
    assertThat(m.distinctRef()).isEqualTo(Math.min(n, Metrics.DISTINCT_CAP));
    assertThat(m.outOfTolerance()).isEqualTo(1);
  }

  @Test
  void integerTensorsCompareExactly() {
    HostTensor a = HostTensor.ofInts(new int[] {3}, Layout.ANY, new int[] {1, 2, 3});
    HostTensor b = HostTensor.ofLongs(new int[] {3}, Layout.ANY, new long[] {1, 2, 4});
    Metrics m = Metrics.of(a, b, new Tolerance(0, 0));
    assertThat(m.maxAbs()).isEqualTo(1.0);
    assertThat(m.pass()).isFalse();
    assertThat(Metrics.of(a, a, new Tolerance(0, 0)).pass()).isTrue();
    // 2^40 + 1 vs 2^40: exact in double
    long big = 1L << 40;
    Metrics l = Metrics.of(HostTensor.ofLongs(new int[] {1}, Layout.ANY, new long[] {big + 1}),
        HostTensor.ofLongs(new int[] {1}, Layout.ANY, new long[] {big}), new Tolerance(0, 0));
    assertThat(l.maxAbs()).isEqualTo(1.0);
  }

  @Test
  void uint8BoolAndHalfAreReadAsTheirValues() {
    HostTensor u8 = HostTensor.of(DType.UINT8, new int[] {3}, Layout.ANY, ByteBuffer.wrap(new byte[] {0, (byte) 200, 1}));
    HostTensor i8 = HostTensor.of(DType.INT8, new int[] {3}, Layout.ANY, ByteBuffer.wrap(new byte[] {0, (byte) 200, 1}));
    Metrics m = Metrics.of(u8, i8, Tolerance.DEFAULT);
    // 200 as uint8 vs -56 as int8
    assertThat(m.maxAbs()).isEqualTo(256.0);
    assertThat(m.maxRef()).isEqualTo(200.0);
    assertThat(m.minCand()).isEqualTo(-56.0);

    ByteBuffer hb = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
    hb.putShort(Half.fromFloat(0.5f)).putShort(Half.fromFloat(-2f)).flip();
    HostTensor h = HostTensor.of(DType.FLOAT16, new int[] {2}, Layout.ANY, hb);
    Metrics mh = Metrics.of(f(0.5f, -2f), h, new Tolerance(0, 0));
    assertThat(mh.pass()).isTrue();
    assertThat(mh.minCand()).isEqualTo(-2.0);
  }

  @Test
  void float64IsNotRoundedThroughFloat() {
    Metrics m = Metrics.of(d(1.0), d(1.0 + 1e-12), new Tolerance(0, 0));
    assertThat(m.maxAbs()).isCloseTo(1e-12, within(1e-16));
    assertThat(m.pass()).isFalse();
  }

  @Test
  void emptyTensors() {
    Metrics m = Metrics.of(f(new int[] {0}), f(new int[] {0}), Tolerance.DEFAULT);
    assertThat(m.count()).isZero();
    assertThat(m.argmax()).isEqualTo(-1);
    assertThat(m.argmaxIndex()).isEmpty();
    assertThat(m.pass()).isTrue();
    assertThat(m.meanRef()).isNaN();
  }

  @Test
  void differentElementCountsAreRejected() {
    assertThatThrownBy(() -> Metrics.of(f(1, 2), f(1, 2, 3), Tolerance.DEFAULT))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("[2]").hasMessageContaining("[3]");
  }

  @Test
  void toleranceRejectsNegativeAndNonFinite() {
    assertThat(Tolerance.DEFAULT).isEqualTo(new Tolerance(1e-5, 1e-4));
    assertThatThrownBy(() -> new Tolerance(-1, 0)).isInstanceOf(CrossalignException.class).hasMessageContaining("atol");
    assertThatThrownBy(() -> new Tolerance(0, Double.NaN)).isInstanceOf(CrossalignException.class)
        .hasMessageContaining("rtol");
    assertThatThrownBy(() -> new Tolerance(Double.POSITIVE_INFINITY, 0)).isInstanceOf(CrossalignException.class);
    assertThat(new Tolerance(0.1, 0.5).allows(2, 3)).isTrue();
    assertThat(new Tolerance(0.1, 0.5).allows(2, 3.2)).isFalse();
  }

  @Test
  void recordsCompareByValue() {
    assertThat(Metrics.of(f(1, 2), f(1, 3), Tolerance.DEFAULT)).isEqualTo(Metrics.of(f(1, 2), f(1, 3), Tolerance.DEFAULT));
    assertThat(Metrics.unravel(23, new int[] {2, 3, 4})).isEqualTo(List.of(1, 2, 3));
  }
}
