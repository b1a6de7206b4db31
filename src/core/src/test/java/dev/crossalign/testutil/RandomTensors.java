package dev.crossalign.testutil;

import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.util.SplittableRandom;

/**
 * The tests' one source of seeded random values: uniform floats in [lo, hi), each {@code lo + (hi - lo) * u} with
 * {@code u} from {@link SplittableRandom#nextDouble()}, rounded to float. The same seed gives the same values on every
 * JVM, so a failing case can be replayed.
 */
public final class RandomTensors {
  private RandomTensors() {}

  /** {@code n} floats in [lo, hi) drawn from {@code rnd} (which advances by {@code n} draws). */
  public static float[] uniform(SplittableRandom rnd, int n, double lo, double hi) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (lo + (hi - lo) * rnd.nextDouble());
    }
    return v;
  }

  /** {@code n} floats in [lo, hi) from a generator seeded with {@code seed}. */
  public static float[] uniform(long seed, int n, double lo, double hi) {
    return uniform(new SplittableRandom(seed), n, lo, hi);
  }

  /** A float32 tensor of {@code shape} with values in [lo, hi) from a generator seeded with {@code seed}. */
  public static HostTensor uniform(long seed, Layout layout, double lo, double hi, int... shape) {
    return HostTensor.ofFloats(shape, layout, uniform(seed, Math.toIntExact(HostTensor.numel(shape)), lo, hi));
  }
}
