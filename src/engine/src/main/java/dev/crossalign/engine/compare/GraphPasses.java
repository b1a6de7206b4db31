package dev.crossalign.engine.compare;

import dev.crossalign.backend.CapturedTensor;
import dev.crossalign.engine.compare.TensorMatch.Method;
import dev.crossalign.tensor.HostTensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The structural passes of {@link TensorMatcher}, walking the reference's graph from what is already linked: a node
 * whose data inputs are all linked is paired with the unused candidate node of its kind over exactly those inputs
 * (structure); a transpose, reshape or squeeze follows its source (relayout); when both stall, {@link RegionPass}.
 */
final class GraphPasses {
  private final MatchState s;
  private final GraphView ga;
  private final GraphView gb;
  /** B's nodes paired so far, each with the A node it was paired with. */
  private final Map<GraphView.Node, GraphView.Node> usedNodesB = new LinkedHashMap<>();
  private final RegionPass region;

  GraphPasses(MatchState s) {
    this.s = s;
    this.ga = s.ga;
    this.gb = s.gb;
    this.region = new RegionPass(s);
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
        p = region.run();
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
        rb = s.linkedInB(ga.dataInputsThroughPad(na));
        padOfA = rb != null;
      }
      if (rb == null) {
        continue;
      }
      Choice chosen = choose(na, candidateNodes(na, rb));
      if (chosen == null) {
        chosen = twin(na, rb);
      }
      if (chosen == null) {
        continue;
      }
      if (padOfA) {
        padsFoldedInto(na, chosen.node());
      }
      usedNodesB.putIfAbsent(chosen.node(), na);
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
      if (!usedNodesB.containsKey(nb) && nb.kind().equals(na.kind()) && nb.outputs().size() == na.outputs().size()
          && gb.resolvedDataInputs(nb).equals(rb)) {
        cands.add(nb);
      }
    }
    if (cands.isEmpty() && OpKinds.PADDED_WINDOW.contains(na.kind())) {
      // a hand port's explicit pad before a conv or pool that TFLite pads itself (TF SAME): the pad is the window's
      for (GraphView.Node nb : gb.nodes()) {
        if (!usedNodesB.containsKey(nb) && nb.kind().equals(na.kind()) && nb.outputs().size() == na.outputs().size()
            && gb.dataInputsThroughPad(nb).equals(rb)) {
          cands.add(nb);
        }
      }
    }
    return cands;
  }

  /** B's tensors for the node's resolved data inputs, sorted; null when some input is not linked yet. */
  private List<String> linkedInputs(GraphView.Node na) {
    return s.linkedInB(ga.resolvedDataInputs(na));
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

  /** The node's output as captured (a TFLite op with a fused activation: the activation's). */
  private static String capturedOutput(GraphView.Node na) {
    String outA = na.outputs().get(0);
    return outA.endsWith(GraphView.PRE_ACTIVATION)
        ? outA.substring(0, outA.length() - GraphView.PRE_ACTIVATION.length()) : outA;
  }

  /**
   * A duplicate op the candidate computes once (torch.onnx's export merges two identical max_pool2d calls): B's node
   * already paired with a twin of {@code na} (same op over the same inputs), when its values agree with na's within
   * the value-matching bound; else null.
   */
  private Choice twin(GraphView.Node na, List<String> rb) {
    for (Map.Entry<GraphView.Node, GraphView.Node> e : usedNodesB.entrySet()) {
      GraphView.Node nb = e.getKey();
      GraphView.Node other = e.getValue();
      if (na.outputs().size() != 1 || nb.outputs().size() != 1 || !other.op().equals(na.op())
          || !ga.resolvedDataInputs(other).equals(ga.resolvedDataInputs(na)) || !gb.resolvedDataInputs(nb).equals(rb)) {
        continue;
      }
      HostTensor ta = s.a.tensor(capturedOutput(na));
      HostTensor tb = s.b.tensor(nb.outputs().get(0));
      Alignment.Aligned al = ta == null || tb == null ? null : Alignment.align(ta, tb);
      if (al != null && al.relL2() <= TensorMatcher.VALUE_REL_L2) {
        return new Choice(nb, null);
      }
    }
    return null;
  }

  /**
   * One candidate: it. Several (parallel branches of one kind over the same inputs): the one whose values are
   * closest, with its margin over the next; null when nothing tells them apart.
   */
  private Choice choose(GraphView.Node na, List<GraphView.Node> cands) {
    if (cands.size() <= 1) {
      return cands.isEmpty() ? null : new Choice(cands.get(0), null);
    }
    HostTensor ta = s.a.tensor(capturedOutput(na));
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
}
