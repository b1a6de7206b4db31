package dev.crossalign.engine.batch;

import dev.crossalign.CrossalignException;
import dev.crossalign.backend.BigStack;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Runs manifest rows on N workers: worker processes (the default, {@link Isolation#PROCESS}: a row that crashes its
 * worker natively is recorded as {@code crashed} and the worker restarted; a row that runs past the row timeout is
 * recorded as {@code timeout}) or threads of this JVM. Every finished row is appended to the sink as one JSON line at
 * once. A failing row is recorded and the batch goes on.
 */
public final class BatchRunner {
  private BatchRunner() {}

  /**
   * How to run a batch.
   *
   * @param workers parallel workers (at least 1)
   * @param isolation worker processes or threads
   * @param resume skip rows already in OUT
   * @param retryCrashed on resume, run again the rows recorded as crashed or timed out
   * @param rowTimeout the longest a row may run in a worker process before the worker is killed (PROCESS only)
   * @param workerHeapMb each worker process's -Xmx (PROCESS only)
   * @param workerRecycleMb a worker whose resident set after a row is above this (MiB) is ended and replaced; 0 never
   *     (PROCESS only)
   */
  public record Config(int workers, Isolation isolation, boolean resume, boolean retryCrashed, Duration rowTimeout,
      int workerHeapMb, long workerRecycleMb) {
    public Config {
      if (workers < 1) {
        throw CrossalignException.input("--workers must be at least 1, got " + workers);
      }
      if (rowTimeout.isNegative() || rowTimeout.isZero()) {
        throw CrossalignException.input("--row-timeout must be positive, got " + rowTimeout.toSeconds() + " s");
      }
      if (workerHeapMb < 64) {
        throw CrossalignException.input("a worker heap of " + workerHeapMb + " MiB is too small (at least 64)");
      }
      if (workerRecycleMb < 0) {
        throw CrossalignException.input("a worker recycling threshold must be 0 (never) or positive, got "
            + workerRecycleMb + " MiB");
      }
    }

    /** Worker processes that are never recycled. */
    public Config(int workers, Isolation isolation, boolean resume, boolean retryCrashed, Duration rowTimeout,
        int workerHeapMb) {
      this(workers, isolation, resume, retryCrashed, rowTimeout, workerHeapMb, 0);
    }

    /** In-process threads, as before worker processes existed (engine tests, Spark). */
    public static Config threads(int workers, boolean resume) {
      return new Config(workers, Isolation.THREAD, resume, false, Duration.ofHours(1), 1024);
    }
  }

  /**
   * @param total rows in the manifest
   * @param skipped rows already in the output (resume)
   * @param ran rows run now
   * @param aligned rows (skipped and run) whose verdict is aligned
   * @param exitStatus 0 when every row is aligned, else the highest row exit status (1 misaligned, 2 unusable
   *     input, crashed or timed out, 3 unsupported ops)
   * @param crashed rows run now whose worker died
   * @param timedOut rows run now that ran past the row timeout
   * @param workersStarted worker processes started (more than the worker count when some died); 0 for threads
   * @param peakRssKb the largest peak resident set (VmHWM) of one worker process, or of this JVM with threads
   * @param peakTreeRssKb the largest resident set of this process and its workers together, sampled every 0.5 s
   * @param recycled worker processes ended after a row because their resident set crept above the threshold
   * @param problems every row that is not aligned, named with its reason, in row order
   * @param elapsedMs wall time of the rows run now, from the first worker's start until the workers are closed
   * @param tenths the rows run now by tenth, in manifest order (CPU and wall medians); null for fewer than 10 rows
   */
  public record Summary(int total, int skipped, int ran, int aligned, int exitStatus, int crashed, int timedOut,
      int workersStarted, long peakRssKb, long peakTreeRssKb, int recycled,
      List<String> problems, double elapsedMs, Tenths tenths) {
    public Summary {
      problems = List.copyOf(problems);
    }

    /** Rows run now per minute of {@link #elapsedMs} (NaN when none ran). */
    public double rowsPerMinute() {
      return ran == 0 ? Double.NaN : ran / (elapsedMs / 60_000.0);
    }
  }

  /** In-process threads (see {@link Config#threads}). */
  public static Summary run(
      List<ManifestRow> rows, BatchOptions options, int workers, Path out, boolean resume, Consumer<String> lines) {
    return run(rows, options, Config.threads(workers, resume), out, lines);
  }

  public static Summary run(
      List<ManifestRow> rows, BatchOptions options, Config config, Path out, Consumer<String> lines) {
    // every row that is not aligned, named with its reason for the summary, in row order
    java.util.Map<Integer, String> problems = new java.util.concurrent.ConcurrentSkipListMap<>();
    Tally before = new Tally();
    List<ManifestRow> todo = new ArrayList<>();
    Map<String, RowResult> done = alreadyDone(config, out);
    for (ManifestRow r : rows) {
      RowResult d = done.get(r.key());
      if (d != null) {
        before.add(d, problems);
      } else {
        todo.add(r);
      }
    }
    if (!config.resume() && out != null && Files.exists(out)) {
      throw CrossalignException.input(out + " exists: pass --resume to continue that batch, or choose a new file");
    }
    Tally ran = new Tally();
    Map<Integer, RowResult> results = new java.util.concurrent.ConcurrentHashMap<>();
    List<RowRunner> runners;
    TreeRss rss = TreeRss.start();
    long t0 = System.nanoTime();
    try {
      runners = runAll(todo, options, config, out, line -> {
        if (lines != null) {
          synchronized (lines) {
            lines.accept(line.json());
          }
        }
        ran.add(line.result(), problems);
        results.put(line.result().row(), line.result());
      });
    } finally {
      rss.close();
    }
    double elapsedMs = (System.nanoTime() - t0) / 1e6;
    long peak = 0;
    int started = 0;
    int recycled = 0;
    for (RowRunner w : runners) {
      peak = Math.max(peak, w.peakRssKb());
      started += w.processesStarted();
      recycled += w.recycled();
    }
    if (config.isolation() == Isolation.THREAD) {
      peak = ProcStatus.kb(ProcessHandle.current().pid(), "VmHWM");
    }
    return new Summary(rows.size(), before.rows.get(), todo.size(), before.aligned.get() + ran.aligned.get(),
        Math.max(before.worst.get(), ran.worst.get()), ran.crashed.get(), ran.timedOut.get(), started, peak,
        rss.peakKb(), recycled, List.copyOf(problems.values()), elapsedMs, Tenths.of(todo, results));
  }

  /** The rows OUT already holds (resume), the last line of a row winning; crashed ones dropped with retryCrashed. */
  private static Map<String, RowResult> alreadyDone(Config config, Path out) {
    List<RowResult> done = config.resume() && out != null ? JsonlSink.readDone(out) : List.of();
    // The last line of a row wins: a crashed row retried later has two lines.
    Map<String, RowResult> last = new HashMap<>();
    for (RowResult r : done) {
      last.put(r.key(), r);
    }
    if (config.retryCrashed()) {
      last.values().removeIf(RowResult::crashedOrTimedOut);
    }
    return last;
  }

  /** Counts of rows by outcome, added to from the pool's threads. */
  private static final class Tally {
    final AtomicInteger rows = new AtomicInteger();
    final AtomicInteger worst = new AtomicInteger();
    final AtomicInteger aligned = new AtomicInteger();
    final AtomicInteger crashed = new AtomicInteger();
    final AtomicInteger timedOut = new AtomicInteger();

    void add(RowResult r, java.util.Map<Integer, String> problems) {
      rows.incrementAndGet();
      worst.accumulateAndGet(r.exitStatus(), Math::max);
      noteProblem(problems, r);
      if (r.exitStatus() == 0) {
        aligned.incrementAndGet();
      }
      if (RowResult.CRASHED.equals(r.verdict())) {
        crashed.incrementAndGet();
      } else if (RowResult.TIMEOUT.equals(r.verdict())) {
        timedOut.incrementAndGet();
      }
    }
  }

  /**
   * Runs {@code todo} on {@code config.workers()} pool threads, each with its own runner (a worker process or this
   * JVM), every line appended to {@code out} and handed to {@code onLine}; returns the runners, closed.
   */
  private static List<RowRunner> runAll(List<ManifestRow> todo, BatchOptions options, Config config, Path out,
      Consumer<RowRunner.Line> onLine) {
    Queue<RowRunner> all = new ConcurrentLinkedQueue<>();
    Path scratch = config.isolation() == Isolation.PROCESS && !todo.isEmpty() ? scratch() : null;
    ThreadLocal<RowRunner> mine = ThreadLocal.withInitial(() -> {
      RowRunner w = config.isolation() == Isolation.PROCESS
          ? new ProcessRowRunner(options, WorkerProcess.Jvm.current(config.workerHeapMb(), scratch),
              config.rowTimeout(), config.workerRecycleMb() * 1024)
          : new ThreadRowRunner(options);
      all.add(w);
      return w;
    });
    int threads = Math.max(1, Math.min(config.workers(), todo.size()));
    ExecutorService pool = Executors.newFixedThreadPool(threads, BigStack.factory("crossalign-batch-worker"));
    try (JsonlSink sink = out == null ? null : JsonlSink.open(out)) {
      List<Future<?>> futures = new ArrayList<>();
      boolean[] keep = keepModels(todo, config.workers() * options.modelsPerWorker());
      for (int i = 0; i < todo.size(); i++) {
        ManifestRow row = todo.get(i);
        boolean keepModel = keep[i];
        futures.add(pool.submit(() -> {
          RowRunner.Line r = mine.get().run(row, keepModel);
          if (sink != null) {
            sink.append(r.json());
          }
          onLine.accept(r);
        }));
      }
      awaitAll(futures);
    } finally {
      pool.shutdownNow();
      try {
        pool.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      // The pool threads are gone: their runners are closed here, each one once.
      for (RowRunner w : all) {
        w.close();
      }
      if (scratch != null) {
        deleteTree(scratch);
      }
    }
    return List.copyOf(all);
  }

  /**
   * For each row, whether one of the next {@code window} rows uses its model (by path): a worker keeps such a model
   * open for reuse, and closes the others after their row. With rows grouped by model the cache serves them; with
   * rows cycling over more models than the workers can keep, nothing is held that the LRU would evict unused.
   */
  static boolean[] keepModels(List<ManifestRow> rows, int window) {
    boolean[] keep = new boolean[rows.size()];
    Map<String, Integer> next = new HashMap<>();
    for (int i = rows.size() - 1; i >= 0; i--) {
      String m = rows.get(i).modelLabel();
      Integer j = next.get(m);
      keep[i] = j != null && j - i <= window;
      next.put(m, i);
    }
    return keep;
  }

  /** Waits for every row; a row's exception is the batch's. */
  private static void awaitAll(List<Future<?>> futures) {
    for (Future<?> f : futures) {
      try {
        f.get();
      } catch (java.util.concurrent.ExecutionException e) {
        Throwable c = e.getCause();
        throw c instanceof RuntimeException re ? re : new IllegalStateException(c);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CrossalignException(CrossalignException.Kind.INTERNAL, "batch interrupted");
      }
    }
  }

  private static void noteProblem(java.util.Map<Integer, String> problems, RowResult r) {
    String p = r.problem();
    if (p != null) {
      problems.put(r.row(), "row " + r.row() + " (" + r.model() + ", seed " + r.seed() + "): " + p);
    }
  }

  private static Path scratch() {
    try {
      return Files.createTempDirectory("crossalign-batch-");
    } catch (IOException e) {
      throw new CrossalignException(CrossalignException.Kind.ENVIRONMENT,
          "cannot create a scratch folder for the batch workers in " + System.getProperty("java.io.tmpdir") + ": "
              + e.getMessage());
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // a leftover crash log in the temp folder is not worth failing the batch for
    }
  }
}
