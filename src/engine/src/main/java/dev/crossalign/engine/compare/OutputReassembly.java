package dev.crossalign.engine.compare;

import dev.crossalign.engine.compare.TensorMatch.Method;
import dev.crossalign.tensor.HostTensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ToDoubleBiFunction;

/**
 * Outputs one side returns in parts: an output of A that is the concatenation of several unpaired outputs of B along
 * one axis, or several outputs of A that are slices of one output of B. Parts are placed in the order their values
 * fit best. What stays unpaired goes to the two maps with the reason.
 */
final class OutputReassembly {
  private final MatchState s;

  OutputReassembly(MatchState s) {
    this.s = s;
  }

  void run(Map<String, String> unpairedA, Map<String, String> unpairedB, Map<String, String> throughParts) {
    List<String> restA = new ArrayList<>();
    for (String oa : s.a.outputNames()) {
      if (s.a.get(oa) != null && !s.pairs.containsKey(oa)) {
        restA.add(oa);
      }
    }
    List<String> restB = freeOutputsB();
    concatenations(restA, restB);
    slices(restA, restB);
    List<String> shapesB = restB.stream().map(n -> "'" + n + "' " + Arrays.toString(s.b.tensor(n).shape())).toList();
    for (String oa : restA) {
      unpairedA.put(oa, "model output " + Arrays.toString(s.a.tensor(oa).shape()) + " has no counterpart among "
          + s.b.backend() + "'s outputs (by name; whole, reshaped or permuted; or as parts along an axis)"
          + (shapesB.isEmpty() ? "" : "; unpaired there: " + shapesB));
    }
    if (!s.b.outputNames().isEmpty()) {
      unpairedOutputsB(restB, unpairedB, throughParts);
    }
  }

  /**
   * B's outputs not already standing for an output of A; one paired with an intermediate tensor of A (the parts of a
   * concatenation A does inside its graph) can still be a part.
   */
  private List<String> freeOutputsB() {
    Set<String> usedB = new HashSet<>();
    for (TensorMatch p : s.pairs.values()) {
      if (s.a.outputNames().contains(p.a())) {
        usedB.addAll(p.bTensors());
        if (s.gb != null) {
          p.bTensors().forEach(t -> usedB.add(s.gb.resolve(t)));
        }
      }
    }
    List<String> restB = new ArrayList<>();
    for (String ob : s.outputsB()) {
      if (s.b.get(ob) != null && !usedB.contains(ob) && (s.gb == null || !usedB.contains(s.gb.resolve(ob)))) {
        restB.add(ob);
      }
    }
    return restB;
  }

  /** Each of A's remaining outputs that is B's remaining outputs laid end to end; both lists lose what is paired. */
  private void concatenations(List<String> restA, List<String> restB) {
    for (String oa : new ArrayList<>(restA)) {
      HostTensor ta = s.a.tensor(oa);
      for (int axis = 0; axis < ta.rank() && restA.contains(oa); axis++) {
        Reassembly r = concatOf(ta, axis, restB);
        if (r != null) {
          restB.removeAll(r.parts());
          restA.remove(oa);
          s.pairs.put(oa, new TensorMatch(oa, r.parts().get(0), Method.REASSEMBLED, null, null, r));
          s.pairedB.addAll(r.parts());
        }
      }
    }
  }

  /** Each of B's remaining outputs that several of A's remaining outputs slice; both lists lose what is paired. */
  private void slices(List<String> restA, List<String> restB) {
    for (String ob : new ArrayList<>(restB)) {
      HostTensor tb = s.b.tensor(ob);
      for (int axis = 0; axis < tb.rank() && restB.contains(ob); axis++) {
        Map<String, Reassembly> slices = slicesOf(tb, ob, axis, restA);
        if (slices != null) {
          slices.forEach((oa, r) -> s.pairs.put(oa, new TensorMatch(oa, ob, Method.REASSEMBLED, null, null, r)));
          restA.removeAll(slices.keySet());
          restB.remove(ob);
          s.pairedB.add(ob);
        }
      }
    }
  }

  /**
   * B's remaining outputs, less those that are (a relayout of) a tensor paired with an intermediate of A, and less
   * those B concatenates from such tensors (A returns the parts, B their concatenation: every element of B's output
   * is compared in its parts), which go to {@code throughParts} with how.
   */
  private void unpairedOutputsB(List<String> restB, Map<String, String> unpairedB, Map<String, String> throughParts) {
    Set<String> covered = new HashSet<>(s.pairedB);
    if (s.gb != null) {
      s.pairedB.forEach(t -> covered.add(s.gb.resolve(t)));
    }
    for (String ob : restB) {
      if (covered.contains(ob) || (s.gb != null && covered.contains(s.gb.resolve(ob)))) {
        continue;
      }
      List<String> parts = new ArrayList<>();
      if (s.gb != null && concatOfCompared(ob, covered, parts, 0)) {
        throughParts.put(ob, describeParts(parts));
        continue;
      }
      unpairedB.put(ob, "model output " + Arrays.toString(s.b.tensor(ob).shape()) + " of " + s.b.backend()
          + " has no counterpart among " + s.a.backend() + "'s tensors");
    }
  }

  /**
   * Whether B's tensor {@code t} (through relayouts) is a concatenation, every input of it data and each compared
   * whole ({@code covered}) or itself such a concatenation; the compared parts go to {@code parts}, in order.
   */
  private boolean concatOfCompared(String t, Set<String> covered, List<String> parts, int depth) {
    GraphView.Node n = s.gb.producer(s.gb.resolve(t));
    if (n == null || !"concat".equals(n.kind()) || depth > s.gb.nodes().size() || n.inputs().size() < 2
        || !n.inputs().stream().allMatch(s.gb::isData)) {
      return false;
    }
    for (String in : n.inputs()) {
      if (covered.contains(in) || covered.contains(s.gb.resolve(in))) {
        parts.add(in);
      } else if (!concatOfCompared(in, covered, parts, depth + 1)) {
        return false;
      }
    }
    return true;
  }

  /** "concat of 'p' [shape] + 'q' [shape], compared as A's 'x', 'y'". */
  private String describeParts(List<String> parts) {
    List<String> asA = new ArrayList<>();
    for (String part : parts) {
      String r = s.gb.resolve(part);
      s.pairs.values().stream().filter(p -> p.reassembly() == null)
          .filter(p -> p.b().equals(part) || s.gb.resolve(p.b()).equals(r))
          .min(java.util.Comparator.comparing(p -> p.b().equals(part) ? 0 : 1)).ifPresent(p -> asA.add(p.a()));
    }
    return "concat of " + String.join(" + ", parts.stream().map(p -> "'" + p + "' " + Arrays.toString(s.b.tensor(p)
        .shape())).toList()) + ", compared as the reference's " + String.join(", ", asA.stream()
        .map(a -> "'" + a + "'").toList());
  }

  /** A's output as B's parts laid end to end along {@code axis}, or null. */
  private Reassembly concatOf(HostTensor ta, int axis, List<String> restB) {
    int[] shape = ta.shape();
    Map<String, Integer> extent = new LinkedHashMap<>();
    for (String ob : restB) {
      int e = Reassembly.extentOn(shape, axis, s.b.tensor(ob).shape());
      if (e > 0 && e < shape[axis]) {
        extent.put(ob, e);
      }
    }
    List<Placed> placed = place(extent, shape[axis], (ob, off) -> {
      HostTensor slice = Reassembly.slice(ta, axis, off, extent.get(ob));
      return Alignment.similarity(slice, s.b.tensor(ob).reshape(slice.shape()))[0];
    });
    if (placed == null) {
      return null;
    }
    List<String> parts = placed.stream().map(Placed::name).toList();
    List<Integer> lengths = placed.stream().map(Placed::length).toList();
    return new Reassembly(Reassembly.Kind.CONCAT, axis, parts, lengths, 0, shape[axis]);
  }

  /** Several of A's outputs as slices of B's output {@code ob} along {@code axis} (same rank), or null. */
  private Map<String, Reassembly> slicesOf(HostTensor tb, String ob, int axis, List<String> restA) {
    int[] shape = tb.shape();
    Map<String, Integer> extent = new LinkedHashMap<>();
    for (String oa : restA) {
      int[] sh = s.a.tensor(oa).shape();
      if (sh.length == shape.length && sh[axis] < shape[axis]
          && Arrays.equals(Reassembly.withAxis(sh, axis, shape[axis]), shape)) {
        extent.put(oa, sh[axis]);
      }
    }
    List<Placed> placed = place(extent, shape[axis],
        (oa, off) -> Alignment.similarity(s.a.tensor(oa), Reassembly.slice(tb, axis, off, extent.get(oa)))[0]);
    if (placed == null) {
      return null;
    }
    Map<String, Reassembly> out = new LinkedHashMap<>();
    for (Placed p : placed) {
      out.put(p.name(), new Reassembly(Reassembly.Kind.SLICE, axis, List.of(ob), List.of(p.length()), p.offset(),
          shape[axis]));
    }
    return out;
  }

  /** A part placed along the axis: its name, where it starts and its extent. */
  private record Placed(String name, int offset, int length) {}

  /**
   * Lays parts end to end over {@code total}: at each offset, the unused part that still fits and whose values fit
   * best there ({@code relAt(name, offset)}, rel_l2; NaN counts as worst); null when fewer than two parts could take
   * part or when no part fits at some offset.
   */
  private static List<Placed> place(Map<String, Integer> extent, int total, ToDoubleBiFunction<String, Integer> relAt) {
    if (extent.size() < 2) {
      return null;
    }
    List<Placed> out = new ArrayList<>();
    Set<String> used = new HashSet<>();
    int off = 0;
    while (off < total) {
      String best = null;
      double bestRel = Double.POSITIVE_INFINITY;
      for (Map.Entry<String, Integer> e : extent.entrySet()) {
        if (used.contains(e.getKey()) || e.getValue() > total - off) {
          continue;
        }
        double rel = relAt.applyAsDouble(e.getKey(), off);
        rel = Double.isNaN(rel) ? Double.MAX_VALUE : rel;
        if (best == null || rel < bestRel) {
          best = e.getKey();
          bestRel = rel;
        }
      }
      if (best == null) {
        return null;
      }
      used.add(best);
      out.add(new Placed(best, off, extent.get(best)));
      off += extent.get(best);
    }
    return out;
  }
}
