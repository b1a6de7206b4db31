package dev.crossalign.engine;

import dev.crossalign.CrossalignException;
import dev.crossalign.align.InputChecks;
import dev.crossalign.align.Tolerance;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.tensor.HostTensor;
import java.util.Map;
import java.util.Objects;

/**
 * How a model is run and judged, shared by every use case's request (validate, compare, bench, batch): the same
 * components, parsed once by the CLI's run-spec options.
 *
 * @param device where torch and ONNX Runtime compute (TFLite computes on the CPU)
 * @param config seed, intra-op threads and determinism switches
 * @param inputs user inputs by input name; the others are generated from the seed
 * @param inputRange the range of generated float inputs
 * @param tolerance per-element tolerance
 * @param relL2Budget a tensor also passes when its rel_l2 is at most this (accumulated float32 error); negative: off
 * @param expectedRange the value range the model expects of its inputs: given inputs outside it are flagged
 * @param tfliteThreads TFLite interpreter threads
 */
public record RunSpec(
    Device device,
    DeterminismConfig config,
    Map<String, HostTensor> inputs,
    InputRange inputRange,
    Tolerance tolerance,
    double relL2Budget,
    InputChecks.ValueRange expectedRange,
    int tfliteThreads) {

  /** The range of generated float inputs: finite, low below high. */
  public record InputRange(double low, double high) {
    public static final InputRange DEFAULT = new InputRange(-1, 1);

    public InputRange {
      if (!(low < high) || !Double.isFinite(low) || !Double.isFinite(high)) {
        throw CrossalignException.input("input range must be finite with low < high, got " + low + ".." + high);
      }
    }

    @Override
    public String toString() {
      return low + "," + high;
    }
  }

  /** CPU, the deterministic profile (seed 0, one thread), inputs in [-1, 1), default tolerance, rel_l2 budget 1e-4. */
  public static final RunSpec DEFAULT = new RunSpec(Device.CPU, DeterminismConfig.DETERMINISTIC, Map.of(),
      InputRange.DEFAULT, Tolerance.DEFAULT, 1e-4, InputChecks.ValueRange.UNKNOWN, 1);

  public RunSpec {
    Objects.requireNonNull(device, "device");
    Objects.requireNonNull(config, "config");
    inputs = Map.copyOf(inputs);
    Objects.requireNonNull(inputRange, "inputRange");
    Objects.requireNonNull(tolerance, "tolerance");
    expectedRange = expectedRange == null ? InputChecks.ValueRange.UNKNOWN : expectedRange;
  }

  /** {@link #DEFAULT} on {@code device} with {@code seed} and {@code threads} for every backend. */
  public static RunSpec of(Device device, long seed, int threads) {
    return DEFAULT.withDevice(device).withConfig(DEFAULT.config.withSeed(seed).withIntraOpThreads(threads))
        .withTfliteThreads(threads);
  }

  /** The tolerance end-to-end comparisons use: the same bounds plus the accumulated-error budget. */
  public Tolerance budgetedTolerance() {
    return relL2Budget >= 0 ? tolerance.withRelL2Budget(relL2Budget) : tolerance;
  }

  public RunSpec withDevice(Device d) {
    return new RunSpec(d, config, inputs, inputRange, tolerance, relL2Budget, expectedRange, tfliteThreads);
  }

  public RunSpec withConfig(DeterminismConfig c) {
    return new RunSpec(device, c, inputs, inputRange, tolerance, relL2Budget, expectedRange, tfliteThreads);
  }

  public RunSpec withInputs(Map<String, HostTensor> in) {
    return new RunSpec(device, config, in, inputRange, tolerance, relL2Budget, expectedRange, tfliteThreads);
  }

  public RunSpec withInputRange(InputRange r) {
    return new RunSpec(device, config, inputs, r, tolerance, relL2Budget, expectedRange, tfliteThreads);
  }

  public RunSpec withTolerance(Tolerance t) {
    return new RunSpec(device, config, inputs, inputRange, t, relL2Budget, expectedRange, tfliteThreads);
  }

  public RunSpec withRelL2Budget(double budget) {
    return new RunSpec(device, config, inputs, inputRange, tolerance, budget, expectedRange, tfliteThreads);
  }

  public RunSpec withExpectedRange(InputChecks.ValueRange r) {
    return new RunSpec(device, config, inputs, inputRange, tolerance, relL2Budget, r, tfliteThreads);
  }

  public RunSpec withTfliteThreads(int n) {
    return new RunSpec(device, config, inputs, inputRange, tolerance, relL2Budget, expectedRange, n);
  }
}
