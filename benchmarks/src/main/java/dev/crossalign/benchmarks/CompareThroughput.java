package dev.crossalign.benchmarks;

import dev.crossalign.align.Aligner;
import dev.crossalign.align.Metrics;
import dev.crossalign.align.Mode;
import dev.crossalign.align.Tolerance;
import dev.crossalign.backend.CapturedTensor;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A plain timing harness (no JMH, so it runs from the main module's classes alone) for the figure "ms per million float
 * pairs": the bare Metrics loop (same layout, distinct counting off) against validate's comparison path
 * ({@code Aligner.compareOne}) with the candidate in the reference's layout and channels-first. Median of ROUNDS calls
 * on [1, 64, 64, 1024] (4M pairs) after WARMUP calls. Compare with {@code compare.ms_per_million_pairs} in a validate
 * JSON's timing_ms.
 *
 * <pre>
 * javac -d /tmp/ct -cp target/classes benchmarks/src/main/java/dev/crossalign/benchmarks/CompareThroughput.java
 * java -cp /tmp/ct:target/classes dev.crossalign.benchmarks.CompareThroughput
 * </pre>
 */
public final class CompareThroughput {
  private static final int WARMUP = 5;
  private static final int ROUNDS = 15;

  private CompareThroughput() {}

  public static void main(String[] args) {
    int[] nhwc = {1, 64, 64, 1024};
    int n = nhwc[1] * nhwc[2] * nhwc[3];
    SplittableRandom r = new SplittableRandom(1);
    float[] a = new float[n];
    float[] b = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) r.nextDouble(-1, 1);
      b[i] = a[i] + (float) (r.nextDouble(-1, 1) * 1e-6);
    }
    HostTensor ref = HostTensor.ofFloats(nhwc, Layout.NHWC, a);
    HostTensor cand = HostTensor.ofFloats(nhwc, Layout.NHWC, b);
    HostTensor candNchw = cand.permute(Layout.nhwcToNchw(), Layout.NCHW);
    CapturedTensor cr = new CapturedTensor("t", "CONV_2D", 0, ref);
    CapturedTensor cc = new CapturedTensor("t", "CONV_2D", 0, cand);
    CapturedTensor cn = new CapturedTensor("t", "CONV_2D", 0, candNchw);
    double mpairs = n / 1e6;
    report("bare Metrics loop (flat, no distinct)", mpairs, () -> Metrics.of(ref, cand, null, Tolerance.DEFAULT, false));
    report("bare Metrics loop (flat, distinct always)", mpairs, () -> Metrics.of(ref, cand, Tolerance.DEFAULT));
    report("compareOne, candidate NHWC", mpairs,
        () -> Aligner.compareOne(cr, cc, "tflite~torch", Mode.CHAINED, Tolerance.DEFAULT));
    report("compareOne, candidate NCHW (permuted read)", mpairs,
        () -> Aligner.compareOne(cr, cn, "tflite~torch", Mode.CHAINED, Tolerance.DEFAULT));
    report("old path: permuted copy + Metrics.of (distinct always)", mpairs,
        () -> Metrics.of(ref, candNchw.permute(Layout.nchwToNhwc(), Layout.NHWC), Tolerance.DEFAULT));
  }

  private static void report(String what, double mpairs, java.util.function.Supplier<Object> call) {
    for (int i = 0; i < WARMUP; i++) {
      call.get();
    }
    double[] ms = new double[ROUNDS];
    for (int i = 0; i < ROUNDS; i++) {
      long t0 = System.nanoTime();
      call.get();
      ms[i] = (System.nanoTime() - t0) / 1e6;
    }
    java.util.Arrays.sort(ms);
    System.out.printf(Locale.ROOT, "%-56s median %8.2f ms/call  %6.2f ms per million pairs (p10 %.2f, p90 %.2f)%n",
        what, ms[ROUNDS / 2], ms[ROUNDS / 2] / mpairs, ms[ROUNDS / 10] / mpairs, ms[ROUNDS * 9 / 10] / mpairs);
  }
}
