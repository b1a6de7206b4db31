package dev.crossalign.engine.compare;

import dev.crossalign.backend.CapturedTensor;
import dev.crossalign.engine.compare.TensorMatch.Method;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The region pass of {@link GraphPasses}, for what one side computes with ops the other side's kind table does not
 * pair (a decomposed HardSwish, GELU, HardSigmoid, PReLU, a MatMul+Add for a fully connected layer, ...): a node of
 * the reference whose data inputs are paired, or, when the reference is the side that decomposes, whose unpaired
 * inputs lead back within a few ops to paired tensors (torch's PReLU as GreaterOrEqual, Mul and Where over x), is
 * paired with the one tensor of the candidate downstream of those paired tensors whose values agree, if it is
 * clearly closer than any other. The reference's tensors passed on the way get the reason that the other side
 * computes them inside one op.
 */
final class RegionPass {
  private static final int REGION_DEPTH = 8;

  private final MatchState s;
  private final GraphView ga;
  private final GraphView gb;
  private final Set<String> tried = new HashSet<>();

  RegionPass(MatchState s) {
    this.s = s;
    this.ga = s.ga;
    this.gb = s.gb;
  }

  /** B's counterparts of the paired tensors a node starts from, and A's unpaired tensors between them and it. */
  private record Frontier(List<String> linked, List<String> inner) {}

  /**
   * The node's data inputs when all are paired; else, walking back from the unpaired ones (up to {@value
   * #REGION_DEPTH} ops), the paired tensors every path reaches, with the unpaired ones passed; null when a path ends
   * unpaired (a graph input, or too deep).
   */
  private Frontier frontier(GraphView.Node na) {
    List<String> direct = s.linkedInB(ga.resolvedDataInputs(na));
    if (direct != null) {
      return new Frontier(direct, List.of());
    }
    Set<String> linked = new TreeSet<>();
    List<String> inner = new ArrayList<>();
    Map<String, Integer> depth = new HashMap<>();
    Deque<String> queue = new ArrayDeque<>();
    for (String r : ga.resolvedDataInputs(na)) {
      depth.putIfAbsent(r, 0);
      queue.add(r);
    }
    while (!queue.isEmpty()) {
      String t = queue.poll();
      String x = s.link.get(t);
      if (x != null) {
        linked.add(gb.resolve(x));
        continue;
      }
      GraphView.Node p = ga.producer(t);
      if (p == null || depth.get(t) >= REGION_DEPTH) {
        return null;
      }
      inner.add(t);
      for (String r : ga.resolvedDataInputs(p)) {
        if (!depth.containsKey(r)) {
          depth.put(r, depth.get(t) + 1);
          queue.add(r);
        }
      }
    }
    return linked.isEmpty() ? null : new Frontier(List.copyOf(linked), inner);
  }

  /** Whether a region pair was found (at most one per call: the structural passes go on from it). */
  boolean run() {
    for (GraphView.Node na : ga.nodes()) {
      if (na.transparent() || na.outputs().size() != 1 || s.link.keySet().containsAll(na.outputs())) {
        continue;
      }
      Frontier f = frontier(na);
      if (f == null || !tried.add(na.position() + "\u0000" + f.linked() + "\u0000" + s.pairedB.size())) {
        continue;
      }
      List<String> rb = f.linked();
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
      for (String t : f.inner()) {
        s.noCounterpart.putIfAbsent(t, "inside ops the other side computes as one: '" + target + "' is paired by"
            + " region with its '" + chosen + "'");
      }
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
