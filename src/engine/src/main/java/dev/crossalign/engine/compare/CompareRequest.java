package dev.crossalign.engine.compare;

import dev.crossalign.engine.WithRunSpec;

import dev.crossalign.align.Tolerance;
import dev.crossalign.engine.RunSpec;
import java.nio.file.Path;
import java.util.Objects;

/**
 * What to compare and how.
 *
 * @param a one model: a .tflite, .onnx, TorchScript (.pt, .pth, .torchscript) or .npz file
 * @param b the other: the same kinds; null when {@code torchscript} is given (which side is the reference does not
 *     depend on the order, see {@link Comparer})
 * @param torchscript a TorchScript module (torch.jit.save) as the candidate, or null
 * @param torchscriptLayout how rank-4 inputs are fed to the TorchScript module
 * @param run device (where ONNX Runtime runs; TFLite and TorchScript run on the CPU), config, inputs (by either
 *     model's input names), generated-input range, tolerance with its rel_l2 budget, TFLite threads, expected range
 * @param matchByValue whether the value-fingerprint fallback runs
 */
public record CompareRequest(
    Path a, Path b, Path torchscript, TorchScriptLayout torchscriptLayout, RunSpec run, boolean matchByValue)
    implements WithRunSpec {

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
    Objects.requireNonNull(run, "run");
    torchscriptLayout = torchscriptLayout == null ? TorchScriptLayout.AUTO : torchscriptLayout;
  }

  /** Defaults for tests and callers: seed 0, CPU, inputs in [-1, 1), default tolerance with a 1e-4 rel_l2 budget. */
  public static CompareRequest of(Path a, Path b) {
    return new CompareRequest(a, b, null, TorchScriptLayout.AUTO, RunSpec.DEFAULT, true);
  }

  /** This request with value matching on or off. */
  public CompareRequest withValueMatching(boolean on) {
    return new CompareRequest(a, b, torchscript, torchscriptLayout, run, on);
  }

  /** This request with the two files named the other way round. */
  public CompareRequest swapped() {
    return new CompareRequest(b != null ? b : torchscript, a, null, torchscriptLayout, run, matchByValue);
  }

  /** The tolerance every comparison uses: end to end, so float32 error accumulates as in chained mode. */
  public Tolerance effectiveTolerance() {
    return run.budgetedTolerance();
  }
}
