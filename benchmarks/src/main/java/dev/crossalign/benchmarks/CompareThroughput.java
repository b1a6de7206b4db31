package dev.crossalign.benchmarks;

import dev.crossalign.align.Aligner;
import dev.crossalign.align.Metrics;
import dev.crossalign.align.Mode;
import dev.crossalign.align.ReferenceStats;
import dev.crossalign.align.Tolerance;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.BackendKind;
import dev.crossalign.backend.CapturedTensor;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A plain timing harness (no JMH, so it runs from the main module's classes alone) for the figure "ms per million float
 * pairs": the bare Metrics loop (same layout, distinct counting off) against validate's comparison path
 * ({@code Aligner.compareOne}) with the candidate in the reference's layout and channels-first. Median of ROUNDS calls
 * on [1, 64, 64, 1024] (4M pairs; another shape as the argument H,W,C) after at least WARMUP calls and WARMUP_PAIRS
 * pairs (5 calls of a small shape left the per-chunk loops in the JIT's profiling tier: [1,128,128,24] measured
 * 7.6-11.5 ms per million pairs after 5 calls, against 4.2 for the wide shape). Compare with {@code
 * compare.ms_per_million_pairs} in a validate
 * JSON's timing_ms (wall) and {@code compare.cpu_ms_per_million_pairs} (the comparing threads' CPU time). Both the
 * median wall time and the median thread CPU time per call are printed: on a loaded machine only the CPU figure means
 * anything.
 *
 * <pre>
 * javac -d /tmp/ct -cp target/classes benchmarks/src/main/java/dev/crossalign/benchmarks/CompareThroughput.java
 * java -cp /tmp/ct:target/classes dev.crossalign.benchmarks.CompareThroughput
 * </pre>
 */
public final class CompareThroughput {
  private static final int WARMUP = 5;
  private static final long WARMUP_PAIRS = 100_000_000L;
  private static final int ROUNDS = 15;

  private CompareThroughput() {}

  /** Optional argument: the NHWC shape as H,W,C (default 64,64,1024; pose_landmark_heavy's convs have 16-288 channels). */
  public static void main(String[] args) {
    int[] nhwc = {1, 64, 64, 1024};
    if (args.length > 0) {
      String[] hwc = args[0].split(",");
      nhwc = new int[] {1, Integer.parseInt(hwc[0]), Integer.parseInt(hwc[1]), Integer.parseInt(hwc[2])};
    }
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
    // validate compares each reference tensor with up to four candidates: all but the first reuse its own statistics
    ReferenceStats held = new ReferenceStats(Activations.builder(BackendKind.TFLITE.id()).add(cr).build());
    Aligner.compareOne(cr, cn, "tflite~torch", Mode.CHAINED, Tolerance.DEFAULT, held);
    report("compareOne, candidate NCHW, reference statistics known", mpairs,
        () -> Aligner.compareOne(cr, cn, "tflite~torch", Mode.CHAINED, Tolerance.DEFAULT, held));
    report("old path: permuted copy + Metrics.of (distinct always)", mpairs,
        () -> Metrics.of(ref, candNchw.permute(Layout.nchwToNhwc(), Layout.NHWC), Tolerance.DEFAULT));
  }

  private static void report(String what, double mpairs, java.util.function.Supplier<Object> call) {
    java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
    for (int i = 0; i < WARMUP || i * mpairs * 1e6 < WARMUP_PAIRS; i++) {
      call.get();
    }
    double[] ms = new double[ROUNDS];
    double[] cpu = new double[ROUNDS];
    for (int i = 0; i < ROUNDS; i++) {
      long c0 = mx.getCurrentThreadCpuTime();
      long t0 = System.nanoTime();
      call.get();
      ms[i] = (System.nanoTime() - t0) / 1e6;
      cpu[i] = (mx.getCurrentThreadCpuTime() - c0) / 1e6;
    }
    java.util.Arrays.sort(ms);
    java.util.Arrays.sort(cpu);
    System.out.printf(Locale.ROOT, "%-56s wall %7.2f ms per million pairs (p10 %.2f), thread CPU %7.2f (p10 %.2f)%n",
        what, ms[ROUNDS / 2] / mpairs, ms[ROUNDS / 10] / mpairs, cpu[ROUNDS / 2] / mpairs, cpu[ROUNDS / 10] / mpairs);
  }
}
