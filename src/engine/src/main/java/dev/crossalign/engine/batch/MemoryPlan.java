package dev.crossalign.engine.batch;

import dev.crossalign.CrossalignException;
import dev.crossalign.engine.DemoModel;
import dev.crossalign.engine.ValidationRequest;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tflite.TensorInfo;
import dev.crossalign.tflite.TfliteModel;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How many workers a batch runs and how much Java heap each gets, chosen together from a per-worker memory estimate
 * and the machine's memory.
 *
 * <p>The estimate, per row, for the row's model and backends: on the Java heap, the captures the row holds at once
 * (the reference's, then per candidate backend one for chained and one for isolated runs) times the model's activation
 * bytes (every non-constant tensor), with room for the comparison's copies; natively, the loaded libraries plus the
 * backends' copies of the weights and their own activation memory. A worker's -Xmx is the largest row's heap, and its
 * resident set is bounded by that heap plus the largest row's native part. The batch's own JVM is counted in the
 * budget once. The constants are measured (benchmarks/README.md).
 *
 * @param workers parallel workers
 * @param heapMb each worker process's -Xmx (MiB)
 * @param perWorkerMb the estimated peak resident set of one worker (MiB): heap plus native
 * @param budgetMb the memory the batch may use (MiB): --max-memory, else 80% of the machine's available memory
 * @param largestModel the model the estimate was made for
 * @param recycleMb a worker whose resident set after a row is above this (MiB) has crept past the estimate: it is
 *     ended and the next row starts a new one
 */
public record MemoryPlan(
    int workers, int heapMb, long perWorkerMb, long budgetMb, String largestModel, long recycleMb) {
  /** Heap a worker needs whatever the model: the engine's classes and buffers, Jackson, the model reader. */
  static final long HEAP_BASE_MB = 160;
  /** Each capture's bytes are on the heap up to this many times during comparison (layout copies, buffers). */
  static final double HEAP_PER_CAPTURE = 1.5;
  /** Resident memory of a worker beyond its heap before any model: JVM, libtorch, TFLite, ONNX Runtime loaded. */
  static final long NATIVE_BASE_MB = 420;
  /** Native copies of the weights (TFLite's model buffer, the port's fp32 tensors, ONNX Runtime's initializers). */
  static final double NATIVE_PER_WEIGHT = 3;
  /** Native activation memory (TFLite's arena with every tensor preserved, libtorch's and ORT's intermediates). */
  static final double NATIVE_PER_ACTIVATION = 3;
  /** The batch's own JVM: it reads the manifest and the models' tensor tables for this plan, and writes lines. */
  static final long BATCH_PROCESS_MB = 200;
  /** A worker is recycled when its resident set after a row passes its estimate by this factor. */
  static final double RECYCLE_FACTOR = 1.25;

  private static final long MB = 1L << 20;

  /**
   * @param requestedWorkers --workers, or 0 for as many as the cores and the memory allow
   * @param maxMemoryMb --max-memory in MiB, or 0 for 80% of the machine's available memory
   */
  public static MemoryPlan plan(List<ManifestRow> rows, BatchOptions options, int requestedWorkers,
      long maxMemoryMb) {
    if (requestedWorkers < 0) {
      throw CrossalignException.input("--workers must be at least 1, got " + requestedWorkers);
    }
    if (maxMemoryMb < 0) {
      throw CrossalignException.input("--max-memory must be positive, got " + maxMemoryMb + " MiB");
    }
    long total = machineTotalMb();
    if (maxMemoryMb > 0 && total > 0 && maxMemoryMb > total) {
      throw CrossalignException.input(String.format(Locale.ROOT, "--max-memory %d MiB is more than this machine's"
          + " memory (%d MiB): give at most that, or leave it out for 80%% of the available memory", maxMemoryMb,
          total));
    }
    long budget = maxMemoryMb > 0 ? maxMemoryMb : machineBudgetMb();
    Sizes worst = sizes(rows, options);
    long perWorker = worst.heapMb() + worst.nativeMb();
    String why = maxMemoryMb > 0 ? " (--max-memory)" : " (80% of the available memory)";
    long forWorkers = budget - BATCH_PROCESS_MB;
    int fit = (int) Math.max(0, Math.min(Integer.MAX_VALUE, forWorkers / perWorker));
    int workers;
    if (requestedWorkers > 0) {
      workers = requestedWorkers;
      if (fit < workers) {
        throw CrossalignException.input(String.format(Locale.ROOT,
            "%d workers need about %d MiB (%d MiB each for %s, %d MiB for the batch itself), more than the memory"
                + " budget of %d MiB%s: use --workers %d%s", workers, BATCH_PROCESS_MB + workers * perWorker,
            perWorker, worst.label(), BATCH_PROCESS_MB, budget, why, Math.max(1, fit),
            fit < 1 ? " and a larger --max-memory" : " or a larger --max-memory"));
      }
    } else {
      if (fit < 1) {
        throw CrossalignException.input(String.format(Locale.ROOT,
            "one worker needs about %d MiB for %s and the batch itself %d MiB, more than the memory budget of %d"
                + " MiB%s", perWorker, worst.label(), BATCH_PROCESS_MB, budget, why));
      }
      int cores = Runtime.getRuntime().availableProcessors();
      workers = Math.max(1, Math.min(Math.min(cores, fit), Math.max(1, rows.size())));
    }
    long recycle = (long) Math.ceil(RECYCLE_FACTOR * perWorker);
    return new MemoryPlan(workers, (int) Math.min(Integer.MAX_VALUE, worst.heapMb()), perWorker, budget,
        worst.label(), recycle);
  }

  /** A worker's heap (the largest row's) and native part (the largest row's), and the model of the largest row. */
  record Sizes(long heapMb, long nativeMb, String label) {}

  /** Sizes one worker for every row of the manifest: each row's captures of its own model. */
  static Sizes sizes(List<ManifestRow> rows, BatchOptions options) {
    Map<Path, Estimate> models = estimates(rows);
    long heap = HEAP_BASE_MB;
    long nativeMb = NATIVE_BASE_MB;
    long largest = -1;
    String label = "none";
    for (ManifestRow r : rows) {
      Estimate e = models.get(r.model() == null ? DEMO : r.model());
      if (e == null) {
        continue;
      }
      int c = captures(r.backends() == null ? options.backends() : r.backends(), options.mode());
      long h = HEAP_BASE_MB + ceilMb(e.fileBytes() + HEAP_PER_CAPTURE * c * e.activationBytes());
      long n = NATIVE_BASE_MB
          + ceilMb(NATIVE_PER_WEIGHT * e.weightBytes() + NATIVE_PER_ACTIVATION * e.activationBytes());
      heap = Math.max(heap, h);
      nativeMb = Math.max(nativeMb, n);
      if (h + n > largest) {
        largest = h + n;
        label = e.label();
      }
    }
    return new Sizes(heap, nativeMb, label);
  }

  /** Stands for the demo model (a row without a model file) among the manifest's models. */
  private static final Path DEMO = Path.of("");

  /** Every model of the manifest, read once (unreadable ones are their rows' errors, not sized here). */
  private static Map<Path, Estimate> estimates(List<ManifestRow> rows) {
    Map<Path, Estimate> out = new HashMap<>();
    for (ManifestRow r : rows) {
      Path p = r.model() == null ? DEMO : r.model();
      if (out.containsKey(p)) {
        continue;
      }
      if (r.model() == null) {
        out.put(p, Estimate.of(TfliteModel.read(DemoModel.bytes(), DemoModel.LABEL), DemoModel.LABEL));
        continue;
      }
      out.put(p, null);
      if (!java.nio.file.Files.isRegularFile(p)) {
        continue; // a FIFO or device is that row's refusal, not something to read while planning
      }
      try {
        out.put(p, Estimate.of(TfliteModel.read(p), p.toString()));
      } catch (RuntimeException e) {
        // an unreadable model is that row's error, recorded when it runs; it does not size the batch
      }
    }
    return out;
  }

  /** Captures one row holds: the reference's, and per candidate one per mode it runs. */
  static int captures(List<?> backends, ValidationRequest.RunMode mode) {
    int perCandidate = mode == ValidationRequest.RunMode.BOTH ? 2 : 1;
    return 1 + Math.max(0, backends.size() - 1) * perCandidate;
  }

  /** The machine's memory in MiB (MemTotal on Linux, else the JVM's view of physical memory); 0 when unknown. */
  static long machineTotalMb() {
    long kb = ProcStatus.meminfoKb("MemTotal");
    if (kb > 0) {
      return kb / 1024;
    }
    if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean sun) {
      return sun.getTotalMemorySize() / MB;
    }
    return 0;
  }

  /** 80% of MemAvailable (Linux), else a quarter of the physical memory. */
  static long machineBudgetMb() {
    long avail = ProcStatus.meminfoKb("MemAvailable");
    if (avail > 0) {
      return avail * 8 / 10 / 1024;
    }
    java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      return sun.getTotalMemorySize() / 4 / MB;
    }
    return 4096;
  }

  private static long ceilMb(double bytes) {
    return (long) Math.ceil(bytes / MB);
  }

  /** One model's sizes: its file, its weights (constant buffers) and its activations (the other tensors). */
  record Estimate(long fileBytes, long weightBytes, long activationBytes, String label) {
    static Estimate of(TfliteModel m, String label) {
      long weights = 0;
      long acts = 0;
      for (TensorInfo t : m.main().tensors()) {
        DType d = t.type() == null ? null : t.type().dtype();
        long bytes = d == null ? 0 : HostTensor.numel(t.shape()) * d.byteSize();
        // fp16 weights become fp32 in the port and the exported graph: count them at 4 bytes
        if (m.isConstant(t)) {
          weights += d == DType.FLOAT16 ? bytes * 2 : bytes;
        } else {
          acts += d == DType.FLOAT16 ? bytes * 2 : bytes;
        }
      }
      return new Estimate(m.bytes().length, weights, acts, label);
    }
  }
}
