package dev.crossalign.engine.compare;

import dev.crossalign.backend.CapturedTensor;
import dev.crossalign.engine.compare.TensorMatch.Method;
import dev.crossalign.tensor.HostTensor;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The structural passes of {@link TensorMatcher}, walking the reference's graph from what is already linked: a node
 * whose data inputs are all linked is paired with the unused candidate node of its kind over exactly those inputs
 * (structure); a transpose, reshape or squeeze follows its source (relayout); a node of a kind the candidate computes
 * with other ops is paired with the one agreeing tensor downstream of its linked inputs (region).
 */
final class GraphPasses {
  private static final int REGION_DEPTH = 8;

  private final MatchState s;
  private final GraphView ga;
  private final GraphView gb;
  private final Set<GraphView.Node> usedNodesB = new HashSet<>();
  private final Set<String> regionTried = new HashSet<>();

  GraphPasses(MatchState s) {
    this.s = s;
    this.ga = s.ga;
    this.gb = s.gb;
  }

  /**
   * Structure and relayout until neither finds anything, a region pair whenever they stall; whether anything was
   * found. Does nothing without both graphs.
   */
  boolean run() {
    boolean progress = false;
    if (ga == null || gb == null) {
      return false;
    }
    for (int guard = 0; guard <= ga.nodes().size() * 2 + 2; guard++) {
      boolean p = structurePass();
      p |= relayoutPass();
      if (!p) {
        p = regionPass();
      }
      if (!p) {
        break;
      }
      progress = true;
    }
    return progress;
  }

  private boolean structurePass() {
    boolean progress = false;
    for (GraphView.Node na : ga.nodes()) {
      if (na.transparent() || s.link.keySet().containsAll(na.outputs())) {
        continue;
      }
      List<String> rb = linkedInputs(na);
      boolean padOfA = false;
      if (rb == null && OpKinds.PADDED_WINDOW.contains(na.kind())) {
        // the reference's explicit pad (torch.onnx's F.pad) before a conv or pool the candidate pads itself
        rb = linked(ga.dataInputsThroughPad(na));
        padOfA = rb != null;
      }
      if (rb == null) {
        continue;
      }
      Choice chosen = choose(na, candidateNodes(na, rb));
      if (chosen == null) {
        continue;
      }
      if (padOfA) {
        padsFoldedInto(na, chosen.node());
      }
      usedNodesB.add(chosen.node());
      for (int k = 0; k < na.outputs().size(); k++) {
        s.linkTensors(na.outputs().get(k), chosen.node().outputs().get(k), Method.STRUCTURE, chosen.margin());
      }
      if (na.absorbedKinds().equals(chosen.node().absorbedKinds())) {
        for (int k = 0; k < na.absorbed().size(); k++) {
          s.linkTensors(na.absorbed().get(k), chosen.node().absorbed().get(k), Method.STRUCTURE, null);
        }
      }
      progress = true;
    }
    return progress;
  }

  /** B's unused nodes of {@code na}'s kind and output count over exactly the inputs {@code rb}. */
  private List<GraphView.Node> candidateNodes(GraphView.Node na, List<String> rb) {
    List<GraphView.Node> cands = new ArrayList<>();
    for (GraphView.Node nb : gb.nodes()) {
      if (!usedNodesB.contains(nb) && nb.kind().equals(na.kind()) && nb.outputs().size() == na.outputs().size()
          && gb.resolvedDataInputs(nb).equals(rb)) {
        cands.add(nb);
      }
    }
    if (cands.isEmpty() && OpKinds.PADDED_WINDOW.contains(na.kind())) {
      // a hand port's explicit pad before a conv or pool that TFLite pads itself (TF SAME): the pad is the window's
      for (GraphView.Node nb : gb.nodes()) {
        if (!usedNodesB.contains(nb) && nb.kind().equals(na.kind()) && nb.outputs().size() == na.outputs().size()
            && gb.dataInputsThroughPad(nb).equals(rb)) {
          cands.add(nb);
        }
      }
    }
    return cands;
  }

  /** B's tensors for the node's resolved data inputs, sorted; null when some input is not linked yet. */
  private List<String> linkedInputs(GraphView.Node na) {
    return linked(ga.resolvedDataInputs(na));
  }

  /** B's tensors for A's resolved tensors {@code ra}, sorted; null when {@code ra} is empty or not all linked. */
  private List<String> linked(List<String> ra) {
    if (ra.isEmpty()) {
      return null;
    }
    List<String> rb = new ArrayList<>();
    for (String r : ra) {
      String x = s.link.get(r);
      if (x == null) {
        return null;
      }
      rb.add(gb.resolve(x));
    }
    rb.sort(null);
    return rb;
  }

  /**
   * The reference's pads that {@code na} reads, paired through with the candidate's {@code nb}, which pads by
   * itself: each gets that reason, as it has no tensor to be compared with.
   */
  private void padsFoldedInto(GraphView.Node na, GraphView.Node nb) {
    for (String in : na.inputs()) {
      GraphView.Node p = ga.isData(in) ? ga.producer(ga.resolve(in)) : null;
      if (p != null && p.kind().equals("pad")) {
        String why = "a pad the other side does inside its " + nb.op() + " '" + nb.outputs().get(0)
            + "' (its own padding): no tensor of its own to compare";
        p.outputs().forEach(t -> s.noCounterpart.putIfAbsent(t, why));
      }
    }
  }

  private record Choice(GraphView.Node node, Double margin) {}

  /**
   * One candidate: it. Several (parallel branches of one kind over the same inputs): the one whose values are
   * closest, with its margin over the next; null when nothing tells them apart.
   */
  private Choice choose(GraphView.Node na, List<GraphView.Node> cands) {
    if (cands.size() <= 1) {
      return cands.isEmpty() ? null : new Choice(cands.get(0), null);
    }
    String outA = na.outputs().get(0);
    if (outA.endsWith(GraphView.PRE_ACTIVATION)) {
      outA = outA.substring(0, outA.length() - GraphView.PRE_ACTIVATION.length());
    }
    HostTensor ta = s.a.tensor(outA);
    if (ta == null) {
      return null;
    }
    GraphView.Node best = null;
    double bestRel = Double.POSITIVE_INFINITY;
    double second = Double.POSITIVE_INFINITY;
    for (GraphView.Node nb : cands) {
      HostTensor tb = s.b.tensor(nb.outputs().get(0));
      if (tb == null) {
        continue;
      }
      Alignment.Aligned al = Alignment.align(ta, tb);
      if (al == null || Double.isNaN(al.relL2())) {
        continue;
      }
      if (al.relL2() < bestRel) {
        second = bestRel;
        bestRel = al.relL2();
        best = nb;
      } else if (al.relL2() < second) {
        second = al.relL2();
      }
    }
    return best == null ? null : new Choice(best, Candidate.margin(bestRel, second));
  }

  /**
   * A transpose, reshape or squeeze of the reference whose source is paired: paired with the tensor of that shape
   * among the candidate's relayouts of the source's counterpart, else with the counterpart itself when its shape fits.
   */
  private boolean relayoutPass() {
    boolean progress = false;
    for (GraphView.Node na : ga.nodes()) {
      if (!na.transparent() || na.outputs().size() != 1 || s.link.containsKey(na.outputs().get(0))) {
        continue;
      }
      String o = na.outputs().get(0);
      String src = ga.resolve(o);
      String xb = s.link.get(src);
      if (xb == null || src.equals(o)) {
        continue;
      }
      xb = gb.resolve(xb);
      s.link.put(o, xb);
      progress = true;
      CapturedTensor ca = s.a.get(o);
      if (ca == null || s.pairs.containsKey(o)) {
        continue;
      }
      String best = closestRelayout(ca, xb);
      if (best != null) {
        Alignment.Aligned al = Alignment.align(ca.tensor(), s.b.tensor(best));
        s.link.put(o, best);
        s.record(o, best, Method.STRUCTURE, al, null);
      }
    }
    return progress;
  }

  /** Among B's relayouts of {@code xb}: an exact shape first, then the closest values; null when none fits. */
  private String closestRelayout(CapturedTensor ca, String xb) {
    String best = null;
    double bestRel = Double.POSITIVE_INFINITY;
    boolean bestExact = false;
    for (String t : s.relayouts(xb)) {
      HostTensor tb = s.b.tensor(t);
      if (tb == null || !Alignment.compatible(ca.tensor().shape(), tb.shape())) {
        continue;
      }
      boolean exact = Arrays.equals(ca.tensor().shape(), tb.shape());
      Alignment.Aligned al = Alignment.align(ca.tensor(), tb);
      double rel = al == null || Double.isNaN(al.relL2()) ? Double.MAX_VALUE : al.relL2();
      if (best == null || (exact && !bestExact) || (exact == bestExact && rel < bestRel)) {
        best = t;
        bestRel = rel;
        bestExact = exact;
      }
    }
    return best;
  }

  /**
   * A node whose inputs are paired but which no node of its kind over them matches (a decomposed HardSwish, GELU,
   * HardSigmoid, a MatMul+Add for a fully connected layer, ...): among the candidate's tensors downstream of the
   * paired inputs (a few ops deep), the one whose values agree, if it is clearly closer than any other.
   */
  private boolean regionPass() {
    for (GraphView.Node na : ga.nodes()) {
      if (na.transparent() || na.outputs().size() != 1 || s.link.keySet().containsAll(na.outputs())) {
        continue;
      }
      List<String> rb = linkedInputs(na);
      if (rb == null || !regionTried.add(na.position() + "\u0000" + rb + "\u0000" + s.pairedB.size())) {
        continue;
      }
      String out = na.outputs().get(0);
      String target = out;
      if (s.a.get(target) == null) {
        List<GraphView.Node> next = ga.consumers(out);
        if (!out.endsWith(GraphView.PRE_ACTIVATION) || next.size() != 1 || next.get(0).outputs().size() != 1) {
          continue;
        }
        target = next.get(0).outputs().get(0); // a fused activation: the op and its activation together
      }
      CapturedTensor ca = s.a.get(target);
      if (ca == null || s.pairs.containsKey(target)) {
        continue;
      }
      List<Candidate> cs = regionCandidates(ca, rb);
      if (cs.isEmpty() || !cs.get(0).agrees()) {
        continue;
      }
      Double margin = cs.size() > 1 ? Candidate.margin(cs.get(0).rel(), cs.get(1).rel()) : null;
      if (margin != null && margin < TensorMatcher.VALUE_MARGIN) {
        continue;
      }
      String chosen = cs.get(0).b();
      s.link.put(out, chosen);
      s.link.put(target, chosen);
      s.record(target, chosen, Method.REGION, Alignment.align(ca.tensor(), s.b.tensor(chosen)), margin);
      return true;
    }
    return false;
  }

  /** B's unpaired data tensors downstream of {@code rb} that fit A's, best first, one per relayout class. */
  private List<Candidate> regionCandidates(CapturedTensor ca, List<String> rb) {
    Map<String, Candidate> byClass = new HashMap<>();
    for (String t : downstream(rb)) {
      CapturedTensor cb = s.b.get(t);
      if (cb == null || s.pairedB.contains(t) || !gb.isData(t)
          || !Alignment.compatible(ca.tensor().shape(), cb.tensor().shape())) {
        continue;
      }
      Alignment.Aligned al = Alignment.align(ca.tensor(), cb.tensor());
      if (al == null || Double.isNaN(al.relL2())) {
        continue;
      }
      Candidate c = new Candidate(t, al.relL2(), al.cosine(), false);
      byClass.merge(gb.resolve(t), c, (x, y) -> x.rel() <= y.rel() ? x : y);
    }
    List<Candidate> cs = new ArrayList<>(byClass.values());
    cs.sort(Comparator.comparingDouble(Candidate::rel).thenComparing(Candidate::b));
    return cs;
  }

  private List<String> downstream(List<String> from) {
    List<String> out = new ArrayList<>();
    Map<String, Integer> depth = new HashMap<>();
    Deque<String> queue = new ArrayDeque<>();
    for (String f : from) {
      depth.put(f, 0);
      queue.add(f);
    }
    while (!queue.isEmpty()) {
      String t = queue.poll();
      if (depth.get(t) > 0) {
        out.add(t);
      }
      if (depth.get(t) >= REGION_DEPTH) {
        continue;
      }
      for (GraphView.Node n : gb.consumers(t)) {
        for (String o : n.outputs()) {
          if (!depth.containsKey(o)) {
            depth.put(o, depth.get(t) + 1);
            queue.add(o);
          }
        }
      }
    }
    return out;
  }
}
