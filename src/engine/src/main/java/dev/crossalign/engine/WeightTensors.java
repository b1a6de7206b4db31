package dev.crossalign.engine;

import dev.crossalign.align.Comparison;
import dev.crossalign.align.Mode;
import dev.crossalign.tflite.Operator;
import dev.crossalign.tflite.Subgraph;
import dev.crossalign.tflite.TfliteModel;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Tensors a model computes from constants only: the outputs of ops whose every input is a constant or another such
 * tensor (DEQUANTIZE of fp16 weights, DENSIFY of sparse ones, a RESHAPE of either). They are weights, not activations:
 * the same in chained and isolated runs, so a report checks them once per pair, under {@link Mode#WEIGHTS}.
 */
final class WeightTensors {
  private WeightTensors() {}

  /** The names of the main subgraph's constant-only tensors, in no particular order. */
  static Set<String> of(TfliteModel model) {
    Subgraph g = model.main();
    Set<Integer> constant = new HashSet<>();
    Set<String> names = new HashSet<>();
    // operators are stored in execution order, so one pass sees every producer before its consumers
    for (Operator op : g.operators()) {
      boolean anyInput = false;
      boolean allConstant = true;
      for (int i : op.inputs()) {
        if (i < 0) {
          continue; // optional input left out
        }
        anyInput = true;
        if (!constant.contains(i) && !model.isConstant(g.tensor(i))) {
          allConstant = false;
          break;
        }
      }
      if (anyInput && allConstant) {
        for (int o : op.outputs()) {
          constant.add(o);
          names.add(g.tensor(o).name());
        }
      }
    }
    return names;
  }

  /**
   * The comparisons with every weight tensor's comparisons of a pair folded into one under {@link Mode#WEIGHTS} (the
   * chained one when there is one, else the first); other comparisons as they were, in the same order.
   */
  static List<Comparison> checkedOnce(List<Comparison> comparisons, Set<String> weights) {
    List<Comparison> out = new ArrayList<>(comparisons.size());
    Set<String> seen = new HashSet<>();
    List<Comparison> sorted = new ArrayList<>(comparisons);
    // chained first, so that the comparison kept for a weight is the chained one where both exist
    sorted.sort(java.util.Comparator.comparing(c -> c.mode() == Mode.CHAINED ? 0 : 1));
    Set<Comparison> kept = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    for (Comparison c : sorted) {
      if (weights.contains(c.name()) && seen.add(c.pair() + "\u0000" + c.name())) {
        kept.add(c);
      }
    }
    for (Comparison c : comparisons) {
      if (!weights.contains(c.name())) {
        out.add(c);
      } else if (kept.contains(c)) {
        out.add(new Comparison(c.name(), c.op(), c.index(), c.shape(), c.pair(), Mode.WEIGHTS, c.metrics(), c.status(),
            c.permutation(), c.detail()));
      }
    }
    return out;
  }
}
