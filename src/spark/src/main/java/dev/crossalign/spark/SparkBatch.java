package dev.crossalign.spark;

import dev.crossalign.CrossalignException;
import dev.crossalign.align.Tolerance;
import dev.crossalign.backend.BackendKind;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.engine.RunSpec;
import dev.crossalign.engine.ValidationRequest;
import dev.crossalign.engine.batch.BatchOptions;
import dev.crossalign.engine.batch.BatchWorker;
import dev.crossalign.engine.batch.Manifest;
import dev.crossalign.engine.batch.ManifestRow;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.SparkSession;

/**
 * The batch manifest as a Spark job: the rows become a Dataset, each partition runs on one {@link BatchWorker} (its
 * own backends and model cache, closed when the partition is done), and every row's result is one JSON line of the
 * text output (same fields as {@code crossalign batch --jsonl}). Model and input paths must be readable by the
 * executors (a shared file system); they are resolved against the manifest's folder on the driver.
 *
 * <p>{@code spark-submit --class dev.crossalign.spark.SparkBatch crossalign.jar MANIFEST.csv OUT_DIR [PARTITIONS]
 * [BACKENDS]}
 */
public final class SparkBatch {
  private SparkBatch() {}

  /** One manifest row in a form Spark can ship (java.nio.file.Path is not Serializable). */
  public record RowSpec(int row, String model, long seed, String input, Double atol, Double rtol, String backends)
      implements Serializable {
    static RowSpec of(ManifestRow r) {
      return new RowSpec(r.row(), r.model() == null ? null : r.model().toString(), r.seed(), r.input(), r.atol(),
          r.rtol(), r.backends() == null ? null : String.join("|", r.backends()));
    }

    ManifestRow toRow() {
      return new ManifestRow(row, model == null ? null : Path.of(model), seed, input, atol, rtol,
          backends == null ? null : Arrays.asList(backends.split("\\|")));
    }
  }

  /** The batch-wide settings in a form Spark can ship; {@link #options()} rebuilds them on the executor. */
  public record Settings(
      List<String> backends, String mode, String device, double atol, double rtol, boolean scaleAtol,
      double chainedRelL2, double inputLow, double inputHigh, int modelsPerWorker) implements Serializable {
    public Settings {
      backends = List.copyOf(backends);
    }

    public static Settings defaults() {
      BatchOptions d = BatchOptions.defaults();
      return new Settings(BackendKind.ids(d.backends()), d.mode().name(), d.device().toString(), d.tolerance().atol(),
          d.tolerance().rtol(), d.tolerance().scaleAtol(), d.chainedRelL2(), d.inputLow(), d.inputHigh(),
          d.modelsPerWorker());
    }

    public Settings withBackends(List<String> b) {
      return new Settings(b, mode, device, atol, rtol, scaleAtol, chainedRelL2, inputLow, inputHigh, modelsPerWorker);
    }

    public Settings withMode(String m) {
      return new Settings(backends, m, device, atol, rtol, scaleAtol, chainedRelL2, inputLow, inputHigh,
          modelsPerWorker);
    }

    BatchOptions options() {
      RunSpec run = RunSpec.DEFAULT.withDevice(Device.parse(device)).withConfig(DeterminismConfig.DETERMINISTIC)
          .withInputRange(new RunSpec.InputRange(inputLow, inputHigh))
          .withTolerance(new Tolerance(atol, rtol, scaleAtol, -1)).withRelL2Budget(chainedRelL2).withTfliteThreads(1);
      return new BatchOptions(BackendKind.parseAll(backends, BackendKind.Use.VALIDATE),
          ValidationRequest.RunMode.parse(mode), run, modelsPerWorker);
    }
  }

  /** Runs one partition's rows on one worker; the worker's native memory is freed before the results go back. */
  static final class Partition implements MapPartitionsFunction<RowSpec, String> {
    private static final long serialVersionUID = 1L;
    private final Settings settings;

    Partition(Settings settings) {
      this.settings = settings;
    }

    @Override
    public Iterator<String> call(Iterator<RowSpec> rows) {
      List<String> out = new ArrayList<>();
      try (BatchWorker w = new BatchWorker(settings.options())) {
        while (rows.hasNext()) {
          out.add(w.validate(rows.next().toRow()).toJson());
        }
      }
      return out.iterator();
    }
  }

  /** The result lines of every row, as a Dataset of JSON strings (lazy: write or collect it). */
  public static Dataset<String> results(SparkSession spark, List<ManifestRow> rows, Settings settings, int partitions) {
    if (partitions < 1) {
      throw CrossalignException.input("partitions must be at least 1, got " + partitions);
    }
    settings.options(); // refuse bad settings on the driver, before any task starts
    List<RowSpec> specs = rows.stream().map(RowSpec::of).toList();
    Dataset<RowSpec> ds = spark.createDataset(specs, Encoders.javaSerialization(RowSpec.class));
    return ds.repartition(partitions).mapPartitions(new Partition(settings), Encoders.STRING());
  }

  /**
   * Reads the manifest (a local or shared-file-system path on the driver), runs it, and writes the JSON lines as text
   * part files under {@code outDir} (any URI Spark writes to: a local folder, hdfs://..., s3a://...).
   */
  public static void run(SparkSession spark, Path manifest, String outDir, Settings settings, int partitions) {
    List<ManifestRow> rows = Manifest.read(manifest);
    results(spark, rows, settings, partitions).write().text(outDir);
  }

  /**
   * {@link #main}'s command line, every value checked before a Spark session starts.
   *
   * @param partitions 0 for Spark's default parallelism
   */
  record Args(Path manifest, String outDir, int partitions, Settings settings) {
    static final String USAGE = "usage: SparkBatch MANIFEST.csv OUT_DIR [PARTITIONS] [BACKENDS, e.g. tflite,torch]";

    /** The arguments; a one-line input error (the usage, or the bad value and what was expected) otherwise. */
    static Args parse(String... args) {
      if (args.length < 2 || args.length > 4) {
        throw CrossalignException.input(USAGE);
      }
      int partitions = 0;
      if (args.length > 2) {
        try {
          partitions = Integer.parseInt(args[2].trim());
        } catch (NumberFormatException e) {
          partitions = -1;
        }
        if (partitions < 0) {
          throw CrossalignException.input("PARTITIONS must be a whole number, at least 0 (0: Spark's default"
              + " parallelism), got '" + args[2] + "'");
        }
      }
      Settings s = Settings.defaults();
      if (args.length > 3) {
        s = s.withBackends(Arrays.asList(args[3].split(",")));
      }
      s.options(); // an unknown backend is refused here, not on an executor
      return new Args(Path.of(args[0]), args[1], partitions, s);
    }
  }

  public static void main(String[] args) {
    Args a;
    try {
      a = Args.parse(args);
    } catch (CrossalignException e) {
      System.err.println("crossalign spark: " + e.getMessage());
      System.exit(e.kind().exitStatus());
      return;
    }
    SparkSession spark = SparkSession.builder().appName("crossalign-batch").getOrCreate();
    try {
      int n = a.partitions() > 0 ? a.partitions() : spark.sparkContext().defaultParallelism();
      run(spark, a.manifest(), a.outDir(), a.settings(), n);
    } finally {
      spark.stop();
    }
  }
}
