package dev.crossalign.engine.compare;

import dev.crossalign.backend.Activations;
import dev.crossalign.backend.CapturedTensor;
import dev.crossalign.engine.compare.TensorMatch.Method;
import dev.crossalign.tensor.HostTensor;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

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
 * concatenation of several outputs of the other side, or a slice of one; a candidate output that concatenates
 * tensors already paired (the reference returns the parts) is compared in those parts.
 *
 * <p>Everything here looks only at the two runs, so the result does not depend on which file was named first once
 * the caller has put the reference first.
 *
 * <p>This class orders the steps and pairs by name; the other steps are {@link GraphPasses} (2), {@link ValuePass}
 * (3), {@link OutputPairing} and {@link OutputReassembly}, all over one {@link MatchState}.
 */
final class TensorMatcher {
  static final double VALUE_COSINE = 0.9999;
  static final double VALUE_REL_L2 = 1e-3;
  /** The next best candidate must be at least this many times farther (in rel_l2) than the chosen one. */
  static final double VALUE_MARGIN = 10;
  /** Candidates whose norms alone put them this far (rel_l2 lower bound) cannot make a pair ambiguous. */
  static final double NEAR = VALUE_REL_L2 * VALUE_MARGIN;

  /** The pairs; for each tensor left unpaired, why; B's outputs compared in their parts, with how. */
  record Result(List<TensorMatch> pairs, Map<String, String> unmatchedReasons, Map<String, String> unpairedOutputsA,
      Map<String, String> unpairedOutputsB, Map<String, String> outputsBThroughParts) {}

  private TensorMatcher() {}

  /** Every pair of captured tensors, in A's topological order. Graphs may be null (no structural matching). */
  static Result match(
      Activations a, GraphView ga, Activations b, GraphView gb, List<InputPairing> inputs, boolean useValues) {
    MatchState s = new MatchState(a, ga, b, gb);
    for (InputPairing p : inputs) {
      s.linkTensors(p.a(), p.b(), Method.INPUT, null);
    }
    byName(s);
    GraphPasses graph = new GraphPasses(s);
    ValuePass values = new ValuePass(s, useValues);
    // each round adds a link or a pair or stops, so this ends
    for (int round = 0; round <= a.size() + 1; round++) {
      boolean progress = graph.run();
      if (values.run()) {
        progress = true;
      }
      if (!progress) {
        break;
      }
    }
    new OutputPairing(s).run();
    Map<String, String> unpairedA = new LinkedHashMap<>();
    Map<String, String> unpairedB = new LinkedHashMap<>();
    Map<String, String> throughParts = new LinkedHashMap<>();
    new OutputReassembly(s).run(unpairedA, unpairedB, throughParts);
    List<TensorMatch> out = new ArrayList<>(s.pairs.values());
    out.sort(Comparator.comparingInt(t -> s.posA.get(t.a())));
    return new Result(out, reasons(s, values, unpairedA), unpairedA, unpairedB, throughParts);
  }

  private static void byName(MatchState s) {
    for (CapturedTensor ca : s.listA) {
      CapturedTensor cb = s.b.get(ca.name());
      if (cb != null && !s.pairs.containsKey(ca.name())
          && Alignment.compatible(ca.tensor().shape(), cb.tensor().shape())) {
        s.linkTensors(ca.name(), cb.name(), Method.NAME, null);
      }
    }
    Map<String, List<String>> normB = new HashMap<>();
    for (CapturedTensor cb : s.listB) {
      normB.computeIfAbsent(normalizedName(cb.name()), k -> new ArrayList<>()).add(cb.name());
    }
    Map<String, Integer> normA = new HashMap<>();
    s.listA.forEach(c -> normA.merge(normalizedName(c.name()), 1, Integer::sum));
    for (CapturedTensor ca : s.listA) {
      String n = normalizedName(ca.name());
      List<String> bs = normB.get(n);
      if (s.pairs.containsKey(ca.name()) || bs == null || bs.size() != 1 || normA.get(n) != 1 || n.isEmpty()) {
        continue;
      }
      CapturedTensor cb = s.b.get(bs.get(0));
      if (!s.pairedB.contains(cb.name()) && Alignment.compatible(ca.tensor().shape(), cb.tensor().shape())) {
        s.linkTensors(ca.name(), cb.name(), Method.NAME, null);
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

  /** For every countable tensor of A left unpaired, why. */
  private static Map<String, String> reasons(MatchState s, ValuePass values, Map<String, String> unpairedOutputs) {
    Map<String, String> out = new LinkedHashMap<>();
    for (CapturedTensor ca : s.listA) {
      if (s.pairs.containsKey(ca.name()) || !s.countable(ca)) {
        continue;
      }
      String why = unpairedOutputs.get(ca.name());
      if (why == null && s.ga != null) {
        why = s.ga.absorbedReason(ca.name());
      }
      if (why == null) {
        why = s.noCounterpart.get(ca.name());
      }
      if (why == null) {
        why = values.reason(ca);
      }
      out.put(ca.name(), why);
    }
    return out;
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
