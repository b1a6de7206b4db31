package dev.crossalign.port.ops;

import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.util.SplittableRandom;

/** Small helpers for writer-built op tests. */
final class OpModels {
  private OpModels() {}

  static HostTensor randomFloats(long seed, double lo, double hi, int... shape) {
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] v = new float[(int) HostTensor.numel(shape)];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (lo + (hi - lo) * rnd.nextDouble());
    }
    return HostTensor.ofFloats(shape, Layout.ANY, v);
  }

  static String fmt(double v) {
    return String.format("%.3g", v);
  }
}
