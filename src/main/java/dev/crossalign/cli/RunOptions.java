package dev.crossalign.cli;

import dev.crossalign.align.InputChecks;
import dev.crossalign.align.Tolerance;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.backend.Profiles;
import dev.crossalign.engine.RunSpec;
import dev.crossalign.tensor.HostTensor;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The run specification as options, shared by the commands that run and judge a model (validate, compare, truth):
 * typed by {@link Converters}, so that a bad device, range, tolerance or thread count fails at parse time.
 */
final class RunOptions {
  @Option(names = "--device", defaultValue = "cpu", paramLabel = "cpu|cuda[:N]", converter = Converters.DeviceConverter.class,
      description = "cpu, cuda or cuda:N (default: ${DEFAULT-VALUE})")
  Device device;

  @Option(names = "--seed", defaultValue = "0", paramLabel = "N", description = "Seed of the generated inputs and of libtorch (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--input", paramLabel = "NAME=FILE.npy", description = "A model input from a .npy file, or FILE.npz with inputs by name (repeatable)")
  List<String> inputSpecs = List.of();

  @Option(names = "--input-range", defaultValue = "-1,1", paramLabel = "LOW,HIGH",
      converter = Converters.InputRangeConverter.class,
      description = "Range of generated float inputs (default: ${DEFAULT-VALUE})")
  RunSpec.InputRange inputRange;

  @Option(names = "--expected-range", paramLabel = "0,1|-1,1|0,255", converter = Converters.ExpectedRangeConverter.class,
      description = "The value range the model expects of its inputs; --input files outside it are flagged")
  InputChecks.ValueRange expectedRange = InputChecks.ValueRange.UNKNOWN;

  @Option(names = "--atol", defaultValue = "1e-5", paramLabel = "X", converter = Converters.NonNegative.class,
      description = "Absolute tolerance (default: ${DEFAULT-VALUE})")
  double atol;

  @Option(names = "--rtol", defaultValue = "1e-4", paramLabel = "X", converter = Converters.NonNegative.class,
      description = "Relative tolerance (default: ${DEFAULT-VALUE})")
  double rtol;

  @Option(names = "--chained-rel-l2", defaultValue = "1e-4", paramLabel = "X", converter = Converters.Finite.class,
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

  @Option(names = "--threads", defaultValue = "1", paramLabel = "N", converter = Converters.Threads.class,
      description = "Threads per backend (default: ${DEFAULT-VALUE})")
  int threads;

  @Option(names = "--profile", defaultValue = "deterministic", paramLabel = "NAME|FILE",
      description = "Determinism profile: deterministic, fast, tf32-default or a .properties file (default: ${DEFAULT-VALUE});"
          + " --seed and --threads override its values")
  String profile;

  @Option(names = "--verbose", description = "Stack traces for errors")
  boolean verbose;

  DeterminismConfig config() {
    return Profiles.load(profile).withSeed(seed).withIntraOpThreads(threads);
  }

  Tolerance tolerance() {
    return new Tolerance(atol, rtol, !absoluteAtol, -1, acceptNonFinite);
  }

  /** The run specification these options describe (reads the --input files). */
  RunSpec spec() {
    return new RunSpec(device, config(), inputs(), inputRange, tolerance(), chainedRelL2, expectedRange, threads);
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
