package dev.crossalign.align;

import dev.crossalign.backend.Activations;
import dev.crossalign.backend.CapturedTensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** Matches two backend runs tensor by tensor and measures each pair. */
public final class Aligner {
  private Aligner() {}

  /** The pair label of a reference and a candidate run: "tflite~torch". */
  public static String pair(Activations ref, Activations cand) {
    return ref.backend() + "~" + cand.backend();
  }

  /**
   * One comparison for every tensor both runs hold by name, in the reference's (topological) order, integer tensors
   * included (compared as doubles, so exactly up to 2^53). A model output of the reference that the candidate lacks
   * gives a MISSING comparison; other tensors the candidate lacks (fused away, never captured) are left out. Shapes
   * that no permutation reconciles give SHAPE_MISMATCH, never an exception.
   */
  public static List<Comparison> compare(Activations ref, Activations cand, Mode mode, Tolerance tol) {
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(tol, "tol");
    String pair = pair(ref, cand);
    List<String> outputs = ref.outputNames();
    List<Comparison> out = new ArrayList<>();
    for (CapturedTensor r : ref.tensors()) {
      CapturedTensor c = cand.get(r.name());
      if (c == null) {
        if (outputs.contains(r.name())) {
          out.add(missing(r, pair, mode, cand.backend()));
        }
        continue;
      }
      out.add(compareOne(r, c, pair, mode, tol));
    }
    return out;
  }

  /**
   * One pair of tensors of the same name: aligned (layouts, size-1 axes) and measured, or SHAPE_MISMATCH. Thread-safe
   * (it reads both tensors, writes nothing), so comparisons may run on other threads while a backend runs.
   */
  public static Comparison compareOne(CapturedTensor r, CapturedTensor c, String pair, Mode mode, Tolerance tol) {
    return compareOne(r, c, pair, mode, tol, null);
  }

  /**
   * As {@link #compareOne(CapturedTensor, CapturedTensor, String, Mode, Tolerance)}, with {@code r}'s own statistics
   * taken from (or, on its first comparison, kept in) {@code held} when {@code r} is that run's tensor; null: none.
   */
  public static Comparison compareOne(CapturedTensor r, CapturedTensor c, String pair, Mode mode, Tolerance tol,
      ReferenceStats held) {
    List<Integer> shape = toList(r.tensor().shape());
    LayoutAligner.Result aligned = LayoutAligner.match(r.tensor(), c.tensor());
    if (aligned instanceof LayoutAligner.Matched m) {
      Metrics metrics = held == null
          ? Metrics.of(r.tensor(), m.candidate(), m.permutation(), tol, false)
          : Metrics.of(r.tensor(), m.candidate(), m.permutation(), tol, false, held.get(r), s -> held.put(r, s));
      return new Comparison(r.name(), r.op(), r.index(), shape, pair, mode, metrics, Comparison.Status.COMPARED,
          m.permutation(), null);
    }
    LayoutAligner.Mismatch mm = (LayoutAligner.Mismatch) aligned;
    return new Comparison(r.name(), r.op(), r.index(), shape, pair, mode, null, Comparison.Status.SHAPE_MISMATCH,
        null, mm.reason());
  }

  /** The MISSING comparison of a model output {@code r} that the {@code candidateBackend} run does not hold. */
  public static Comparison missing(CapturedTensor r, String pair, Mode mode, String candidateBackend) {
    return new Comparison(r.name(), r.op(), r.index(), toList(r.tensor().shape()), pair, mode, null,
        Comparison.Status.MISSING, null, "model output '" + r.name() + "' is not in the " + candidateBackend + " run");
  }

  /**
   * MISSING comparisons for every model output of {@code ref}, for a candidate backend that produced no run at all
   * (it could not load or run the model). Adding these keeps such a pair from silently dropping out of the verdict:
   * with an unsupported op listed they make it INCOMPLETE, without one MISALIGNED.
   */
  public static List<Comparison> missingOutputs(Activations ref, String candidateBackend, Mode mode, String reason) {
    Objects.requireNonNull(reason, "reason");
    String pair = ref.backend() + "~" + candidateBackend;
    List<Comparison> out = new ArrayList<>();
    for (String o : ref.outputNames()) {
      CapturedTensor r = ref.get(o);
      if (r == null) {
        throw new IllegalArgumentException("reference run lists output '" + o + "' but holds no tensor of that name");
      }
      out.add(new Comparison(r.name(), r.op(), r.index(), toList(r.tensor().shape()), pair, mode, null,
          Comparison.Status.MISSING, null, reason));
    }
    return out;
  }

  static List<Integer> toList(int[] a) {
    List<Integer> l = new ArrayList<>(a.length);
    for (int v : a) {
      l.add(v);
    }
    return l;
  }
}
