package dev.crossalign.engine;

import dev.crossalign.backend.Activations;
import dev.crossalign.backend.Backend;
import dev.crossalign.backend.BackendKind;
import dev.crossalign.backend.BackendSpec;
import dev.crossalign.backend.Backends;
import dev.crossalign.backend.CapturedTensor;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.backend.Profiles;
import dev.crossalign.port.onnx.ExportOptions;
import dev.crossalign.port.onnx.Exporter;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tflite.TfliteModel;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.nio.file.Path;

/**
 * Runs each backend N times on the same inputs under one determinism config and says, per backend and per tensor,
 * whether the runs are bitwise identical, and how far apart they are when not.
 */
public final class DeterminismLab {
  private DeterminismLab() {}

  /** One tensor whose runs differ: the largest absolute spread between run 0 and any other run. */
  public record Spread(String tensor, String op, double maxAbsSpread, int runsDiffering) {}

  /** One backend's verdict. */
  public record BackendResult(String name, int runs, boolean bitwiseIdentical, int tensorsCompared, List<Spread> differing) {}

  /** The whole experiment under one profile. */
  public record Report(String model, String device, String profile, Map<String, String> config, List<BackendResult> backends) {
    public boolean allIdentical() {
      return backends.stream().allMatch(BackendResult::bitwiseIdentical);
    }
  }

  public static Report run(Path model, List<BackendKind> backends, int repeat, Device device, String profileName, DeterminismConfig config) {
    return run(model, backends, repeat, device, profileName, config, run -> {});
  }

  /** As above, telling {@code onRun} after each run ("torch run 3/5"), for a progress bar of backends x repeat. */
  public static Report run(Path model, List<BackendKind> backends, int repeat, Device device, String profileName,
      DeterminismConfig config, java.util.function.Consumer<String> onRun) {
    if (repeat < 2) {
      throw dev.crossalign.CrossalignException.input("--repeat must be at least 2, got " + repeat);
    }
    String problem = Profiles.cublasWorkspaceProblem(config, device);
    if (problem != null) {
      throw new dev.crossalign.CrossalignException(dev.crossalign.CrossalignException.Kind.ENVIRONMENT, problem);
    }
    TfliteModel m = model == null ? TfliteModel.read(DemoModel.bytes(), DemoModel.LABEL) : TfliteModel.read(model);
    String label = model == null ? DemoModel.LABEL : model.toString();
    Map<String, HostTensor> inputs = InputGenerator.inputs(m, config.seed(), -1, 1, Map.of());
    List<BackendResult> results = new ArrayList<>();
    Map<String, String> cfg = new LinkedHashMap<>(Profiles.describe(config));
    for (BackendKind b : backends) {
      try (Backend backend = open(b, m, device, config)) {
        results.add(repeatRuns(backend, inputs, repeat, onRun));
        backend.info().forEach((k, v) -> cfg.put(b.configKey(k), v));
      }
    }
    return new Report(label, device.toString(), profileName, cfg, results);
  }

  static BackendResult repeatRuns(Backend backend, Map<String, HostTensor> inputs, int repeat,
      java.util.function.Consumer<String> onRun) {
    Activations first = backend.run(inputs);
    onRun.accept(backend.name() + " run 1/" + repeat);
    Map<String, Spread> differing = new LinkedHashMap<>();
    for (int r = 1; r < repeat; r++) {
      Activations next = backend.run(inputs);
      onRun.accept(backend.name() + " run " + (r + 1) + "/" + repeat);
      for (CapturedTensor c : first.tensors()) {
        HostTensor other = next.tensor(c.name());
        if (other == null) {
          continue;
        }
        if (!bytesEqual(c.tensor(), other)) {
          double spread = maxAbsDiff(c.tensor(), other);
          Spread prev = differing.get(c.name());
          differing.put(
              c.name(),
              new Spread(c.name(), c.op(), Math.max(spread, prev == null ? 0 : prev.maxAbsSpread()), prev == null ? 1 : prev.runsDiffering() + 1));
        }
      }
    }
    return new BackendResult(backend.name(), repeat, differing.isEmpty(), first.size(), List.copyOf(differing.values()));
  }

  /** One tensor that changed between two profiles. */
  public record Change(String backend, String tensor, String op, double maxAbs) {}

  /**
   * Runs every backend once under {@code a} and once under {@code b} (same inputs) and lists the tensors that changed:
   * what flipping TF32, benchmark mode or the thread count does to the numbers.
   */
  public static List<Change> compareProfiles(
      Path model, List<BackendKind> backends, Device device, DeterminismConfig a, DeterminismConfig b) {
    TfliteModel m = model == null ? TfliteModel.read(DemoModel.bytes(), DemoModel.LABEL) : TfliteModel.read(model);
    Map<String, HostTensor> inputs = InputGenerator.inputs(m, a.seed(), -1, 1, Map.of());
    List<Change> changes = new ArrayList<>();
    for (BackendKind name : backends) {
      Activations ra = once(m, name, device, a, inputs);
      Activations rb = once(m, name, device, b, inputs);
      for (CapturedTensor c : ra.tensors()) {
        HostTensor other = rb.tensor(c.name());
        if (other != null && !bytesEqual(c.tensor(), other)) {
          changes.add(new Change(name.id(), c.name(), c.op(), maxAbsDiff(c.tensor(), other)));
        }
      }
    }
    return changes;
  }

  private static Activations once(TfliteModel m, BackendKind backend, Device device, DeterminismConfig c,
      Map<String, HostTensor> inputs) {
    try (Backend b = open(backend, m, device, c)) {
      return b.run(inputs);
    }
  }

  /** {@code kind} through its provider, capturing every tensor; ONNX Runtime runs the exported port. */
  private static Backend open(BackendKind kind, TfliteModel m, Device device, DeterminismConfig c) {
    if (!kind.serves(BackendKind.Use.DETERMINISM)) {
      throw dev.crossalign.CrossalignException.input("unknown backend '" + kind.id() + "' for determinism");
    }
    return Backends.open(kind, new BackendSpec(m, () -> Exporter.export(m, ExportOptions.DEFAULT).model(), device,
        c, BackendSpec.Purpose.CAPTURE));
  }

  static boolean bytesEqual(HostTensor a, HostTensor b) {
    if (a.dtype() != b.dtype() || !java.util.Arrays.equals(a.shape(), b.shape())) {
      return false;
    }
    ByteBuffer x = a.data();
    ByteBuffer y = b.data();
    return x.equals(y);
  }

  static double maxAbsDiff(HostTensor a, HostTensor b) {
    if (a.numel() != b.numel()) {
      return Double.POSITIVE_INFINITY;
    }
    double worst = 0;
    for (long i = 0; i < a.numel(); i++) {
      double d = Math.abs(a.getDouble(i) - b.getDouble(i));
      if (Double.isNaN(d)) {
        d = Double.POSITIVE_INFINITY;
      }
      worst = Math.max(worst, d);
    }
    return worst;
  }
}
