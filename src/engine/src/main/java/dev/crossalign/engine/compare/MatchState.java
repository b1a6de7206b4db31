package dev.crossalign.engine.compare;

import dev.crossalign.backend.Activations;
import dev.crossalign.backend.CapturedTensor;
import dev.crossalign.engine.compare.TensorMatch.Method;
import dev.crossalign.tensor.HostTensor;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the passes of {@link TensorMatcher} share: the two runs and their graphs (either may be null), the graph-level
 * links found so far, and the pairs of captured tensors. Pairs are only ever added, through {@link #record}.
 */
final class MatchState {
  private static final int RELAYOUT_DEPTH = 6;

  final Activations a;
  final Activations b;
  final GraphView ga;
  final GraphView gb;
  final List<CapturedTensor> listA;
  final List<CapturedTensor> listB;
  /** Position of each of A's tensors in its run (the order of the result). */
  final Map<String, Integer> posA = new HashMap<>();
  /** Graph-level correspondence, captured or not (virtual pre-activation tensors included). */
  final Map<String, String> link = new HashMap<>();
  /** Pairs of captured tensors, by A name. */
  final Map<String, TensorMatch> pairs = new HashMap<>();
  final Set<String> pairedB = new HashSet<>();
  /** A's tensors the other side has no tensor for, by design (a pad done inside B's conv), with why. */
  final Map<String, String> noCounterpart = new HashMap<>();

  MatchState(Activations a, GraphView ga, Activations b, GraphView gb) {
    this.a = a;
    this.b = b;
    this.ga = ga;
    this.gb = gb;
    this.listA = a.tensors();
    this.listB = b.tensors();
    for (int i = 0; i < listA.size(); i++) {
      posA.put(listA.get(i).name(), i);
    }
  }

  /** Links two graph tensors; when A's is captured, pairs it with B's or, through B's relayouts, a fitting one. */
  void linkTensors(String ta, String tb, Method method, Double margin) {
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

  /** The tensor and everything B computes from it through transposes, reshapes and identities. */
  List<String> relayouts(String tb) {
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

  /** B's tensors for A's resolved tensors {@code ra}, sorted; null when {@code ra} is empty or not all linked. */
  List<String> linkedInB(List<String> ra) {
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

  void record(String ta, String tb, Method method, Alignment.Aligned al, Double margin) {
    pairs.put(ta, new TensorMatch(ta, tb, method, al == null ? null : al.permutationList(), margin, null));
    pairedB.add(tb);
  }

  /** Whether A's tensor must find a counterpart: not a model input, and data (not a weight) when there is a graph. */
  boolean countable(CapturedTensor ca) {
    return !"INPUT".equals(ca.op()) && (ga == null || ga.isData(ca.name()));
  }

  /** B's model outputs; every tensor but the inputs when B names none. */
  List<String> outputsB() {
    return b.outputNames().isEmpty() ? listB.stream().filter(c -> !"INPUT".equals(c.op()))
        .map(CapturedTensor::name).toList() : b.outputNames();
  }
}
