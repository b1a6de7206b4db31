package dev.crossalign.align;

import java.util.List;

/**
 * Every backend's error against the float64 truth of each op output (issue 13), as the truth lab measured it and as
 * validate's reports carry it: per op output its float32 floor, its derived bound and each backend's error, factors
 * and minimum fixed tolerance; per backend its worst tensor; the run's verdict under the derived bounds
 * ({@link Auto}); the minimum fixed tolerance per backend; the ranked hypotheses of failing tensors; notes.
 */
public record TruthTable(List<Row> rows, List<BackendSummary> backends, Auto auto, List<RunTolerance> minTolerance,
    List<Diagnosis> diagnoses, List<String> notes) {

  public TruthTable {
    rows = List.copyOf(rows);
    backends = List.copyOf(backends);
    minTolerance = List.copyOf(minTolerance);
    diagnoses = List.copyOf(diagnoses);
    notes = List.copyOf(notes);
  }

  /**
   * One backend's error on one tensor: against the truth, in times the float32 rounding floor, in times the derived
   * bound ({@code boundFactor}, NaN without a bound; above 1 is outside it) and in times the bound widened by the
   * backend's documented {@code allowance} ({@code allowedFactor}; equal to boundFactor without one), and the
   * smallest fixed tolerance at which it would pass against the reference ({@code minTolerance}).
   */
  public record BackendError(String backend, TruthError error, double floorFactor, double boundFactor,
      double allowedFactor, String allowance, MinTolerance minTolerance) {
    public BackendError(String backend, TruthError error, double floorFactor) {
      this(backend, error, floorFactor, Double.NaN, Double.NaN, null, MinTolerance.ZERO);
    }

    /** Within its bound (and allowance); true without a bound. */
    public boolean within() {
      return !(allowedFactor > 1);
    }
  }

  /**
   * One op output: how its error is read ({@link ErrorMeasure}), its float32 floor, its derived bound (null when no
   * rule covers the op), each backend's error against the truth, the backend furthest from it (null when all are
   * exact), and whether every backend is within its bound ({@code pass}; true without a bound).
   */
  public record Row(String tensor, String op, int[] shape, ErrorMeasure measure, TruthError floor, Bound.Summary bound,
      List<BackendError> errors, String furthest, boolean pass) {}

  /** A backend outside the derived bound of a tensor, by how many times. */
  public record Failure(String tensor, String op, String backend, double factor) {}

  /**
   * The run under {@code --tolerance auto}: ALIGNED when every bounded tensor has every backend within its bound;
   * {@code unbounded} lists the op outputs no rule covers (judged by nothing, said so), {@code failures} the rest,
   * worst first, {@code firstFailure} the earliest in the graph's order.
   */
  public record Auto(boolean aligned, int bounded, List<String> unbounded, List<Failure> failures,
      Failure firstFailure) {}

  /** Per backend against the reference, the smallest fixed tolerance at which every tensor would pass. */
  public record RunTolerance(String backend, MinTolerance minTolerance, String atolTensor, String rtolTensor) {}

  /**
   * Per backend over the whole model: its tensors, on how many it is the furthest, its worst tensor by floor factor,
   * that tensor's error and floor factor, and its largest allowed factor over any bounded tensor (NaN when none).
   */
  public record BackendSummary(String backend, int tensors, int furthestCount, String worstTensor, String worstOp,
      double worstError, double worstFloorFactor, double worstBoundFactor, String worstBoundTensor) {}

  /** The backend with the largest floor factor anywhere, or null with no rows. */
  public BackendSummary furthest() {
    BackendSummary best = null;
    for (BackendSummary b : backends) {
      if (best == null || b.worstFloorFactor() > best.worstFloorFactor()) {
        best = b;
      }
    }
    return best;
  }

  /** The diagnosis of (tensor, backend), or null when it was not diagnosed. */
  public Diagnosis diagnosisOf(String tensor, String backend) {
    for (Diagnosis d : diagnoses) {
      if (d.tensor().equals(tensor) && d.backend().equals(backend)) {
        return d;
      }
    }
    return null;
  }
}
