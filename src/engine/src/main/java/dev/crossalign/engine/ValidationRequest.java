package dev.crossalign.engine;

import dev.crossalign.CrossalignException;
import dev.crossalign.align.Tolerance;
import dev.crossalign.backend.BackendKind;
import dev.crossalign.tensor.HostTensor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One validation to run: which model (null path = the embedded demo), which backends (reference first: tflite), in
 * which mode, and how ({@link RunSpec}: device, config, inputs, tolerance; its rel_l2 budget is the chained one),
 * and whether the float64 truth of every op is computed for the reports ({@link Truth}).
 */
public record ValidationRequest(Path model, List<BackendKind> backends, RunMode mode, RunSpec run, Path exportOnnx,
    Truth truth) implements WithRunSpec {

  /**
   * The float64 truth in a validation (engine/truth): OFF (the default: not computed, the run costs nothing more);
   * REPORT (--truth: computed after the legs and written into the reports, the fixed tolerance decides); AUTO
   * (--tolerance auto: the same, and its verdict under the derived bounds decides the exit status).
   */
  public enum Truth { OFF, REPORT, AUTO }

  /** A request without the float64 truth. */
  public ValidationRequest(Path model, List<BackendKind> backends, RunMode mode, RunSpec run, Path exportOnnx) {
    this(model, backends, mode, run, exportOnnx, Truth.OFF);
  }

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

  /** The reference every validation compares against. */
  public static final BackendKind REFERENCE = BackendKind.TFLITE;

  public ValidationRequest {
    backends = List.copyOf(backends);
    java.util.Objects.requireNonNull(mode, "mode");
    java.util.Objects.requireNonNull(run, "run");
    truth = truth == null ? Truth.OFF : truth;
    if (backends.isEmpty() || backends.get(0) != REFERENCE) {
      throw CrossalignException.input("--backends must start with " + REFERENCE.id() + " (the reference), got "
          + backends);
    }
    for (BackendKind b : backends) {
      if (!b.serves(BackendKind.Use.VALIDATE)) {
        throw CrossalignException.input("unknown backend '" + b.id() + "': expected one of "
            + BackendKind.idsServing(BackendKind.Use.VALIDATE));
      }
    }
    if (backends.contains(BackendKind.TORCH) && backends.contains(BackendKind.TORCH_XNNPACK)) {
      throw CrossalignException.input("--backends names " + BackendKind.TORCH.id() + " and "
          + BackendKind.TORCH_XNNPACK.id() + ": one validate runs one of them (run it once for each)");
    }
    if (backends.contains(BackendKind.TORCH_XNNPACK) && mode.isolated()) {
      throw CrossalignException.input(BackendKind.TORCH_XNNPACK.id() + " runs chained only (its isolated runs would"
          + " be the per-op aten port): add --mode chained");
    }
    if (backends.size() < 2) {
      throw CrossalignException.input("--backends needs the reference and at least one candidate, e.g. "
          + REFERENCE.id() + "," + BackendKind.TORCH.id());
    }
  }

  /**
   * The port backend the request names: torch, torch-xnnpack (the same generated module on XNNPACK's kernels, chained
   * runs only), or null for neither.
   */
  public BackendKind portKind() {
    return runs(BackendKind.TORCH_XNNPACK) ? BackendKind.TORCH_XNNPACK : runs(BackendKind.TORCH) ? BackendKind.TORCH
        : null;
  }

  /** Whether {@code kind} is one of the backends. */
  public boolean runs(BackendKind kind) {
    return backends.contains(kind);
  }

  /** The tolerance chained comparisons use: the same bounds plus the accumulated-error budget. */
  public Tolerance chainedTolerance() {
    return run.budgetedTolerance();
  }

  /** This request with {@code in} as the user inputs. */
  public ValidationRequest withInputs(Map<String, HostTensor> in) {
    return new ValidationRequest(model, backends, mode, run.withInputs(in), exportOnnx, truth);
  }

  /** This request with {@code t} as its truth mode. */
  public ValidationRequest withTruth(Truth t) {
    return new ValidationRequest(model, backends, mode, run, exportOnnx, t);
  }

  public double chainedRelL2() {
    return run.relL2Budget();
  }

  public static ValidationRequest defaults(Path model) {
    return new ValidationRequest(model, List.of(REFERENCE, BackendKind.TORCH), RunMode.BOTH, RunSpec.DEFAULT, null);
  }
}
