package dev.crossalign.engine.compare;

import dev.crossalign.backend.Activations;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Pairs the tensors of two runs of models that compute the same thing but name their tensors differently (or not at
 * all). In order: model inputs (as paired by the caller); (1) equal names with fitting shapes, then names equal once
 * torch.onnx's spelling ("/layer1/conv/Conv_output_0") is undone; (2) structure: walking the reference's graph, a node
 * whose data inputs (looked at through transposes and reshapes) are all paired is paired with the unused node of the
 * candidate of the same kind over exactly the paired inputs; a relayout (transpose, reshape, squeeze) is paired with
 * the candidate's tensor of that shape among the relayouts of its paired input; a node with paired inputs and no node
 * of its kind over them (an idiom the kind table does not know) is paired with the one tensor downstream of those
 * inputs whose values agree, clearly closer than the next ({@link Method#REGION}); (3) value: a still-unpaired tensor is
 * paired with the tensor of the whole other graph that agrees best, when that one is clearly (by {@value
 * #VALUE_MARGIN}x) closer than the next best; (2) and (3) alternate while they find pairs; last, model outputs still
 * unpaired are paired by name, by position and shape (reshaped or permuted as needed), or reassembled: a
 * concatenation of several outputs of the other side, or a slice of one.
 *
 * <p>Everything here looks only at the two runs, so the result does not depend on which file was named first once
 * the caller has put the reference first.
 */
final class TensorMatcher {
  static final double VALUE_COSINE = 0.9999;
  static final double VALUE_REL_L2 = 1e-3;
  /** The next best candidate must be at least this many times farther (in rel_l2) than the chosen one. */
  static final double VALUE_MARGIN = 10;
  /** Candidates whose norms alone put them this far (rel_l2 lower bound) cannot make a pair ambiguous. */
  static final double NEAR = VALUE_REL_L2 * VALUE_MARGIN;
  private static final int REGION_DEPTH = 8;
  private static final int RELAYOUT_DEPTH = 6;

  /** The pairs, and for each tensor left unpaired, why. */
  record Result(List<TensorMatch> pairs, Map<String, String> unmatchedReasons, Map<String, String> unpairedOutputsA,
      Map<String, String> unpairedOutputsB) {}

  /** A candidate tensor of B for a tensor of A: its rel_l2 (a lower bound from the norms when {@code bound}). */
  private record Cand(String b, double rel, double cos, boolean bound) {}

  private final Activations a;
  private final Activations b;
  private final GraphView ga;
  private final GraphView gb;
  private final boolean useValues;
  private final List<CapturedTensor> listA;
  private final List<CapturedTensor> listB;
  private final Map<String, Integer> posA = new HashMap<>();
  /** Graph-level correspondence, captured or not (virtual pre-activation tensors included). */
  private final Map<String, String> link = new HashMap<>();
  /** Pairs of captured tensors, by A name. */
  private final Map<String, TensorMatch> pairs = new HashMap<>();
  private final Set<String> pairedB = new HashSet<>();
  private final Set<GraphView.Node> usedNodesB = new HashSet<>();
  private final Map<String, Double> norms = new HashMap<>();
  private final Map<String, List<Cand>> valueCands = new HashMap<>();
  private final Set<String> regionTried = new HashSet<>();

  private TensorMatcher(Activations a, GraphView ga, Activations b, GraphView gb, boolean useValues) {
    this.a = a;
    this.b = b;
    this.ga = ga;
    this.gb = gb;
    this.useValues = useValues;
    this.listA = a.tensors();
    this.listB = b.tensors();
    for (int i = 0; i < listA.size(); i++) {
      posA.put(listA.get(i).name(), i);
    }
  }

  /** Every pair of captured tensors, in A's topological order. Graphs may be null (no structural matching). */
  static Result match(
      Activations a, GraphView ga, Activations b, GraphView gb, List<InputPairing> inputs, boolean useValues) {
    TensorMatcher m = new TensorMatcher(a, ga, b, gb, useValues);
    for (InputPairing p : inputs) {
      m.linkTensors(p.a(), p.b(), Method.INPUT, null);
    }
    m.byName();
    // each round adds a link or a pair or stops, so this ends
    for (int round = 0; round <= a.size() + 1; round++) {
      boolean progress = false;
      if (ga != null && gb != null) {
        for (int guard = 0; guard <= ga.nodes().size() * 2 + 2; guard++) {
          boolean p = m.structurePass();
          p |= m.relayoutPass();
          if (!p) {
            p = m.regionPass();
          }
          if (!p) {
            break;
          }
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
    Map<String, String> unpairedA = new LinkedHashMap<>();
    Map<String, String> unpairedB = new LinkedHashMap<>();
    m.reassemble(unpairedA, unpairedB);
    List<TensorMatch> out = new ArrayList<>(m.pairs.values());
    out.sort(Comparator.comparingInt(t -> m.posA.get(t.a())));
    return new Result(out, m.reasons(unpairedA), unpairedA, unpairedB);
  }

  private void byName() {
    for (CapturedTensor ca : listA) {
      CapturedTensor cb = b.get(ca.name());
      if (cb != null && !pairs.containsKey(ca.name())
          && Alignment.compatible(ca.tensor().shape(), cb.tensor().shape())) {
        linkTensors(ca.name(), cb.name(), Method.NAME, null);
      }
    }
    Map<String, List<String>> normB = new HashMap<>();
    for (CapturedTensor cb : listB) {
      normB.computeIfAbsent(normalizedName(cb.name()), k -> new ArrayList<>()).add(cb.name());
    }
    Map<String, Integer> normA = new HashMap<>();
    listA.forEach(c -> normA.merge(normalizedName(c.name()), 1, Integer::sum));
    for (CapturedTensor ca : listA) {
      String n = normalizedName(ca.name());
      List<String> bs = normB.get(n);
      if (pairs.containsKey(ca.name()) || bs == null || bs.size() != 1 || normA.get(n) != 1 || n.isEmpty()) {
        continue;
      }
      CapturedTensor cb = b.get(bs.get(0));
      if (!pairedB.contains(cb.name()) && Alignment.compatible(ca.tensor().shape(), cb.tensor().shape())) {
        linkTensors(ca.name(), cb.name(), Method.NAME, null);
      }
    }
  }

  /**
   * A name with the spellings of exporters undone: torch.onnx's leading "/" and "_output_N" suffix, TensorFlow's
   * ":N", dots for slashes, case.
   */
  static String normalizedName(String name) {
    String s = name.replaceAll(":\\d+$", "").replaceAll("_output_\\d+$", "");
    while (s.startsWith("/")) {
      s = s.substring(1);
    }
    return s.replace('.', '/').toLowerCase(Locale.ROOT);
  }

  private boolean structurePass() {
    boolean progress = false;
    for (GraphView.Node na : ga.nodes()) {
      if (na.transparent() || link.keySet().containsAll(na.outputs())) {
        continue;
      }
      List<String> rb = linkedInputs(na);
      if (rb == null) {
        continue;
      }
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
      Choice chosen = choose(na, cands);
      if (chosen == null) {
        continue;
      }
      usedNodesB.add(chosen.node());
      for (int k = 0; k < na.outputs().size(); k++) {
        linkTensors(na.outputs().get(k), chosen.node().outputs().get(k), Method.STRUCTURE, chosen.margin());
      }
      if (na.absorbedKinds().equals(chosen.node().absorbedKinds())) {
        for (int k = 0; k < na.absorbed().size(); k++) {
          linkTensors(na.absorbed().get(k), chosen.node().absorbed().get(k), Method.STRUCTURE, null);
        }
      }
      progress = true;
    }
    return progress;
  }

  /** B's tensors for the node's resolved data inputs, sorted; null when some input is not linked yet. */
  private List<String> linkedInputs(GraphView.Node na) {
    List<String> ra = ga.resolvedDataInputs(na);
    if (ra.isEmpty()) {
      return null;
    }
    List<String> rb = new ArrayList<>();
    for (String r : ra) {
      String x = link.get(r);
      if (x == null) {
        return null;
      }
      rb.add(gb.resolve(x));
    }
    rb.sort(null);
    return rb;
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
    HostTensor ta = a.tensor(outA);
    if (ta == null) {
      return null;
    }
    GraphView.Node best = null;
    double bestRel = Double.POSITIVE_INFINITY;
    double second = Double.POSITIVE_INFINITY;
    for (GraphView.Node nb : cands) {
      HostTensor tb = b.tensor(nb.outputs().get(0));
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
    return best == null ? null : new Choice(best, margin(bestRel, second));
  }

  private static Double margin(double best, double second) {
    return Double.isInfinite(second) ? null : second / Math.max(best, 1e-12);
  }

  /**
   * A transpose, reshape or squeeze of the reference whose source is paired: paired with the tensor of that shape
   * among the candidate's relayouts of the source's counterpart, else with the counterpart itself when its shape fits.
   */
  private boolean relayoutPass() {
    boolean progress = false;
    for (GraphView.Node na : ga.nodes()) {
      if (!na.transparent() || na.outputs().size() != 1 || link.containsKey(na.outputs().get(0))) {
        continue;
      }
      String o = na.outputs().get(0);
      String src = ga.resolve(o);
      String xb = link.get(src);
      if (xb == null || src.equals(o)) {
        continue;
      }
      xb = gb.resolve(xb);
      link.put(o, xb);
      progress = true;
      CapturedTensor ca = a.get(o);
      if (ca == null || pairs.containsKey(o)) {
        continue;
      }
      String best = null;
      double bestRel = Double.POSITIVE_INFINITY;
      boolean bestExact = false;
      for (String t : relayouts(xb)) {
        HostTensor tb = b.tensor(t);
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
      if (best != null) {
        Alignment.Aligned al = Alignment.align(ca.tensor(), b.tensor(best));
        link.put(o, best);
        record(o, best, Method.STRUCTURE, al, null);
      }
    }
    return progress;
  }

  /** The tensor and everything B computes from it through transposes, reshapes and identities. */
  private List<String> relayouts(String tb) {
    List<String> out = new ArrayList<>();
    Deque<String> queue = new ArrayDeque<>(List.of(tb));
    Map<String, Integer> depth = new HashMap<>(Map.of(tb, 0));
    while (!queue.isEmpty()) {
      String t = queue.poll();
      out.add(t);
      if (depth.get(t) >= RELAYOUT_DEPTH) {
        continue;
      }
      for (GraphView.Node n : gb.consumers(t)) {
        if (n.transparent() && n.outputs().size() == 1 && !depth.containsKey(n.outputs().get(0))) {
          depth.put(n.outputs().get(0), depth.get(t) + 1);
          queue.add(n.outputs().get(0));
        }
      }
    }
    return out;
  }

  /**
   * A node whose inputs are paired but which no node of its kind over them matches (a decomposed HardSwish, GELU,
   * HardSigmoid, a MatMul+Add for a fully connected layer, ...): among the candidate's tensors downstream of the
   * paired inputs (a few ops deep), the one whose values agree, if it is clearly closer than any other.
   */
  private boolean regionPass() {
    for (GraphView.Node na : ga.nodes()) {
      if (na.transparent() || na.outputs().size() != 1 || link.keySet().containsAll(na.outputs())) {
        continue;
      }
      List<String> rb = linkedInputs(na);
      if (rb == null || !regionTried.add(na.position() + "\u0000" + rb + "\u0000" + pairedB.size())) {
        continue;
      }
      String out = na.outputs().get(0);
      String target = out;
      if (a.get(target) == null) {
        List<GraphView.Node> next = ga.consumers(out);
        if (!out.endsWith(GraphView.PRE_ACTIVATION) || next.size() != 1 || next.get(0).outputs().size() != 1) {
          continue;
        }
        target = next.get(0).outputs().get(0); // a fused activation: the op and its activation together
      }
      CapturedTensor ca = a.get(target);
      if (ca == null || pairs.containsKey(target)) {
        continue;
      }
      List<Cand> cs = new ArrayList<>();
      Map<String, Cand> byClass = new HashMap<>();
      for (String t : downstream(rb)) {
        CapturedTensor cb = b.get(t);
        if (cb == null || pairedB.contains(t) || !gb.isData(t)
            || !Alignment.compatible(ca.tensor().shape(), cb.tensor().shape())) {
          continue;
        }
        Alignment.Aligned al = Alignment.align(ca.tensor(), cb.tensor());
        if (al == null || Double.isNaN(al.relL2())) {
          continue;
        }
        Cand c = new Cand(t, al.relL2(), al.cosine(), false);
        byClass.merge(gb.resolve(t), c, (x, y) -> x.rel() <= y.rel() ? x : y);
      }
      cs.addAll(byClass.values());
      cs.sort(Comparator.comparingDouble(Cand::rel).thenComparing(Cand::b));
      if (cs.isEmpty() || !agrees(cs.get(0))) {
        continue;
      }
      Double margin = cs.size() > 1 ? margin(cs.get(0).rel(), cs.get(1).rel()) : null;
      if (margin != null && margin < VALUE_MARGIN) {
        continue;
      }
      String chosen = cs.get(0).b();
      link.put(out, chosen);
      link.put(target, chosen);
      record(target, chosen, Method.REGION, Alignment.align(ca.tensor(), b.tensor(chosen)), margin);
      return true;
    }
    return false;
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

  private static boolean agrees(Cand c) {
    return !c.bound() && c.cos() > VALUE_COSINE && c.rel() < VALUE_REL_L2;
  }

  /** One value pair at a time (the structural walk gets the first go from the new anchor). */
  private boolean valuePass() {
    for (CapturedTensor ca : listA) {
      if (pairs.containsKey(ca.name()) || !countable(ca)) {
        continue;
      }
      List<Cand> cs = valueCands.computeIfAbsent(ca.name(), k -> candidates(ca));
      if (cs.isEmpty() || !agrees(cs.get(0)) || pairedB.contains(cs.get(0).b())) {
        continue;
      }
      Double margin = cs.size() > 1 ? margin(cs.get(0).rel(), cs.get(1).rel()) : null;
      if (margin != null && margin < VALUE_MARGIN) {
        continue;
      }
      String chosen = cs.get(0).b();
      link.putIfAbsent(ca.name(), chosen);
      record(ca.name(), chosen, Method.VALUE, Alignment.align(ca.tensor(), b.tensor(chosen)), margin);
      return true;
    }
    return false;
  }

  private boolean countable(CapturedTensor ca) {
    return !"INPUT".equals(ca.op()) && (ga == null || ga.isData(ca.name()));
  }

  /**
   * B's tensors that could be A's by value, best first, one per relayout class (a tensor and its transposes and
   * reshapes count once); those the norms alone put at least {@link #NEAR} away are left out.
   */
  private List<Cand> candidates(CapturedTensor ca) {
    HostTensor ta = ca.tensor();
    double na = norms.computeIfAbsent("a:" + ca.name(), k -> Alignment.norm(ta));
    Map<String, Cand> byClass = new HashMap<>();
    for (CapturedTensor cb : listB) {
      if ("INPUT".equals(cb.op()) || (gb != null && !gb.isData(cb.name())) || cb.tensor().numel() != ta.numel()
          || !Alignment.compatible(ta.shape(), cb.tensor().shape())) {
        continue;
      }
      double nb = norms.computeIfAbsent("b:" + cb.name(), k -> Alignment.norm(cb.tensor()));
      if (Math.abs(na - nb) >= NEAR * Math.max(na, 1e-30)) {
        continue; // ||a - b|| >= | ||a|| - ||b|| |: too far to pair or to make a pair ambiguous
      }
      Alignment.Aligned al = Alignment.align(ta, cb.tensor());
      if (al == null || Double.isNaN(al.relL2())) {
        continue;
      }
      Cand c = new Cand(cb.name(), al.relL2(), al.cosine(), false);
      byClass.merge(gb == null ? cb.name() : gb.resolve(cb.name()), c, (x, y) -> x.rel() <= y.rel() ? x : y);
    }
    List<Cand> out = new ArrayList<>(byClass.values());
    out.sort(Comparator.comparingDouble(Cand::rel).thenComparing(Cand::b));
    return out;
  }

  /** Model outputs still unpaired: by name, then by position and shape (reshaped or permuted as needed). */
  private void outputs() {
    List<String> outsB = outputsB();
    List<String> outsA = a.outputNames();
    for (String oa : outsA) {
      CapturedTensor ca = a.get(oa);
      CapturedTensor same = b.get(oa);
      if (ca != null && !pairs.containsKey(oa) && same != null && !pairedB.contains(oa)
          && !Alignment.broadCandidates(ca.tensor().shape(), same.tensor().shape()).isEmpty()) {
        record(oa, oa, Method.NAME, Alignment.alignBroad(ca.tensor(), same.tensor()), null);
      }
    }
    for (int i = 0; i < outsA.size(); i++) {
      String oa = outsA.get(i);
      CapturedTensor ca = a.get(oa);
      if (ca == null || pairs.containsKey(oa)) {
        continue;
      }
      List<String> fit = new ArrayList<>();
      for (String ob : outsB) {
        CapturedTensor cb = b.get(ob);
        if (cb != null && !pairedB.contains(ob)
            && !Alignment.broadCandidates(ca.tensor().shape(), cb.tensor().shape()).isEmpty()) {
          fit.add(ob);
        }
      }
      if (fit.isEmpty()) {
        continue;
      }
      String chosen = fit.get(0);
      Double margin = null;
      if (fit.size() > 1) {
        String samePos = outsA.size() == outsB.size() && fit.contains(outsB.get(i)) ? outsB.get(i) : null;
        double best = Double.POSITIVE_INFINITY;
        double second = Double.POSITIVE_INFINITY;
        for (String ob : fit) {
          Alignment.Aligned al = Alignment.alignBroad(ca.tensor(), b.tensor(ob));
          double rel = al == null || Double.isNaN(al.relL2()) ? Double.MAX_VALUE : al.relL2();
          if (rel < best) {
            second = best;
            best = rel;
            chosen = ob;
          } else if (rel < second) {
            second = rel;
          }
        }
        margin = margin(best, second);
        if (samePos != null && (margin == null || margin < VALUE_MARGIN)) {
          chosen = samePos; // values do not tell them apart: position does
          margin = null;
        }
      }
      record(oa, chosen, Method.OUTPUT_ORDER, Alignment.alignBroad(ca.tensor(), b.tensor(chosen)), margin);
    }
  }

  private List<String> outputsB() {
    return b.outputNames().isEmpty() ? listB.stream().filter(c -> !"INPUT".equals(c.op()))
        .map(CapturedTensor::name).toList() : b.outputNames();
  }

  /**
   * Outputs one side returns in parts: an output of A that is the concatenation of several unpaired outputs of B
   * along one axis, or several outputs of A that are slices of one output of B. Parts are placed in the order their
   * values fit best. What stays unpaired goes to the two maps with the reason.
   */
  private void reassemble(Map<String, String> unpairedA, Map<String, String> unpairedB) {
    List<String> restA = new ArrayList<>();
    for (String oa : a.outputNames()) {
      if (a.get(oa) != null && !pairs.containsKey(oa)) {
        restA.add(oa);
      }
    }
    // B's outputs already standing for an output of A are taken; one paired with an intermediate tensor of A (the
    // parts of a concatenation A does inside its graph) can still be a part
    Set<String> usedB = new HashSet<>();
    for (TensorMatch p : pairs.values()) {
      if (a.outputNames().contains(p.a())) {
        usedB.addAll(p.bTensors());
        if (gb != null) {
          p.bTensors().forEach(t -> usedB.add(gb.resolve(t)));
        }
      }
    }
    List<String> restB = new ArrayList<>();
    for (String ob : outputsB()) {
      if (b.get(ob) != null && !usedB.contains(ob) && (gb == null || !usedB.contains(gb.resolve(ob)))) {
        restB.add(ob);
      }
    }
    for (String oa : new ArrayList<>(restA)) {
      HostTensor ta = a.tensor(oa);
      for (int axis = 0; axis < ta.rank() && restA.contains(oa); axis++) {
        Reassembly r = concatOf(ta, axis, restB);
        if (r != null) {
          restB.removeAll(r.parts());
          restA.remove(oa);
          pairs.put(oa, new TensorMatch(oa, r.parts().get(0), Method.REASSEMBLED, null, null, r));
          pairedB.addAll(r.parts());
        }
      }
    }
    for (String ob : new ArrayList<>(restB)) {
      HostTensor tb = b.tensor(ob);
      for (int axis = 0; axis < tb.rank() && restB.contains(ob); axis++) {
        Map<String, Reassembly> slices = slicesOf(tb, ob, axis, restA);
        if (slices != null) {
          slices.forEach((oa, r) -> pairs.put(oa, new TensorMatch(oa, ob, Method.REASSEMBLED, null, null, r)));
          restA.removeAll(slices.keySet());
          restB.remove(ob);
          pairedB.add(ob);
        }
      }
    }
    List<String> shapesB = restB.stream().map(n -> "'" + n + "' " + Arrays.toString(b.tensor(n).shape())).toList();
    for (String oa : restA) {
      unpairedA.put(oa, "model output " + Arrays.toString(a.tensor(oa).shape()) + " has no counterpart among "
          + b.backend() + "'s outputs (by name; whole, reshaped or permuted; or as parts along an axis)"
          + (shapesB.isEmpty() ? "" : "; unpaired there: " + shapesB));
    }
    if (!b.outputNames().isEmpty()) {
      // an output that is, or is a relayout of, a tensor paired with an intermediate of A is accounted for
      Set<String> covered = new HashSet<>(pairedB);
      if (gb != null) {
        pairedB.forEach(t -> covered.add(gb.resolve(t)));
      }
      for (String ob : restB) {
        if (covered.contains(ob) || (gb != null && covered.contains(gb.resolve(ob)))) {
          continue;
        }
        unpairedB.put(ob, "model output " + Arrays.toString(b.tensor(ob).shape()) + " of " + b.backend()
            + " has no counterpart among " + a.backend() + "'s tensors");
      }
    }
  }

  /** A's output as B's parts laid end to end along {@code axis}, or null. */
  private Reassembly concatOf(HostTensor ta, int axis, List<String> restB) {
    int[] shape = ta.shape();
    Map<String, Integer> extent = new LinkedHashMap<>();
    for (String ob : restB) {
      int e = Reassembly.extentOn(shape, axis, b.tensor(ob).shape());
      if (e > 0 && e < shape[axis]) {
        extent.put(ob, e);
      }
    }
    if (extent.size() < 2) {
      return null;
    }
    List<String> parts = new ArrayList<>();
    List<Integer> lengths = new ArrayList<>();
    int off = 0;
    while (off < shape[axis]) {
      String best = null;
      double bestRel = Double.POSITIVE_INFINITY;
      for (Map.Entry<String, Integer> e : extent.entrySet()) {
        if (parts.contains(e.getKey()) || e.getValue() > shape[axis] - off) {
          continue;
        }
        HostTensor slice = Reassembly.slice(ta, axis, off, e.getValue());
        HostTensor part = b.tensor(e.getKey()).reshape(slice.shape());
        double rel = Alignment.similarity(slice, part)[0];
        rel = Double.isNaN(rel) ? Double.MAX_VALUE : rel;
        if (best == null || rel < bestRel) {
          best = e.getKey();
          bestRel = rel;
        }
      }
      if (best == null) {
        return null;
      }
      parts.add(best);
      lengths.add(extent.get(best));
      off += extent.get(best);
    }
    return new Reassembly(Reassembly.Kind.CONCAT, axis, parts, lengths, 0, shape[axis]);
  }

  /** Several of A's outputs as slices of B's output {@code ob} along {@code axis} (same rank), or null. */
  private Map<String, Reassembly> slicesOf(HostTensor tb, String ob, int axis, List<String> restA) {
    int[] shape = tb.shape();
    Map<String, Integer> extent = new LinkedHashMap<>();
    for (String oa : restA) {
      int[] s = a.tensor(oa).shape();
      if (s.length == shape.length && s[axis] < shape[axis]
          && Arrays.equals(Reassembly.withAxis(s, axis, shape[axis]), shape)) {
        extent.put(oa, s[axis]);
      }
    }
    if (extent.size() < 2) {
      return null;
    }
    Map<String, Reassembly> out = new LinkedHashMap<>();
    int off = 0;
    while (off < shape[axis]) {
      String best = null;
      double bestRel = Double.POSITIVE_INFINITY;
      for (Map.Entry<String, Integer> e : extent.entrySet()) {
        if (out.containsKey(e.getKey()) || e.getValue() > shape[axis] - off) {
          continue;
        }
        double rel = Alignment.similarity(a.tensor(e.getKey()), Reassembly.slice(tb, axis, off, e.getValue()))[0];
        rel = Double.isNaN(rel) ? Double.MAX_VALUE : rel;
        if (best == null || rel < bestRel) {
          best = e.getKey();
          bestRel = rel;
        }
      }
      if (best == null) {
        return null;
      }
      out.put(best, new Reassembly(Reassembly.Kind.SLICE, axis, List.of(ob), List.of(extent.get(best)), off,
          shape[axis]));
      off += extent.get(best);
    }
    return out;
  }

  /** For every countable tensor of A left unpaired, why. */
  private Map<String, String> reasons(Map<String, String> unpairedOutputs) {
    Map<String, String> out = new LinkedHashMap<>();
    for (CapturedTensor ca : listA) {
      if (pairs.containsKey(ca.name()) || !countable(ca)) {
        continue;
      }
      String why = unpairedOutputs.get(ca.name());
      if (why == null && ga != null) {
        why = ga.absorbedReason(ca.name());
      }
      if (why == null) {
        why = valueReason(ca);
      }
      out.put(ca.name(), why);
    }
    return out;
  }

  private String valueReason(CapturedTensor ca) {
    List<Cand> cs = valueCands.computeIfAbsent(ca.name(), k -> candidates(ca));
    boolean anyFits = listB.stream().anyMatch(cb -> !"INPUT".equals(cb.op())
        && Alignment.compatible(ca.tensor().shape(), cb.tensor().shape()));
    String structure = ga == null || gb == null ? "no graph to walk" : "structure found no counterpart";
    if (!anyFits) {
      return structure + "; no tensor of " + b.backend() + " has its shape " + Arrays.toString(ca.tensor().shape())
          + " (up to size-1 axes and NHWC/NCHW)";
    }
    if (!useValues) {
      return structure + "; value matching is off";
    }
    if (cs.isEmpty() || !agrees(cs.get(0))) {
      return structure + "; no tensor of " + b.backend() + " of a fitting shape agrees in value"
          + (cs.isEmpty() ? "" : String.format(Locale.ROOT, " (closest '%s', rel_l2 %.3g)", cs.get(0).b(),
          cs.get(0).rel()));
    }
    Cand best = cs.get(0);
    if (pairedB.contains(best.b())) {
      String with = pairs.values().stream().filter(p -> p.bTensors().contains(best.b())).map(TensorMatch::a)
          .findFirst().orElse("?");
      return String.format(Locale.ROOT, "%s; its closest match '%s' (rel_l2 %.3g) is already paired with '%s'",
          structure, best.b(), best.rel(), with);
    }
    return String.format(Locale.ROOT, "%s; ambiguous by value: '%s' (rel_l2 %.3g) and '%s' (rel_l2 %.3g) are not"
        + " %.0fx apart", structure, best.b(), best.rel(), cs.get(1).b(), cs.get(1).rel(), VALUE_MARGIN);
  }

  /** Links two graph tensors; when A's is captured, pairs it with B's or, through B's relayouts, a fitting one. */
  private void linkTensors(String ta, String tb, Method method, Double margin) {
    link.putIfAbsent(ta, tb);
    CapturedTensor ca = a.get(ta);
    if (ca == null || pairs.containsKey(ta)) {
      return;
    }
    String target = comparable(ca.tensor(), tb);
    if (target == null) {
      return;
    }
    Alignment.Aligned al = Alignment.align(ca.tensor(), b.tensor(target));
    if (al != null) {
      record(ta, target, method, al, margin);
    }
  }

  private String comparable(HostTensor ta, String tb) {
    if (gb == null) {
      CapturedTensor cb = b.get(tb);
      return cb != null && Alignment.compatible(ta.shape(), cb.tensor().shape()) ? tb : null;
    }
    List<String> family = relayouts(tb);
    for (String t : family) {
      CapturedTensor cb = b.get(t);
      if (cb != null && Arrays.equals(ta.shape(), cb.tensor().shape())) {
        return t;
      }
    }
    for (String t : family) {
      CapturedTensor cb = b.get(t);
      if (cb != null && Alignment.compatible(ta.shape(), cb.tensor().shape())) {
        return t;
      }
    }
    return null;
  }

  private void record(String ta, String tb, Method method, Alignment.Aligned al, Double margin) {
    pairs.put(ta, new TensorMatch(ta, tb, method, al == null ? null : al.permutationList(), margin, null));
    pairedB.add(tb);
  }

  /** The aligned B tensor of a pair (recomputed: pairs keep no tensor data). */
  static Alignment.Aligned aligned(Activations a, Activations b, TensorMatch m) {
    HostTensor ta = a.tensor(m.a());
    if (m.reassembly() != null) {
      return new Alignment.Aligned(m.reassembly().apply(ta.shape(), b::tensor).withLayout(ta.layout()), null,
          Double.NaN, Double.NaN);
    }
    HostTensor tb = b.tensor(m.b());
    if (m.permutation() == null) {
      return new Alignment.Aligned(tb.reshape(ta.shape()).withLayout(ta.layout()), null, Double.NaN, Double.NaN);
    }
    int[] p = m.permutation().stream().mapToInt(Integer::intValue).toArray();
    return new Alignment.Aligned(tb.permute(p, ta.layout()), p, Double.NaN, Double.NaN);
  }
}
