package dev.crossalign.engine.batch;

import dev.crossalign.CrossalignException;
import dev.crossalign.engine.DemoModel;
import dev.crossalign.engine.ValidationRequest;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tflite.TensorInfo;
import dev.crossalign.tflite.TfliteModel;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * How many workers a batch runs and how much Java heap each gets, chosen together from a per-worker memory estimate
 * and the machine's memory.
 *
 * <p>The estimate, for the largest model of the manifest: the captures a row holds at once (the reference's, then per
 * candidate backend one for chained and one for isolated runs) times the model's activation bytes (every non-constant
 * tensor), on the Java heap with room for the comparison's copies; natively, the loaded libraries plus the backends'
 * copies of the weights and their own activation memory. The constants are measured (benchmarks/README.md).
 *
 * @param workers parallel workers
 * @param heapMb each worker process's -Xmx (MiB)
 * @param perWorkerMb the estimated peak resident set of one worker (MiB): heap plus native
 * @param budgetMb the memory the batch may use (MiB): --max-memory, else 80% of the machine's available memory
 * @param largestModel the model the estimate was made for
 */
public record MemoryPlan(int workers, int heapMb, long perWorkerMb, long budgetMb, String largestModel) {
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
    long budget = maxMemoryMb > 0 ? maxMemoryMb : machineBudgetMb();
    int captures = 1;
    for (ManifestRow r : rows) {
      captures = Math.max(captures, captures(r.backends() == null ? options.backends() : r.backends(),
          options.mode()));
    }
    Estimate worst = largest(rows);
    long heap = HEAP_BASE_MB + ceilMb(worst.fileBytes() + HEAP_PER_CAPTURE * captures * worst.activationBytes());
    long nativeMb = NATIVE_BASE_MB
        + ceilMb(NATIVE_PER_WEIGHT * worst.weightBytes() + NATIVE_PER_ACTIVATION * worst.activationBytes());
    long perWorker = heap + nativeMb;
    int cores = Runtime.getRuntime().availableProcessors();
    int fit = (int) Math.min(Integer.MAX_VALUE, budget / perWorker);
    int workers;
    if (requestedWorkers > 0) {
      workers = requestedWorkers;
      if (fit < workers) {
        throw CrossalignException.input(String.format(Locale.ROOT,
            "%d workers need about %d MiB (%d MiB each for %s), more than the memory budget of %d MiB%s: use"
                + " --workers %d%s", workers, workers * perWorker, perWorker, worst.label(), budget,
            maxMemoryMb > 0 ? " (--max-memory)" : " (80%% of the available memory)", Math.max(1, fit),
            fit < 1 ? " and a larger --max-memory" : " or a larger --max-memory"));
      }
    } else {
      if (fit < 1) {
        throw CrossalignException.input(String.format(Locale.ROOT,
            "one worker needs about %d MiB for %s, more than the memory budget of %d MiB%s", perWorker,
            worst.label(), budget, maxMemoryMb > 0 ? " (--max-memory)" : " (80% of the available memory)"));
      }
      workers = Math.max(1, Math.min(Math.min(cores, fit), Math.max(1, rows.size())));
    }
    return new MemoryPlan(workers, (int) Math.min(Integer.MAX_VALUE, heap), perWorker, budget, worst.label());
  }

  /** The manifest's largest model by estimated bytes (unreadable ones are their rows' errors, not sized here). */
  private static Estimate largest(List<ManifestRow> rows) {
    Estimate worst = new Estimate(0, 0, 0, "none");
    Set<Path> seen = new LinkedHashSet<>();
    boolean demo = false;
    for (ManifestRow r : rows) {
      if (r.model() == null) {
        demo = true;
      } else {
        seen.add(r.model());
      }
    }
    if (demo) {
      worst = Estimate.of(TfliteModel.read(DemoModel.bytes(), DemoModel.LABEL), DemoModel.LABEL);
    }
    for (Path p : seen) {
      if (!java.nio.file.Files.isRegularFile(p)) {
        continue; // a FIFO or device is that row's refusal, not something to read while planning
      }
      try {
        Estimate e = Estimate.of(TfliteModel.read(p), p.toString());
        if (e.bytes() > worst.bytes()) {
          worst = e;
        }
      } catch (RuntimeException e) {
        // an unreadable model is that row's error, recorded when it runs; it does not size the batch
      }
    }
    return worst;
  }

  /** Captures one row holds: the reference's, and per candidate one per mode it runs. */
  static int captures(List<?> backends, ValidationRequest.RunMode mode) {
    int perCandidate = mode == ValidationRequest.RunMode.BOTH ? 2 : 1;
    return 1 + Math.max(0, backends.size() - 1) * perCandidate;
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
    long bytes() {
      return fileBytes + weightBytes + activationBytes;
    }

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
