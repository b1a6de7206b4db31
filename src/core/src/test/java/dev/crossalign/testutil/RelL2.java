package dev.crossalign.testutil;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;

/**
 * The tests' own rel_l2 (||ref - cand|| / ||ref||, in double), written apart from align/Metrics so that the port
 * tests do not check the engine's metric with itself. Rank-4 NCHW tensors are read as NHWC first, so a TFLite
 * reference and a port capture compare in TFLite's axes.
 */
public final class RelL2 {
  private RelL2() {}

  public static double of(HostTensor ref, HostTensor cand) {
    HostTensor r = nhwc(ref);
    HostTensor c = nhwc(cand);
    assertThat(c.shape()).isEqualTo(r.shape());
    double num = 0;
    double den = 0;
    for (long i = 0; i < r.numel(); i++) {
      double a = r.getDouble(i);
      double d = a - c.getDouble(i);
      num += d * d;
      den += a * a;
    }
    return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
  }

  /** A rank-4 NCHW tensor permuted to NHWC (TFLite's axes); any other tensor as it is. */
  public static HostTensor nhwc(HostTensor t) {
    return t.layout() == Layout.NCHW && t.rank() == 4 ? t.permute(new int[] {0, 2, 3, 1}, Layout.NHWC) : t;
  }
}
