package dev.crossalign.engine.batch;

import java.time.Duration;

/**
 * Rows in a worker process, started on the first row and again after one dies or is killed for a hung row. The rows a
 * worker was not running when it died are not affected: they are sent to its successor. A worker whose resident set
 * after a row is above the recycling threshold (its memory crept past the plan's estimate) is ended after that row and
 * the next row starts a new one.
 */
final class ProcessRowRunner implements RowRunner {
  private final BatchOptions options;
  private final WorkerProcess.Jvm jvm;
  private final Duration timeout;
  private final long recycleAboveKb;
  private WorkerProcess current;
  private long peakRssKb;
  private int started;
  private int recycled;

  /** @param recycleAboveKb end a worker whose VmRSS after a row is above this (kB); 0 never */
  ProcessRowRunner(BatchOptions options, WorkerProcess.Jvm jvm, Duration timeout, long recycleAboveKb) {
    this.options = options;
    this.jvm = jvm;
    this.timeout = timeout;
    this.recycleAboveKb = recycleAboveKb;
  }

  @Override
  public Line run(ManifestRow row, boolean keepModel) {
    if (current == null) {
      current = WorkerProcess.start(jvm, options);
      started++;
    }
    long t0 = System.nanoTime();
    WorkerProcess.Outcome o = current.run(row, keepModel, timeout);
    double ms = (System.nanoTime() - t0) / 1e6;
    if (o instanceof WorkerProcess.Outcome.Answered a) {
      peakRssKb = Math.max(peakRssKb, current.peakRssKb());
      if (recycleAboveKb > 0 && current.rssKb() > recycleAboveKb) {
        recycled++;
        retire();
      }
      return new Line(a.json(), a.result());
    }
    retire();
    RowResult r = o instanceof WorkerProcess.Outcome.Died d
        ? RowResult.crashed(row, d.crash(), d.message(), ms)
        : RowResult.timedOut(row, timeout.toMillis() / 1000.0, ms);
    return new Line(r.toJson(), r);
  }

  private void retire() {
    peakRssKb = Math.max(peakRssKb, current.peakRssKb());
    current.close();
    current = null;
  }

  @Override
  public long peakRssKb() {
    return peakRssKb;
  }

  @Override
  public int processesStarted() {
    return started;
  }

  @Override
  public int recycled() {
    return recycled;
  }

  @Override
  public void close() {
    if (current != null) {
      current.close();
      peakRssKb = Math.max(peakRssKb, current.peakRssKb());
      current = null;
    }
  }
}
