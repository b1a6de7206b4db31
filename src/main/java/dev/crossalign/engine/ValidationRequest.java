package dev.crossalign.engine;

import dev.crossalign.CrossalignException;
import dev.crossalign.align.Tolerance;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.tensor.HostTensor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One validation to run: which model (null path = the embedded demo), which backends (reference first: tflite), how to
 * compare, and the inputs (user tensors by input name; the rest are generated from the seed).
 */
public record ValidationRequest(
    Path model,
    List<String> backends,
    RunMode mode,
    Device device,
    DeterminismConfig config,
    Map<String, HostTensor> inputs,
    double inputLow,
    double inputHigh,
    Tolerance tolerance,
    double chainedRelL2,
    dev.crossalign.align.InputChecks.ValueRange expectedRange,
    Path exportOnnx,
    int tfliteThreads) {

  /** chained, isolated, or both in one run. */
  public enum RunMode {
    CHAINED,
    ISOLATED,
    BOTH;

    public static RunMode parse(String s) {
      try {
        return valueOf(s.trim().toUpperCase(java.util.Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw CrossalignException.input("bad --mode '" + s + "': expected chained, isolated or both");
      }
    }

    public boolean chained() {
      return this != ISOLATED;
    }

    public boolean isolated() {
      return this != CHAINED;
    }
  }

  public static final List<String> KNOWN_BACKENDS = List.of("tflite", "torch", "onnxruntime");

  public ValidationRequest {
    backends = List.copyOf(backends);
    inputs = Map.copyOf(inputs);
    if (backends.isEmpty() || !backends.get(0).equals("tflite")) {
      throw CrossalignException.input("--backends must start with tflite (the reference), got " + backends);
    }
    for (String b : backends) {
      if (!KNOWN_BACKENDS.contains(b)) {
        throw CrossalignException.input("unknown backend '" + b + "': expected one of " + KNOWN_BACKENDS);
      }
    }
    if (backends.size() < 2) {
      throw CrossalignException.input("--backends needs the reference and at least one candidate, e.g. tflite,torch");
    }
    if (!(inputLow < inputHigh) || !Double.isFinite(inputLow) || !Double.isFinite(inputHigh)) {
      throw CrossalignException.input("input range must be finite with low < high, got " + inputLow + ".." + inputHigh);
    }
  }

  /** The tolerance chained comparisons use: the same bounds plus the accumulated-error budget. */
  public Tolerance chainedTolerance() {
    return chainedRelL2 >= 0 ? tolerance.withRelL2Budget(chainedRelL2) : tolerance;
  }

  public static ValidationRequest defaults(Path model) {
    return new ValidationRequest(
        model,
        List.of("tflite", "torch"),
        RunMode.BOTH,
        Device.CPU,
        DeterminismConfig.DETERMINISTIC,
        Map.of(),
        -1.0,
        1.0,
        Tolerance.DEFAULT,
        1e-4,
        dev.crossalign.align.InputChecks.ValueRange.UNKNOWN,
        null,
        1);
  }
}
