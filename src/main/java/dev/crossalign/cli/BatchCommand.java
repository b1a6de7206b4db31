package dev.crossalign.cli;

import dev.crossalign.CrossalignException;
import dev.crossalign.align.Tolerance;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.engine.ValidationRequest;
import dev.crossalign.engine.batch.BatchOptions;
import dev.crossalign.engine.batch.BatchRunner;
import dev.crossalign.engine.batch.Manifest;
import dev.crossalign.engine.batch.ManifestRow;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "batch",
    mixinStandardHelpOptions = true,
    description = {
      "Validates every row of MANIFEST.csv on a pool of workers, one JSON line per row as it finishes.",
      "Header row required; columns (any order, only model required): model (.tflite path relative to the manifest,",
      "or demo), seed, input (.npz by name, .npy for a single-input model, or NAME=FILE.npy), atol, rtol, backends",
      "(reference first, separated by | or ;). Empty cells take the defaults below.",
      "A failing row is recorded with its exit status (2 unusable input, 3 unsupported ops) and the batch goes on.",
      "Exit status: 0 when every row is aligned, else the highest row status."
    })
final class BatchCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MANIFEST.csv", description = "The manifest")
  Path manifest;

  @Option(names = "--workers", defaultValue = "1", description = "Worker threads, each with its own backends (default: ${DEFAULT-VALUE})")
  int workers;

  @Option(names = "--jsonl", paramLabel = "OUT", description = "Append the result lines here (fsync'ed per line); else stdout")
  Path jsonl;

  @Option(names = "--resume", description = "Skip rows already in OUT (same row number, model and seed) and append the rest")
  boolean resume;

  @Option(names = "--backends", split = ",", defaultValue = "tflite,torch",
      description = "Default backends, reference first (default: ${DEFAULT-VALUE})")
  List<String> backends;

  @Option(names = "--mode", defaultValue = "both", description = "chained, isolated or both (default: ${DEFAULT-VALUE})")
  String mode;

  @Option(names = "--device", defaultValue = "cpu", description = "cpu, cuda or cuda:N (default: ${DEFAULT-VALUE})")
  String device;

  @Option(names = "--atol", defaultValue = "1e-5", description = "Default absolute tolerance (default: ${DEFAULT-VALUE})")
  double atol;

  @Option(names = "--rtol", defaultValue = "1e-4", description = "Default relative tolerance (default: ${DEFAULT-VALUE})")
  double rtol;

  @Option(names = "--absolute-atol", description = "atol as an absolute bound (else scaled by max(1, max|ref|))")
  boolean absoluteAtol;

  @Option(names = "--chained-rel-l2", defaultValue = "1e-4", description = "Chained rel_l2 budget (default: ${DEFAULT-VALUE})")
  double chainedRelL2;

  @Option(names = "--input-range", defaultValue = "-1,1", paramLabel = "LOW,HIGH",
      description = "Range of generated float inputs (default: ${DEFAULT-VALUE})")
  String inputRange;

  @Option(names = "--models-per-worker", defaultValue = "2",
      description = "Opened models each worker keeps for reuse (default: ${DEFAULT-VALUE})")
  int modelsPerWorker;

  @Option(names = "--verbose", description = "Stack traces for errors")
  boolean verbose;

  @Override
  public Integer call() {
    if (resume && jsonl == null) {
      throw CrossalignException.input("--resume needs --jsonl OUT (the file to continue)");
    }
    String[] r = inputRange.split(",");
    if (r.length != 2) {
      throw CrossalignException.input("--input-range must be LOW,HIGH, got '" + inputRange + "'");
    }
    double lo;
    double hi;
    try {
      lo = Double.parseDouble(r[0].trim());
      hi = Double.parseDouble(r[1].trim());
    } catch (NumberFormatException e) {
      throw CrossalignException.input("--input-range must be two numbers, got '" + inputRange + "'");
    }
    BatchOptions opts = new BatchOptions(
        backends,
        ValidationRequest.RunMode.parse(mode),
        Device.parse(device),
        DeterminismConfig.DETERMINISTIC,
        lo,
        hi,
        new Tolerance(atol, rtol, !absoluteAtol, -1),
        chainedRelL2,
        1,
        modelsPerWorker);
    new FilePlan().input("manifest " + manifest, manifest).output("--jsonl", jsonl).check();
    List<ManifestRow> rows = Manifest.read(manifest);
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    BatchRunner.Summary s = BatchRunner.run(rows, opts, workers, jsonl, resume, jsonl == null ? out::println : null);
    out.flush();
    err.println(String.format(Locale.ROOT, "crossalign batch: %d rows, %d run, %d skipped (already in %s), %d aligned,"
        + " exit %d", s.total(), s.ran(), s.skipped(), jsonl == null ? "-" : jsonl, s.aligned(), s.exitStatus()));
    err.flush();
    return s.exitStatus();
  }
}
