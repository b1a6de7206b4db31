package dev.crossalign.cli;

import dev.crossalign.CrossalignException;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.tensor.HostTensor;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/** Options every command that runs a model shares. */
final class RunOptions {
  @Option(names = "--device", defaultValue = "cpu", description = "cpu, cuda or cuda:N (default: ${DEFAULT-VALUE})")
  String device;

  @Option(names = "--seed", defaultValue = "0", description = "Seed of the generated inputs and of libtorch (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--input", paramLabel = "NAME=FILE.npy", description = "A model input from a .npy file, or FILE.npz with inputs by name (repeatable)")
  List<String> inputSpecs = List.of();

  @Option(names = "--input-range", defaultValue = "-1,1", paramLabel = "LOW,HIGH",
      description = "Range of generated float inputs (default: ${DEFAULT-VALUE})")
  String inputRange;

  @Option(names = "--expected-range", paramLabel = "0,1|-1,1|0,255",
      description = "The value range the model expects of its inputs; --input files outside it are flagged")
  String expectedRange;

  @Option(names = "--atol", defaultValue = "1e-5", description = "Absolute tolerance (default: ${DEFAULT-VALUE})")
  double atol;

  @Option(names = "--rtol", defaultValue = "1e-4", description = "Relative tolerance (default: ${DEFAULT-VALUE})")
  double rtol;

  @Option(names = "--chained-rel-l2", defaultValue = "1e-4",
      description = "Chained mode: a tensor also passes when its rel_l2 is at most this (accumulated float32 error;"
          + " default: ${DEFAULT-VALUE}; a negative value turns it off)")
  double chainedRelL2;

  @Option(names = "--absolute-atol",
      description = "Use atol as an absolute bound (numpy.allclose); by default it is scaled by max(1, max|ref|) per tensor")
  boolean absoluteAtol;

  @Option(names = "--accept-nonfinite",
      description = "Let a tensor holding NaN/Inf pass when both sides hold the same NaN/Inf at the same positions"
          + " (by default any NaN or Inf fails its tensor)")
  boolean acceptNonFinite;

  @Option(names = "--threads", defaultValue = "1", description = "Threads per backend (default: ${DEFAULT-VALUE})")
  int threads;

  @Option(names = "--profile", defaultValue = "deterministic",
      description = "Determinism profile: deterministic, fast, tf32-default or a .properties file (default: ${DEFAULT-VALUE});"
          + " --seed and --threads override its values")
  String profile;

  @Option(names = "--verbose", description = "Stack traces for errors")
  boolean verbose;

  DeterminismConfig config() {
    if (threads < 1) {
      throw CrossalignException.input("--threads must be at least 1, got " + threads);
    }
    return dev.crossalign.backend.Profiles.load(profile).withSeed(seed).withIntraOpThreads(threads);
  }

  dev.crossalign.align.Tolerance tolerance() {
    return new dev.crossalign.align.Tolerance(atol, rtol, !absoluteAtol, -1, acceptNonFinite);
  }

  dev.crossalign.align.InputChecks.ValueRange expectedRange() {
    if (expectedRange == null) {
      return dev.crossalign.align.InputChecks.ValueRange.UNKNOWN;
    }
    return switch (expectedRange.replace(" ", "")) {
      case "0,1" -> dev.crossalign.align.InputChecks.ValueRange.ZERO_ONE;
      case "-1,1" -> dev.crossalign.align.InputChecks.ValueRange.MINUS_ONE_ONE;
      case "0,255" -> dev.crossalign.align.InputChecks.ValueRange.ZERO_255;
      default -> throw CrossalignException.input("--expected-range must be 0,1 or -1,1 or 0,255, got '" + expectedRange + "'");
    };
  }

  double[] range() {
    String[] parts = inputRange.split(",");
    if (parts.length != 2) {
      throw CrossalignException.input("--input-range must be LOW,HIGH, got '" + inputRange + "'");
    }
    try {
      return new double[] {Double.parseDouble(parts[0].trim()), Double.parseDouble(parts[1].trim())};
    } catch (NumberFormatException e) {
      throw CrossalignException.input("--input-range must be two numbers, got '" + inputRange + "'");
    }
  }

  /** Adds the --input files to {@code plan}. */
  FilePlan inputFiles(FilePlan plan) {
    for (String spec : inputSpecs) {
      int eq = spec.indexOf('=');
      String file = eq < 0 ? spec : spec.substring(eq + 1);
      if (!file.isEmpty()) {
        plan.input("--input " + file, java.nio.file.Path.of(file));
      }
    }
    return plan;
  }

  Map<String, HostTensor> inputs() {
    Map<String, HostTensor> m = new LinkedHashMap<>();
    for (String spec : inputSpecs) {
      m.putAll(NpyInputs.read(spec));
    }
    return m;
  }

}
