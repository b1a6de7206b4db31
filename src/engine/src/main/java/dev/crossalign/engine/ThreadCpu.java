package dev.crossalign.engine;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * The calling thread's CPU time (user + system), for the {@code cpu.*} entries of a report's {@code timing_ms}: what a
 * step cost, which the other lane or another process on the machine does not inflate as it does wall time. 0 where
 * the JVM cannot measure thread CPU time.
 */
final class ThreadCpu {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private ThreadCpu() {}

  /** The calling thread's CPU time so far, in ns (0 where unsupported). */
  static long nanos() {
    return THREADS.isCurrentThreadCpuTimeSupported() ? THREADS.getCurrentThreadCpuTime() : 0;
  }

  /** The calling thread's CPU time since {@code start} (a {@link #nanos} of the same thread), in ms. */
  static double msSince(long start) {
    return (nanos() - start) / 1e6;
  }

  /**
   * A leg step's CPU: the calling thread's CPU time since {@code start}, in ms, without what {@code comparisons} (the
   * streamed comparisons that ran on this thread during the step; null ones skipped) took, as {@code run.*} is the
   * wall time without them.
   */
  static double legMsSince(long start, StreamedPair... comparisons) {
    double ms = msSince(start);
    for (StreamedPair p : comparisons) {
      if (p != null) {
        ms -= p.compareCpuMs();
      }
    }
    return ms;
  }
}
