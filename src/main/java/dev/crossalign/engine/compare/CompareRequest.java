package dev.crossalign.engine.compare;

import dev.crossalign.align.InputChecks;
import dev.crossalign.align.Tolerance;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.tensor.HostTensor;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * What to compare and how.
 *
 * @param a one model: a .tflite, .onnx, TorchScript (.pt, .pth, .torchscript) or .npz file
 * @param b the other: the same kinds; null when {@code torchscript} is given (which side is the reference does not
 *     depend on the order, see {@link Comparer})
 * @param torchscript a TorchScript module (torch.jit.save) as the candidate, or null
 * @param torchscriptLayout how rank-4 inputs are fed to the TorchScript module
 * @param device where ONNX Runtime runs (TFLite runs on the CPU; TorchScript too)
 * @param config seed, threads and determinism switches
 * @param inputs user inputs by name (either model's input names)
 * @param inputLow low end of generated float inputs
 * @param inputHigh high end of generated float inputs
 * @param tolerance per-element tolerance
 * @param relL2Budget a tensor also passes when its rel_l2 is at most this (accumulated float32 error); negative: off
 * @param matchByValue whether the value-fingerprint fallback runs
 * @param tfliteThreads TFLite interpreter threads
 * @param expectedRange the value range the models expect of their inputs: given inputs outside it are flagged
 */
public record CompareRequest(
    Path a,
    Path b,
    Path torchscript,
    TorchScriptLayout torchscriptLayout,
    Device device,
    DeterminismConfig config,
    Map<String, HostTensor> inputs,
    double inputLow,
    double inputHigh,
    Tolerance tolerance,
    double relL2Budget,
    boolean matchByValue,
    int tfliteThreads,
    InputChecks.ValueRange expectedRange) {

  /** How rank-4 inputs are fed to a TorchScript module. */
  public enum TorchScriptLayout {
    /** As A has them; if forward fails, once more with rank-4 NHWC inputs permuted to NCHW. */
    AUTO,
    /** As A has them. */
    AS_IS,
    /** Rank-4 NHWC inputs permuted to NCHW. */
    NCHW
  }

  public CompareRequest {
    Objects.requireNonNull(a, "a");
    if ((b == null) == (torchscript == null)) {
      throw new IllegalArgumentException("exactly one of b and torchscript must be given");
    }
    Objects.requireNonNull(device, "device");
    Objects.requireNonNull(config, "config");
    inputs = Map.copyOf(inputs);
    Objects.requireNonNull(tolerance, "tolerance");
    torchscriptLayout = torchscriptLayout == null ? TorchScriptLayout.AUTO : torchscriptLayout;
    expectedRange = expectedRange == null ? InputChecks.ValueRange.UNKNOWN : expectedRange;
  }

  /** Defaults for tests and callers: seed 0, CPU, inputs in [-1, 1), default tolerance with a 1e-4 rel_l2 budget. */
  public static CompareRequest of(Path a, Path b) {
    return new CompareRequest(a, b, null, TorchScriptLayout.AUTO, Device.CPU, DeterminismConfig.DETERMINISTIC,
        Map.of(), -1, 1, Tolerance.DEFAULT, 1e-4, true, 1, InputChecks.ValueRange.UNKNOWN);
  }

  /** This request with value matching on or off. */
  public CompareRequest withValueMatching(boolean on) {
    return new CompareRequest(a, b, torchscript, torchscriptLayout, device, config, inputs, inputLow, inputHigh,
        tolerance, relL2Budget, on, tfliteThreads, expectedRange);
  }

  /** This request with the two files named the other way round. */
  public CompareRequest swapped() {
    return new CompareRequest(b != null ? b : torchscript, a, null, torchscriptLayout, device, config, inputs, inputLow, inputHigh,
        tolerance, relL2Budget, matchByValue, tfliteThreads, expectedRange);
  }

  /** The tolerance every comparison uses: end to end, so float32 error accumulates as in chained mode. */
  public Tolerance effectiveTolerance() {
    return relL2Budget >= 0 ? tolerance.withRelL2Budget(relL2Budget) : tolerance;
  }
}
