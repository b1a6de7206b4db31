package dev.crossalign.engine.gpu;

import dev.crossalign.CrossalignException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The GPU check's legs as plain calls, each with its console lines and exit status: 0 done, 1 done with findings
 * (cpu: the reference not reproduced; cudnn: a layer failed), 2 could not run: cuDNN unavailable (its JSON written,
 * the reason as the refusal line) or, thrown as a one-line {@link CrossalignException}, a bad bundle or argument. The command that parses their options is the CLI module's
 * {@code dev.crossalign.cli.GpuCheckCommand} (picocli lives there only); the bundle runs that class.
 */
public final class GpuLegs {
  private GpuLegs() {}

  /**
   * What a leg prints on stdout, the one line it prints on stderr when it could not run (or null), and the exit status
   * it ends with.
   */
  public record Outcome(List<String> lines, String refusal, int exitStatus) {
    public Outcome {
      lines = List.copyOf(lines);
    }

    Outcome(List<String> lines, int exitStatus) {
      this(lines, null, exitStatus);
    }
  }

  /** export: each model (name -> .tflite) into {@code bundle}, with its seeded inputs and the TFLite reference. */
  public static Outcome export(Map<String, Path> models, long seed, Path bundle) {
    List<String> lines = new ArrayList<>();
    for (Map.Entry<String, Path> e : models.entrySet()) {
      BundleManifest m = BundleExport.export(e.getValue(), e.getKey(), seed, bundle);
      lines.add("export: " + m.name() + ": " + m.convs().size() + " convs, " + m.skipped().size() + " skipped, TFLite "
          + m.tfliteVersion());
    }
    return new Outcome(lines, 0);
  }

  /** cpu: TFLite again on the bundled inputs, every tensor against the bundled reference; the report to {@code json}. */
  public static Outcome cpu(Path bundle, Path json, boolean truth) {
    CpuLeg.Report r = CpuLeg.run(bundle, truth);
    Json.write(json, r);
    return new Outcome(r.lines(), r.pass() ? 0 : 1);
  }

  /**
   * cudnn: every forward algorithm on every bundled conv; the report to {@code json}, also when cuDNN is unavailable
   * (then exit 2 with the reason as the refusal).
   */
  public static Outcome cudnn(Path bundle, Path json, CudnnLeg.Options options) {
    CudnnLeg.Report r = CudnnLeg.run(bundle, options);
    Json.write(json, r);
    if ("unavailable".equals(r.status())) {
      return new Outcome(r.lines(), r.reason(), 2);
    }
    return new Outcome(r.lines(), r.layers().stream().anyMatch(l -> l.error() != null) ? 1 : 0);
  }

  /** summary: the legs' JSON in {@code dir} merged into check.json and summary.md. */
  public static Outcome summary(Path dir) {
    return new Outcome(Summary.write(dir), 0);
  }
}
