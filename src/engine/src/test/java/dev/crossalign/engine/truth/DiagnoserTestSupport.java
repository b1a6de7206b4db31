package dev.crossalign.engine.truth;

import dev.crossalign.tensor.HostTensor;

/** FLOAT64 host tensors for the truth tests. */
final class DiagnoserTestSupport {
  private DiagnoserTestSupport() {}

  static HostTensor f64(double... v) {
    return Diagnoser.f64(new int[] {v.length}, v);
  }
}
