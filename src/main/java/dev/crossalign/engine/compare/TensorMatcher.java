package dev.crossalign.engine.compare;

import dev.crossalign.backend.Activations;
import dev.crossalign.backend.CapturedTensor;
import dev.crossalign.engine.compare.TensorMatch.Method;
import dev.crossalign.tensor.HostTensor;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Pairs the tensors of two runs of models that compute the same thing but name their tensors differently (or not at
 * all). In order: model inputs (as paired by the caller); (1) equal names with fitting shapes; (2) structure: walking
 * A's graph in topological order, a node whose data inputs (looked at through transposes) are all paired is paired
 * with the unused node of B of the same kind over exactly the paired inputs, and their outputs are paired; (3) value:
 * a still-unpaired tensor of A is paired with the first unpaired tensor of B after the B position of the previous pair
 * (in A's order) whose shape fits and whose values agree (cosine above {@value #VALUE_COSINE}, rel_l2 below
 * {@value #VALUE_REL_L2}), one pair at a time; (2) and (3) alternate while they find pairs, since a value pair
 * re-anchors the structural walk;
 * last, model outputs still unpaired are paired by name, else by position among B's outputs.
 */
final class TensorMatcher {
  static final double VALUE_COSINE = 0.9999;
  static final double VALUE_REL_L2 = 1e-3;

  private final Activations a;
  private final Activations b;
  private final GraphView ga;
  private final GraphView gb;
  private final List<CapturedTensor> listA;
  private final List<CapturedTensor> listB;
  private final Map<String, Integer> posA = new HashMap<>();
  private final Map<String, Integer> posB = new HashMap<>();
  /** Graph-level correspondence, captured or not (virtual pre-activation tensors included). */
  private final Map<String, String> link = new HashMap<>();
  /** Pairs of captured tensors, by A name. */
  private final Map<String, TensorMatch> pairs = new HashMap<>();
  private final Set<String> pairedB = new HashSet<>();
  private final Set<GraphView.Node> usedNodesB = new HashSet<>();
  private final Map<String, Double> norms = new HashMap<>();

  private TensorMatcher(Activations a, GraphView ga, Activations b, GraphView gb) {
    this.a = a;
    this.b = b;
    this.ga = ga;
    this.gb = gb;
    this.listA = a.tensors();
    this.listB = b.tensors();
    for (int i = 0; i < listA.size(); i++) {
      posA.put(listA.get(i).name(), i);
    }
    for (int i = 0; i < listB.size(); i++) {
      posB.put(listB.get(i).name(), i);
    }
  }

  /** Every pair of captured tensors, in A's topological order. Graphs may be null (no structural matching). */
  static List<TensorMatch> match(
      Activations a, GraphView ga, Activations b, GraphView gb, List<InputPairing> inputs, boolean useValues) {
    TensorMatcher m = new TensorMatcher(a, ga, b, gb);
    for (InputPairing p : inputs) {
      m.linkTensors(p.a(), p.b(), Method.INPUT);
    }
    m.byName();
    // each round adds a pair or stops, so this ends after at most |A| rounds
    for (int round = 0; round <= a.size(); round++) {
      boolean progress = false;
      if (ga != null && gb != null) {
        while (m.structurePass()) {
          progress = true;
        }
      }
      if (useValues && m.valuePass()) {
        progress = true;
      }
      if (!progress) {
        break;
      }
    }
    m.outputs();
    List<TensorMatch> out = new ArrayList<>(m.pairs.values());
    out.sort(Comparator.comparingInt(t -> m.posA.get(t.a())));
    return out;
  }

  private void byName() {
    for (CapturedTensor ca : listA) {
      CapturedTensor cb = b.get(ca.name());
      if (cb != null && !pairs.containsKey(ca.name())
          && Alignment.compatible(ca.tensor().shape(), cb.tensor().shape())) {
        linkTensors(ca.name(), cb.name(), Method.NAME);
      }
    }
  }

  private boolean structurePass() {
    boolean progress = false;
    for (GraphView.Node na : ga.nodes()) {
      if (na.transparent() || link.keySet().containsAll(na.outputs())) {
        continue;
      }
      List<String> ra = ga.resolvedDataInputs(na);
      if (ra.isEmpty()) {
        continue;
      }
      List<String> rb = new ArrayList<>();
      for (String r : ra) {
        String x = link.get(r);
        if (x == null) {
          rb = null;
          break;
        }
        rb.add(gb.resolve(x));
      }
      if (rb == null) {
        continue;
      }
      rb.sort(null);
      List<GraphView.Node> cands = new ArrayList<>();
      for (GraphView.Node nb : gb.nodes()) {
        if (!usedNodesB.contains(nb) && nb.kind().equals(na.kind()) && nb.outputs().size() == na.outputs().size()
            && gb.resolvedDataInputs(nb).equals(rb)) {
          cands.add(nb);
        }
      }
      GraphView.Node chosen = choose(na, cands);
      if (chosen == null) {
        continue;
      }
      usedNodesB.add(chosen);
      for (int k = 0; k < na.outputs().size(); k++) {
        linkTensors(na.outputs().get(k), chosen.outputs().get(k), Method.STRUCTURE);
      }
      progress = true;
    }
    return progress;
  }

  /**
   * One candidate: it. Several (parallel branches of one kind over the same inputs): those whose first output fits
   * A's shape, then the one whose values are closest; null when nothing tells them apart.
   */
  private GraphView.Node choose(GraphView.Node na, List<GraphView.Node> cands) {
    if (cands.size() <= 1) {
      return cands.isEmpty() ? null : cands.get(0);
    }
    String outA = na.outputs().get(0);
    if (outA.endsWith(GraphView.PRE_ACTIVATION)) {
      outA = outA.substring(0, outA.length() - GraphView.PRE_ACTIVATION.length());
    }
    HostTensor ta = a.tensor(outA);
    if (ta == null) {
      return null;
    }
    GraphView.Node best = null;
    double bestRel = Double.POSITIVE_INFINITY;
    for (GraphView.Node nb : cands) {
      HostTensor tb = b.tensor(nb.outputs().get(0));
      if (tb == null) {
        continue;
      }
      Alignment.Aligned al = Alignment.align(ta, tb);
      if (al != null && !Double.isNaN(al.relL2()) && al.relL2() < bestRel) {
        bestRel = al.relL2();
        best = nb;
      }
    }
    return best;
  }

  private boolean valuePass() {
    for (int i = 0; i < listA.size(); i++) {
      CapturedTensor ca = listA.get(i);
      if (pairs.containsKey(ca.name()) || "INPUT".equals(ca.op()) || (ga != null && !ga.isData(ca.name()))) {
        continue;
      }
      int lowB = -1;
      for (int j = i - 1; j >= 0; j--) {
        TensorMatch prev = pairs.get(listA.get(j).name());
        if (prev != null) {
          lowB = posB.get(prev.b());
          break;
        }
      }
      HostTensor ta = ca.tensor();
      double na = norms.computeIfAbsent("a:" + ca.name(), k -> Alignment.norm(ta));
      for (int j = lowB + 1; j < listB.size(); j++) {
        CapturedTensor cb = listB.get(j);
        if (pairedB.contains(cb.name()) || "INPUT".equals(cb.op()) || (gb != null && !gb.isData(cb.name()))
            || cb.tensor().numel() != ta.numel() || !Alignment.compatible(ta.shape(), cb.tensor().shape())) {
          continue;
        }
        double nb = norms.computeIfAbsent("b:" + cb.name(), k -> Alignment.norm(cb.tensor()));
        if (Math.abs(na - nb) > VALUE_REL_L2 * Math.max(na, 1e-30)) {
          continue; // ||a - b|| >= | ||a|| - ||b|| |: rel_l2 cannot be small enough
        }
        Alignment.Aligned al = Alignment.align(ta, cb.tensor());
        if (al != null && al.cosine() > VALUE_COSINE && al.relL2() < VALUE_REL_L2) {
          link.putIfAbsent(ca.name(), cb.name());
          record(ca.name(), cb.name(), Method.VALUE, al);
          return true; // one at a time: the structural walk gets the first go from the new anchor
        }
      }
    }
    return false;
  }

  private void outputs() {
    List<String> outsB = b.outputNames().isEmpty() ? listB.stream().map(CapturedTensor::name).toList()
        : b.outputNames();
    List<String> outsA = a.outputNames();
    for (int i = 0; i < outsA.size(); i++) {
      String oa = outsA.get(i);
      CapturedTensor ca = a.get(oa);
      if (ca == null || pairs.containsKey(oa)) {
        continue;
      }
      CapturedTensor same = b.get(oa);
      if (same != null && Alignment.compatible(ca.tensor().shape(), same.tensor().shape())) {
        linkTensors(oa, oa, Method.NAME);
        continue;
      }
      List<String> order = new ArrayList<>();
      if (outsA.size() == outsB.size()) {
        order.add(outsB.get(i));
      }
      order.addAll(outsB);
      for (String ob : order) {
        CapturedTensor cb = b.get(ob);
        if (cb != null && !pairedB.contains(ob) && Alignment.compatible(ca.tensor().shape(), cb.tensor().shape())) {
          linkTensors(oa, ob, Method.OUTPUT_ORDER);
          break;
        }
      }
    }
  }

  /** Links two graph tensors; when A's is captured, pairs it with B's or, through B's transposes, a fitting one. */
  private void linkTensors(String ta, String tb, Method method) {
    link.putIfAbsent(ta, tb);
    CapturedTensor ca = a.get(ta);
    if (ca == null || pairs.containsKey(ta)) {
      return;
    }
    String target = comparable(ca.tensor(), tb, 0);
    if (target == null) {
      return;
    }
    Alignment.Aligned al = Alignment.align(ca.tensor(), b.tensor(target));
    if (al != null) {
      record(ta, target, method, al);
    }
  }

  private String comparable(HostTensor ta, String tb, int depth) {
    CapturedTensor cb = b.get(tb);
    if (cb != null && Alignment.compatible(ta.shape(), cb.tensor().shape())) {
      return tb;
    }
    if (gb == null || depth >= 3) {
      return null;
    }
    for (GraphView.Node n : gb.consumers(tb)) {
      if (n.transparent() && n.outputs().size() == 1) {
        String r = comparable(ta, n.outputs().get(0), depth + 1);
        if (r != null) {
          return r;
        }
      }
    }
    return null;
  }

  private void record(String ta, String tb, Method method, Alignment.Aligned al) {
    pairs.put(ta, new TensorMatch(ta, tb, method, al.permutationList()));
    pairedB.add(tb);
  }

  /** The aligned B tensor of a pair (recomputed: pairs keep no tensor data). */
  static Alignment.Aligned aligned(Activations a, Activations b, TensorMatch m) {
    HostTensor ta = a.tensor(m.a());
    HostTensor tb = b.tensor(m.b());
    if (m.permutation() == null) {
      return new Alignment.Aligned(tb.reshape(ta.shape()).withLayout(ta.layout()), null, Double.NaN, Double.NaN);
    }
    int[] p = m.permutation().stream().mapToInt(Integer::intValue).toArray();
    return new Alignment.Aligned(tb.permute(p, ta.layout()), p, Double.NaN, Double.NaN);
  }
}
