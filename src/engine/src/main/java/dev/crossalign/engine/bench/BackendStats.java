package dev.crossalign.engine.bench;

import java.util.Arrays;

/**
 * Latency of one backend over the timed runs, in milliseconds: wall time, and the median CPU time of the bench thread
 * per run ({@code cpuMedianMs}, NaN where the JVM cannot measure thread CPU time). With one thread every backend
 * computes on the calling thread, so the CPU time is its work whatever else the machine runs; with more, worker
 * threads' work is not in it.
 */
public record BackendStats(String name, double medianMs, double p10Ms, double p90Ms, int runs, double cpuMedianMs) {
  /**
   * p90/p10 above this and the runs are too noisy to trust: a quiet machine gives 1.0-1.3 on these models; a second
   * load on the cores (other processes, frequency changes) gives 2-20.
   */
  public static final double NOISY_SPREAD = 1.5;

  /** p90 over p10: 1 when every run took as long. */
  public double spread() {
    return p90Ms / p10Ms;
  }

  /** A note when {@link #spread()} is above {@link #NOISY_SPREAD}, else null. */
  public String noiseNote() {
    if (!(spread() > NOISY_SPREAD)) {
      return null;
    }
    return String.format(java.util.Locale.ROOT, "noisy: %s p90/p10 = %.2f (above %.1f): the machine was busy during"
        + " the runs; its numbers and ratios are not to be trusted; rerun on a quiet machine or with more --runs",
        name, spread(), NOISY_SPREAD);
  }

  /** Percentiles by linear interpolation between order statistics (numpy's default); no CPU times. */
  public static BackendStats of(String name, double[] samplesMs) {
    return of(name, samplesMs, new double[0]);
  }

  /** As {@link #of(String, double[])}, with the runs' CPU times (empty: NaN). */
  public static BackendStats of(String name, double[] samplesMs, double[] cpuMs) {
    double[] s = samplesMs.clone();
    Arrays.sort(s);
    double[] c = cpuMs.clone();
    Arrays.sort(c);
    return new BackendStats(name, percentile(s, 50), percentile(s, 10), percentile(s, 90), s.length,
        percentile(c, 50));
  }

  /** The p-th percentile of sorted values (linear interpolation, numpy's default; p 50 is the median); NaN for none. */
  public static double percentile(double[] sorted, double p) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    double pos = p / 100.0 * (sorted.length - 1);
    int lo = (int) Math.floor(pos);
    int hi = Math.min(lo + 1, sorted.length - 1);
    double frac = pos - lo;
    return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
  }
}
