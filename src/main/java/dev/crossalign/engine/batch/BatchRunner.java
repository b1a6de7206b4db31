package dev.crossalign.engine.batch;

import dev.crossalign.backend.BigStack;
import dev.crossalign.CrossalignException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Runs manifest rows on a fixed pool of N threads. Each pool thread owns one {@link BatchWorker} (its own backends
 * and model cache, created on the thread's first row); every finished row is appended to the sink as one JSON line at
 * once. A failing row is recorded and the batch goes on.
 */
public final class BatchRunner {
  private BatchRunner() {}

  /**
   * @param total rows in the manifest
   * @param skipped rows already in the output (resume)
   * @param ran rows run now
   * @param aligned rows (skipped and run) whose verdict is aligned
   * @param exitStatus 0 when every row is aligned, else the highest row exit status (1 misaligned, 2 unusable
   *     input, 3 unsupported ops)
   */
  public record Summary(int total, int skipped, int ran, int aligned, int exitStatus, List<String> problems) {
    public Summary {
      problems = List.copyOf(problems);
    }
  }

  public static Summary run(
      List<ManifestRow> rows, BatchOptions options, int workers, Path out, boolean resume, Consumer<String> lines) {
    if (workers < 1) {
      throw CrossalignException.input("--workers must be at least 1, got " + workers);
    }
    List<RowResult> done = resume && out != null ? JsonlSink.readDone(out) : List.of();
    Set<String> doneKeys = new HashSet<>();
    int worst = 0;
    int aligned = 0;
    // every row that is not aligned, named with its reason for the summary, in row order
    java.util.Map<Integer, String> problems = new java.util.concurrent.ConcurrentSkipListMap<>();
    for (RowResult r : done) {
      if (doneKeys.add(r.key())) {
        worst = Math.max(worst, r.exitStatus());
        aligned += r.exitStatus() == 0 ? 1 : 0;
        noteProblem(problems, r);
      }
    }
    List<ManifestRow> todo = new ArrayList<>();
    int skipped = 0;
    for (ManifestRow r : rows) {
      if (doneKeys.contains(r.key())) {
        skipped++;
      } else {
        todo.add(r);
      }
    }
    if (!resume && out != null && java.nio.file.Files.exists(out)) {
      throw CrossalignException.input(out + " exists: pass --resume to continue that batch, or choose a new file");
    }
    AtomicInteger worstRan = new AtomicInteger();
    AtomicInteger alignedRan = new AtomicInteger();
    Queue<BatchWorker> all = new ConcurrentLinkedQueue<>();
    ThreadLocal<BatchWorker> mine = ThreadLocal.withInitial(() -> {
      BatchWorker w = new BatchWorker(options);
      all.add(w);
      return w;
    });
    ExecutorService pool = Executors.newFixedThreadPool(workers, BigStack.factory("crossalign-batch-worker"));
    try (JsonlSink sink = out == null ? null : JsonlSink.open(out)) {
      List<Future<?>> futures = new ArrayList<>();
      for (ManifestRow row : todo) {
        futures.add(pool.submit(() -> {
          RowResult r = mine.get().validate(row);
          String json = r.toJson();
          if (sink != null) {
            sink.append(json);
          }
          if (lines != null) {
            synchronized (lines) {
              lines.accept(json);
            }
          }
          worstRan.accumulateAndGet(r.exitStatus(), Math::max);
          noteProblem(problems, r);
          if (r.exitStatus() == 0) {
            alignedRan.incrementAndGet();
          }
        }));
      }
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
    } finally {
      pool.shutdownNow();
      try {
        pool.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      // The pool threads are gone: their workers are closed here, each one once.
      for (BatchWorker w : all) {
        w.close();
      }
    }
    int exit = Math.max(worst, worstRan.get());
    return new Summary(rows.size(), skipped, todo.size(), aligned + alignedRan.get(), exit,
        List.copyOf(problems.values()));
  }

  private static void noteProblem(java.util.Map<Integer, String> problems, RowResult r) {
    String p = r.problem();
    if (p != null) {
      problems.put(r.row(), "row " + r.row() + " (" + r.model() + ", seed " + r.seed() + "): " + p);
    }
  }
}
