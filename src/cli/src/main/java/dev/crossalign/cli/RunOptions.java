package dev.crossalign.cli;

import dev.crossalign.CrossalignException;
import dev.crossalign.align.InputChecks;
import dev.crossalign.align.Tolerance;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.engine.DemoModel;
import dev.crossalign.engine.InputGenerator;
import dev.crossalign.engine.RunSpec;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tflite.Subgraph;
import dev.crossalign.tflite.TfliteModel;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The run specification as options, for the commands that run and judge a model (validate, compare, truth): the
 * {@link SharedOptions} mixins (device, seed, threads, profile, input range, tolerances, verbose) plus the input files,
 * all typed by {@link Converters}, so that a bad value fails at parse time.
 */
final class RunOptions {
  @Mixin SharedOptions.DeviceOption device;
  @Mixin SharedOptions.Seed seed;
  @Mixin SharedOptions.InputRange range;
  @Mixin SharedOptions.Tolerances tolerances;
  @Mixin SharedOptions.Threads threads;
  @Mixin SharedOptions.Profile profile;
  @Mixin SharedOptions.Verbose verbose;

  @Option(names = "--input", paramLabel = "NAME=FILE.npy", converter = Converters.InputFileConverter.class,
      description = "A model input from a .npy file, or FILE.npz with inputs by name (repeatable)")
  List<NpyInputs.Spec> inputSpecs = List.of();

  /** What each --input spec read, by spec object (see {@link #read}). */
  private final Map<NpyInputs.Spec, Map<String, HostTensor>> read = new java.util.IdentityHashMap<>();

  @Option(names = "--expected-range", paramLabel = "0,1|-1,1|0,255", converter = Converters.ExpectedRangeConverter.class,
      description = "The value range the model expects of its inputs; --input files outside it are flagged")
  InputChecks.ValueRange expectedRange = InputChecks.ValueRange.UNKNOWN;

  /** The profile with --seed and --threads applied. */
  DeterminismConfig config() {
    return seed.applyTo(profile.config()).withIntraOpThreads(threads.threads);
  }

  Tolerance tolerance() {
    return tolerances.tolerance();
  }

  Device device() {
    return device.device;
  }

  int threads() {
    return threads.threads;
  }

  double atol() {
    return tolerances.atol;
  }

  /** The run specification these options describe (reads the --input files). */
  RunSpec spec() {
    return new RunSpec(device.device, config(), inputs(), range.inputRange, tolerance(), tolerances.chainedRelL2,
        expectedRange, threads.threads);
  }

  /** The model's inputs: the --input files, the rest generated from the seed in --input-range. */
  Map<String, HostTensor> modelInputs(TfliteModel model) {
    return InputGenerator.inputs(model, config().seed(), range.inputRange.low(), range.inputRange.high(), inputs());
  }

  /** Adds the --input files to {@code plan}. */
  FilePlan inputFiles(FilePlan plan) {
    for (NpyInputs.Spec spec : inputSpecs) {
      plan.input("--input " + spec.file(), spec.file());
    }
    return plan;
  }

  /**
   * Refuses an .npz member that names no input of the TFLite model (null: the demo), naming the .npz: the engine's refusal of an unknown
   * input names only the input, which the user never typed when it came from an .npz. Reads the model only when an
   * .npz is given.
   */
  void checkNpzMembers(Path model) {
    List<NpyInputs.Spec> npz = inputSpecs.stream().filter(s -> s.name() == null).toList();
    if (npz.isEmpty()) {
      return;
    }
    TfliteModel m = model == null ? TfliteModel.read(DemoModel.bytes(), DemoModel.LABEL) : TfliteModel.read(model);
    Subgraph g = m.main();
    Set<String> names = new LinkedHashSet<>();
    List<String> described = new java.util.ArrayList<>();
    for (int i : g.inputs()) {
      names.add(g.tensor(i).name());
      described.add(g.tensor(i).name() + java.util.Arrays.toString(g.tensor(i).shape()));
    }
    for (NpyInputs.Spec spec : npz) {
      for (String member : read(spec).keySet()) {
        if (!names.contains(member)) {
          throw CrossalignException.input("--input " + spec.file() + ": member '" + member + "' names no input of"
              + " model " + m.label() + "; its inputs are " + described);
        }
      }
    }
  }

  Map<String, HostTensor> inputs() {
    Map<String, HostTensor> m = new LinkedHashMap<>();
    for (NpyInputs.Spec spec : inputSpecs) {
      m.putAll(read(spec));
    }
    return m;
  }

  /** Each --input file is read once per command, however many of its steps ask for it (the .npz check, the run). */
  private Map<String, HostTensor> read(NpyInputs.Spec spec) {
    return read.computeIfAbsent(spec, NpyInputs::read);
  }
}
