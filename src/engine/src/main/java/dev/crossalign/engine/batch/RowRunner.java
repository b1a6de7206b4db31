package dev.crossalign.engine.batch;

/** Runs rows one at a time for one batch thread; closed once, by the batch, after its thread is done. */
sealed interface RowRunner extends AutoCloseable permits ProcessRowRunner, ThreadRowRunner {
  /** A finished row: its JSON line and its parsed fields. */
  record Line(String json, RowResult result) {}

  /**
   * Runs one row; every failure is a recorded row, never an exception.
   *
   * @param keepModel false when no row soon after this one uses its model: the worker closes the model after the row
   *     instead of keeping it among its --models-per-worker
   */
  Line run(ManifestRow row, boolean keepModel);

  /** Peak resident set of the worker processes this runner started (the largest), kB; 0 for threads. */
  long peakRssKb();

  /** Worker processes started so far (0 for threads). */
  int processesStarted();

  /** Worker processes ended because their resident set crept above the recycling threshold (0 for threads). */
  int recycled();

  @Override
  void close();
}
