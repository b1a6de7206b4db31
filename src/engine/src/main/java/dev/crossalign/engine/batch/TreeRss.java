package dev.crossalign.engine.batch;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The resident set of this process and every process it started (the batch's worker JVMs), summed, sampled on a daemon
 * thread every {@link #PERIOD_MS} ms while open: the batch's memory at once, where the sum of the workers' peaks
 * (VmHWM) is only a bound. 0 where there is no /proc.
 */
final class TreeRss implements AutoCloseable {
  static final long PERIOD_MS = 500;

  private final AtomicLong peakKb = new AtomicLong();
  private final Thread thread;
  private volatile boolean open = true;

  private TreeRss() {
    thread = new Thread(this::loop, "crossalign-batch-rss");
    thread.setDaemon(true);
  }

  /** Starts sampling now (a first sample is taken before this returns). */
  static TreeRss start() {
    TreeRss t = new TreeRss();
    t.sample();
    t.thread.start();
    return t;
  }

  /** This process's VmRSS plus its descendants', kB. */
  static long nowKb() {
    ProcessHandle self = ProcessHandle.current();
    long kb = ProcStatus.kb(self.pid(), "VmRSS");
    for (ProcessHandle h : self.descendants().toList()) {
      kb += ProcStatus.kb(h.pid(), "VmRSS");
    }
    return kb;
  }

  private void sample() {
    long kb = nowKb();
    peakKb.accumulateAndGet(kb, Math::max);
  }

  private void loop() {
    while (open) {
      sample();
      try {
        Thread.sleep(PERIOD_MS);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** The largest sum seen so far, kB. */
  long peakKb() {
    return peakKb.get();
  }

  /** Stops sampling after one last sample. */
  @Override
  public void close() {
    open = false;
    thread.interrupt();
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    sample();
  }
}
