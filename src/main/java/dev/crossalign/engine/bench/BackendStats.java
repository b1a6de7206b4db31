package dev.crossalign.engine.bench;

import java.util.Arrays;

/** Latency of one backend over the timed runs, in milliseconds. */
public record BackendStats(String name, double medianMs, double p10Ms, double p90Ms, int runs) {

  /** Percentiles by linear interpolation between order statistics (numpy's default). */
  public static BackendStats of(String name, double[] samplesMs) {
    double[] s = samplesMs.clone();
    Arrays.sort(s);
    return new BackendStats(name, percentile(s, 50), percentile(s, 10), percentile(s, 90), s.length);
  }

  static double percentile(double[] sorted, double p) {
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
