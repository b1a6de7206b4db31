package dev.crossalign.port.ops;

import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.testutil.RandomTensors;

/** Small helpers for writer-built op tests. */
final class OpModels {
  private OpModels() {}

  static HostTensor randomFloats(long seed, double lo, double hi, int... shape) {
    return RandomTensors.uniform(seed, Layout.ANY, lo, hi, shape);
  }

  static String fmt(double v) {
    return String.format("%.3g", v);
  }
}
