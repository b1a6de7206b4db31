package dev.crossalign.engine.batch;

/** Rows on this JVM's thread, through one {@link BatchWorker}. */
final class ThreadRowRunner implements RowRunner {
  private final BatchWorker worker;

  ThreadRowRunner(BatchOptions options) {
    this.worker = new BatchWorker(options);
  }

  @Override
  public Line run(ManifestRow row, boolean keepModel) {
    RowResult r = worker.validate(row, keepModel);
    return new Line(r.toJson(), r);
  }

  @Override
  public long peakRssKb() {
    return 0;
  }

  @Override
  public int processesStarted() {
    return 0;
  }

  @Override
  public int recycled() {
    return 0;
  }

  @Override
  public void close() {
    worker.close();
  }
}
