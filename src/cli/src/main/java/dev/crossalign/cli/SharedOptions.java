package dev.crossalign.cli;

import dev.crossalign.align.Tolerance;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.engine.RunSpec;
import picocli.CommandLine.Option;

/**
 * The options several commands share, each declared once as a picocli mixin and typed by {@link Converters}, so that
 * a bad value fails while the command line is parsed (exit 2, one line, the command's --help) in every command alike.
 * {@link RunOptions} bundles them for the commands that run and judge a model (validate, compare, truth); bench,
 * batch and determinism take the ones that apply to them; every command takes {@link Verbose}.
 */
final class SharedOptions {
  private SharedOptions() {}

  /** --device. */
  static final class DeviceOption {
    @Option(names = "--device", defaultValue = "cpu", paramLabel = "cpu|cuda[:N]",
        converter = Converters.DeviceConverter.class,
        description = "cpu, cuda or cuda:N (TFLite runs on the CPU whatever this says; default: ${DEFAULT-VALUE})")
    Device device;
  }

  /** --seed: the profile's when not given. */
  static final class Seed {
    @Option(names = "--seed", paramLabel = "N",
        description = "Seed of the generated inputs and of libtorch (default: the determinism profile's, 0 in the"
            + " built-in profiles)")
    Long seed;

    /** The seed given, else {@code profileSeed}. */
    long orElse(long profileSeed) {
      return seed == null ? profileSeed : seed;
    }

    /** {@code config} with the seed given, if any. */
    DeterminismConfig applyTo(DeterminismConfig config) {
      return seed == null ? config : config.withSeed(seed);
    }
  }

  /** --threads. */
  static final class Threads {
    @Option(names = "--threads", defaultValue = "1", paramLabel = "N", converter = Converters.Threads.class,
        description = "Threads per backend (default: ${DEFAULT-VALUE})")
    int threads;
  }

  /** --profile: a built-in determinism profile or a .properties file, read while the command line is parsed. */
  static final class Profile {
    @Option(names = "--profile", defaultValue = "deterministic", paramLabel = "NAME|FILE",
        converter = Converters.ProfileConverter.class,
        description = "Determinism profile: deterministic, fast, tf32-default or a .properties file (default:"
            + " ${DEFAULT-VALUE}); --seed (and --threads where taken) override its values")
    Converters.NamedProfile profile;

    String name() {
      return profile.name();
    }

    DeterminismConfig config() {
      return profile.config();
    }
  }

  /** --input-range. */
  static final class InputRange {
    @Option(names = "--input-range", defaultValue = "-1,1", paramLabel = "LOW,HIGH",
        converter = Converters.InputRangeConverter.class,
        description = "Range of generated float inputs (default: ${DEFAULT-VALUE})")
    RunSpec.InputRange inputRange;
  }

  /** --atol, --rtol, --chained-rel-l2, --absolute-atol, --accept-nonfinite. */
  static final class Tolerances {
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
        description = "Use atol as an absolute bound (numpy.allclose); by default it is scaled by max(1, max|ref|) per"
            + " tensor")
    boolean absoluteAtol;

    @Option(names = "--accept-nonfinite",
        description = "Let a tensor holding NaN/Inf pass when both sides hold the same NaN/Inf at the same positions"
            + " (by default any NaN or Inf fails its tensor)")
    boolean acceptNonFinite;

    Tolerance tolerance() {
      return new Tolerance(atol, rtol, !absoluteAtol, -1, acceptNonFinite);
    }
  }

  /** --verbose: read by Main before parsing too (native log lines, stack traces). */
  static final class Verbose {
    @Option(names = "--verbose", description = "Stack traces for errors")
    boolean verbose;
  }
}
