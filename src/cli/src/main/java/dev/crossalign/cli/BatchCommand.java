package dev.crossalign.cli;

import dev.crossalign.CrossalignException;
import dev.crossalign.backend.BackendKind;
import dev.crossalign.backend.BackendKind.Ids;
import dev.crossalign.engine.RunSpec;
import dev.crossalign.engine.ValidationRequest;
import dev.crossalign.engine.batch.BatchOptions;
import dev.crossalign.engine.batch.BatchRunner;
import dev.crossalign.engine.batch.Isolation;
import dev.crossalign.engine.batch.MemoryPlan;
import dev.crossalign.engine.batch.Manifest;
import dev.crossalign.engine.batch.ManifestRow;
import dev.crossalign.engine.batch.Tenths;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "batch",
    mixinStandardHelpOptions = true,
    header = "Validates every row of a manifest (model, seed, input) on a pool of workers.",
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {"0:every row aligned", "1:a row misaligned (and none worse)",
        "2:unusable arguments or manifest, or a row with an unusable model or input",
        "3:a row with ops a backend cannot run (and none unusable)"},
    description = {
      "Validates every row of MANIFEST.csv on a pool of workers, one JSON line per row as it finishes.",
      "Header row required; columns (any order, only model required): model (.tflite path relative to the manifest,",
      "or demo), seed, input (.npz by name, .npy for a single-input model, or NAME=FILE.npy), atol, rtol, backends",
      "(reference first, separated by | or ;). Empty cells take the defaults below.",
      "A failing row is recorded with its exit status (2 unusable input, 3 unsupported ops) and the batch goes on.",
      "Rows run in worker processes: a row that crashes its worker natively is recorded as crashed (with the signal),",
      "one that runs past --row-timeout as timeout (both exit status 2); the worker is restarted and the batch goes on.",
      "Workers and their heap are sized together from the largest model's tensor sizes and the machine's memory.",
      "Exit status: 0 when every row is aligned, else the highest row status."
    })
final class BatchCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MANIFEST.csv", description = "The manifest")
  Path manifest;

  @Option(names = "--workers", defaultValue = "0", paramLabel = "N", converter = Converters.AtLeast0.class,
      description = "Workers, each with its own backends (default: as many as the cores and --max-memory allow)")
  int workers;

  @Option(names = "--max-memory", paramLabel = "SIZE", converter = Converters.MemorySize.class,
      description = "Memory the whole batch may use, e.g. 6g or 3000m (default: 80% of the available memory);"
          + " sizes the workers' count and heap")
  Long maxMemoryMb;

  @Option(names = "--isolation", defaultValue = "process", paramLabel = "process|thread",
      converter = Converters.IsolationConverter.class,
      description = "process: rows in worker JVMs, a native crash costs one row; thread: rows in this JVM, no"
          + " start-up cost, a native crash ends the batch (default: ${DEFAULT-VALUE})")
  Isolation isolation;

  @Option(names = "--row-timeout", defaultValue = "600", paramLabel = "SECONDS", converter = Converters.Seconds.class,
      description = "A row running longer is recorded as timeout and its worker killed (process isolation;"
          + " default: ${DEFAULT-VALUE})")
  double rowTimeout;

  @Option(names = "--retry-crashed", description = "With --resume: run again the rows recorded as crashed or timeout")
  boolean retryCrashed;

  @Option(names = "--jsonl", paramLabel = "OUT", description = "Append the result lines here (fsync'ed per line); else stdout")
  Path jsonl;

  @Option(names = "--resume", description = "Skip rows already in OUT (same row number, model and seed) and append the rest")
  boolean resume;

  @Option(names = "--backends", split = ",", defaultValue = Ids.TFLITE + "," + Ids.TORCH,
      paramLabel = Ids.TFLITE + "," + Ids.TORCH + "[," + Ids.ONNXRUNTIME + "]",
      converter = Converters.ValidateBackend.class,
      description = "Default backends, reference first (default: ${DEFAULT-VALUE})")
  List<BackendKind> backends;

  @Option(names = "--mode", defaultValue = "both", paramLabel = "chained|isolated|both",
      converter = Converters.ModeConverter.class, description = "chained, isolated or both (default: ${DEFAULT-VALUE})")
  ValidationRequest.RunMode mode;

  @Mixin SharedOptions.DeviceOption device;
  /** The defaults of a row's atol and rtol cells; the rest for every row. */
  @Mixin SharedOptions.Tolerances tolerances;
  @Mixin SharedOptions.InputRange range;

  @Option(names = "--models-per-worker", defaultValue = "2", paramLabel = "N", converter = Converters.AtLeast1.class,
      description = "Opened models each worker keeps for reuse (default: ${DEFAULT-VALUE})")
  int modelsPerWorker;

  @Mixin SharedOptions.Verbose verbose;

  /** "row 12 face.tflite: aligned" from a result line, for the progress bar. */
  static String rowLabel(String jsonLine) {
    return dev.crossalign.engine.batch.RowResult.label(jsonLine);
  }

  /**
   * "crossalign batch: 300 rows run in 44.80 min, 6.70 rows/min; per row, first / last tenth's median (manifest
   * order, 30 / 30 rows, the same mix): CPU 5.12 / 4.98 s (0.97x), wall 9.80 / 12.1 s (1.23x); CPU median by tenth
   * 5.12 ... s": the rows' cost as the batch went on (CPU time: the worker's, whatever else held the cores).
   */
  static String timesLine(BatchRunner.Summary s) {
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "crossalign batch: %d rows run in %.2f min,"
        + " %.2f rows/min", s.ran(), s.elapsedMs() / 60_000.0, s.rowsPerMinute()));
    Tenths t = s.tenths();
    if (t != null) {
      sb.append(String.format(Locale.ROOT, "; per row, first / last tenth's median (manifest order, %d / %d rows, %s):"
          + " CPU %.3g / %.3g s (%.2fx), wall %.3g / %.3g s (%.2fx); CPU median by tenth", t.firstRows(),
          t.lastRows(), t.sameMix() ? "the same mix" : "NOT the same mix of models: not like for like",
          t.cpuMedianMs().get(0) / 1000, t.cpuMedianMs().get(9) / 1000, t.cpuRatio(),
          t.wallMedianMs().get(0) / 1000, t.wallMedianMs().get(9) / 1000, t.wallRatio()));
      for (double ms : t.cpuMedianMs()) {
        sb.append(String.format(Locale.ROOT, " %.3g", ms / 1000));
      }
      sb.append(" s");
    }
    return sb.toString();
  }

  @Override
  public Integer call() {
    if (resume && jsonl == null) {
      throw CrossalignException.input("--resume needs --jsonl OUT (the file to continue)");
    }
    if (retryCrashed && !resume) {
      throw CrossalignException.input("--retry-crashed needs --resume (it reruns the crashed rows of OUT)");
    }
    Isolation iso = isolation;
    RunSpec run = RunSpec.DEFAULT.withDevice(device.device).withInputRange(range.inputRange)
        .withTolerance(tolerances.tolerance()).withRelL2Budget(tolerances.chainedRelL2).withTfliteThreads(1);
    BatchOptions opts = new BatchOptions(backends, mode, run, modelsPerWorker);
    new FilePlan().input("manifest " + manifest, manifest).output("--jsonl", jsonl).check();
    List<ManifestRow> rows = Manifest.read(manifest);
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    MemoryPlan plan = MemoryPlan.plan(rows, opts, workers, maxMemoryMb == null ? 0 : maxMemoryMb);
    BatchRunner.Config config = new BatchRunner.Config(plan.workers(), iso, resume, retryCrashed,
        Duration.ofMillis((long) Math.ceil(rowTimeout * 1000)), plan.heapMb(), plan.recycleMb());
    BatchRunner.Summary s;
    // one step per finished row: every line passes through here, printed on stdout only without --jsonl
    try (Progress progress = Progress.start("batch", rows.size(), false)) {
      s = BatchRunner.run(rows, opts, config, jsonl, line -> {
        if (jsonl == null) {
          out.println(line);
        }
        progress.step(1);
        progress.phase(rowLabel(line));
      });
    }
    out.flush();
    err.println(String.format(Locale.ROOT, "crossalign batch: %d rows, %d run, %d skipped (already in %s), %d aligned,"
        + " %d crashed, %d timed out, exit %d", s.total(), s.ran(), s.skipped(), jsonl == null ? "-" : jsonl,
        s.aligned(), s.crashed(), s.timedOut(), s.exitStatus()));
    if (iso == Isolation.PROCESS) {
      err.println(String.format(Locale.ROOT, "crossalign batch: %d workers, -Xmx%dm each (estimate %d MiB per worker"
          + " for %s, budget %d MiB), %d worker processes started, %d recycled above %d MiB; peak RSS %d MiB per"
          + " worker, %d MiB together (this process and its workers, sampled every 0.5 s)", plan.workers(),
          plan.heapMb(), plan.perWorkerMb(), plan.largestModel(), plan.budgetMb(), s.workersStarted(), s.recycled(),
          plan.recycleMb(), s.peakRssKb() / 1024, s.peakTreeRssKb() / 1024));
    } else {
      err.println(String.format(Locale.ROOT, "crossalign batch: %d worker threads; peak RSS of this process %d MiB",
          plan.workers(), s.peakRssKb() / 1024));
    }
    if (s.ran() > 0) {
      err.println(timesLine(s));
    }
    if (!s.problems().isEmpty()) {
      err.println(s.problems().size() + " row(s) not aligned:");
      s.problems().forEach(p -> err.println("  " + p));
    }
    err.flush();
    return s.exitStatus();
  }
}
