package dev.crossalign.align;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * validate's distinct-value policy (Metrics.of with distinctAlways false): counted, exactly as a HashSet counts them,
 * where the count informs (failing, integer, quantized-looking), "not counted" (-1) for a continuous tensor that
 * passes.
 */
class DistinctPolicyTest {
  private static final int N = 20_000; // more than two 8192-element chunks

  private static float[] continuous(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] v = new float[N];
    for (int i = 0; i < N; i++) {
      v[i] = (float) r.nextDouble(-1, 1);
    }
    return v;
  }

  private static int distinct(float[] v) {
    Set<Float> s = new HashSet<>();
    for (float x : v) {
      s.add(x == 0f ? 0f : x);
    }
    return s.size();
  }

  private static HostTensor f(float[] v) {
    return HostTensor.ofFloats(new int[] {N}, Layout.ANY, v);
  }

  @Test
  void passingContinuousTensorIsNotCounted() {
    float[] v = continuous(1);
    Metrics m = Metrics.of(f(v), f(v.clone()), null, Tolerance.DEFAULT, false);
    assertThat(m.pass()).isTrue();
    assertThat(m.distinctRef()).isEqualTo(-1);
    assertThat(m.distinctCand()).isEqualTo(-1);
    Metrics all = Metrics.of(f(v), f(v.clone()), Tolerance.DEFAULT);
    assertThat(all.distinctRef()).isEqualTo(Math.min(distinct(v), Metrics.DISTINCT_CAP));
    // everything but the counts is the same whichever policy
    assertThat(m.relL2()).isEqualTo(all.relL2());
    assertThat(m.maxAbs()).isEqualTo(all.maxAbs());
    assertThat(m.sumDiff()).isEqualTo(all.sumDiff());
  }

  @Test
  void failingTensorIsCountedOnBothSides() {
    float[] v = continuous(2);
    float[] w = new float[N];
    for (int i = 0; i < N; i++) {
      w[i] = (i % 3000) / 8f; // 3000 distinct values, far from v
    }
    Metrics m = Metrics.of(f(v), f(w), null, Tolerance.DEFAULT, false);
    assertThat(m.pass()).isFalse();
    assertThat(m.distinctRef()).isEqualTo(Math.min(distinct(v), Metrics.DISTINCT_CAP));
    assertThat(m.distinctCand()).isEqualTo(distinct(w)).isEqualTo(3000);
  }

  @Test
  void quantizedLookingSideIsCountedEvenWhenPassing() {
    float[] q = new float[N];
    for (int i = 0; i < N; i++) {
      q[i] = ((i * 37) % 200 - 100) / 16f; // 200 distinct values, all within the probe
    }
    Metrics m = Metrics.of(f(q), f(q.clone()), null, Tolerance.DEFAULT, false);
    assertThat(m.pass()).isTrue();
    assertThat(m.distinctRef()).isEqualTo(distinct(q)).isEqualTo(200);
    assertThat(m.distinctCand()).isEqualTo(200);
  }

  @Test
  void integerSideIsCounted() {
    ByteBuffer b = ByteBuffer.allocate(N * 4).order(ByteOrder.LITTLE_ENDIAN);
    float[] v = new float[N];
    for (int i = 0; i < N; i++) {
      int x = (i * 7919) % 3500; // 3500 distinct, more than the quantized probe allows
      b.putInt(i * 4, x);
      v[i] = x;
    }
    HostTensor ints = HostTensor.wrap(DType.INT32, new int[] {N}, Layout.ANY, b);
    Metrics m = Metrics.of(f(v), ints, null, Tolerance.DEFAULT, false);
    assertThat(m.pass()).isTrue();
    assertThat(m.distinctCand()).isEqualTo(distinct(v)).isEqualTo(3500);
    assertThat(m.distinctRef()).as("the float side with 3500 distinct values is not quantized-looking").isEqualTo(-1);
  }
}
