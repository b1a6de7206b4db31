package dev.crossalign.align;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One reference tensor against one candidate tensor, for one backend pair and one mode.
 *
 * @param name the reference tensor's name
 * @param op the op that produced it in the reference ("INPUT" for graph inputs)
 * @param index its topological position in the reference graph (-1 when it has none)
 * @param shape the reference tensor's shape
 * @param pair "reference~candidate" backend names, e.g. "tflite~torch"
 * @param mode chained or isolated
 * @param metrics the numbers; null unless {@code status} is COMPARED
 * @param status whether the tensors could be compared
 * @param permutation the permutation applied to the candidate (torch.permute style), null when taken as is or not
 *     compared
 * @param detail why the tensors could not be compared (null when COMPARED)
 */
public record Comparison(
    String name,
    String op,
    int index,
    List<Integer> shape,
    String pair,
    Mode mode,
    Metrics metrics,
    Status status,
    List<Integer> permutation,
    String detail) {

  /** Whether a comparison could be made. */
  public enum Status {
    /** Both tensors exist and line up: {@code metrics} holds the numbers. */
    COMPARED,
    /** Both exist, but no axis permutation makes the candidate's shape the reference's. */
    SHAPE_MISMATCH,
    /** The candidate lacks a model output the reference has. */
    MISSING;

    public String jsonName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public Comparison {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(op, "op");
    shape = List.copyOf(Objects.requireNonNull(shape, "shape"));
    Objects.requireNonNull(pair, "pair");
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(status, "status");
    if ((status == Status.COMPARED) != (metrics != null)) {
      throw new IllegalArgumentException("metrics must be present exactly when status is COMPARED, status " + status);
    }
    permutation = permutation == null ? null : List.copyOf(permutation);
  }

  /** Compared and within tolerance. A shape mismatch or a missing output does not pass. */
  public boolean passed() {
    return status == Status.COMPARED && metrics.pass();
  }
}
