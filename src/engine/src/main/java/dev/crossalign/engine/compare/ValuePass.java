package dev.crossalign.engine.compare;

import dev.crossalign.backend.CapturedTensor;
import dev.crossalign.engine.compare.TensorMatch.Method;
import dev.crossalign.tensor.HostTensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The value pass of {@link TensorMatcher}: a still-unpaired tensor of A is paired with the tensor of B's whole run
 * that agrees best, when that one is clearly (by {@value TensorMatcher#VALUE_MARGIN}x) closer than the next best; and
 * for a tensor left unpaired, why (the same candidates, ranked once).
 */
final class ValuePass {
  private final MatchState s;
  private final boolean useValues;
  private final Map<String, Double> norms = new HashMap<>();
  private final Map<String, List<Candidate>> valueCands = new HashMap<>();

  ValuePass(MatchState s, boolean useValues) {
    this.s = s;
    this.useValues = useValues;
  }

  /** One value pair at a time (the structural walk gets the first go from the new anchor); false when off. */
  boolean run() {
    if (!useValues) {
      return false;
    }
    for (CapturedTensor ca : s.listA) {
      if (s.pairs.containsKey(ca.name()) || !s.countable(ca)) {
        continue;
      }
      List<Candidate> cs = valueCands.computeIfAbsent(ca.name(), k -> candidates(ca));
      if (cs.isEmpty() || !cs.get(0).agrees() || s.pairedB.contains(cs.get(0).b())) {
        continue;
      }
      Double margin = cs.size() > 1 ? Candidate.margin(cs.get(0).rel(), cs.get(1).rel()) : null;
      if (margin != null && margin < TensorMatcher.VALUE_MARGIN) {
        continue;
      }
      String chosen = cs.get(0).b();
      s.link.putIfAbsent(ca.name(), chosen);
      s.record(ca.name(), chosen, Method.VALUE, Alignment.align(ca.tensor(), s.b.tensor(chosen)), margin);
      return true;
    }
    return false;
  }

  /**
   * B's tensors that could be A's by value, best first, one per relayout class (a tensor and its transposes and
   * reshapes count once); those the norms alone put at least {@link TensorMatcher#NEAR} away are left out.
   */
  private List<Candidate> candidates(CapturedTensor ca) {
    HostTensor ta = ca.tensor();
    double na = norms.computeIfAbsent("a:" + ca.name(), k -> Alignment.norm(ta));
    Map<String, Candidate> byClass = new HashMap<>();
    for (CapturedTensor cb : s.listB) {
      if ("INPUT".equals(cb.op()) || (s.gb != null && !s.gb.isData(cb.name())) || cb.tensor().numel() != ta.numel()
          || !Alignment.compatible(ta.shape(), cb.tensor().shape())) {
        continue;
      }
      double nb = norms.computeIfAbsent("b:" + cb.name(), k -> Alignment.norm(cb.tensor()));
      if (Math.abs(na - nb) >= TensorMatcher.NEAR * Math.max(na, 1e-30)) {
        continue; // ||a - b|| >= | ||a|| - ||b|| |: too far to pair or to make a pair ambiguous
      }
      Alignment.Aligned al = Alignment.align(ta, cb.tensor());
      if (al == null || Double.isNaN(al.relL2())) {
        continue;
      }
      Candidate c = new Candidate(cb.name(), al.relL2(), al.cosine(), false);
      byClass.merge(s.gb == null ? cb.name() : s.gb.resolve(cb.name()), c, (x, y) -> x.rel() <= y.rel() ? x : y);
    }
    List<Candidate> out = new ArrayList<>(byClass.values());
    out.sort(Comparator.comparingDouble(Candidate::rel).thenComparing(Candidate::b));
    return out;
  }

  /** Why A's tensor found no counterpart, from the shapes and the value candidates. */
  String reason(CapturedTensor ca) {
    List<Candidate> cs = valueCands.computeIfAbsent(ca.name(), k -> candidates(ca));
    boolean anyFits = s.listB.stream().anyMatch(cb -> !"INPUT".equals(cb.op())
        && Alignment.compatible(ca.tensor().shape(), cb.tensor().shape()));
    String structure = s.ga == null || s.gb == null ? "no graph to walk" : "structure found no counterpart";
    String other = s.b.backend();
    if (!anyFits) {
      return structure + "; no tensor of " + other + " has its shape " + Arrays.toString(ca.tensor().shape())
          + " (up to size-1 axes and NHWC/NCHW)";
    }
    if (!useValues) {
      return structure + "; value matching is off";
    }
    if (cs.isEmpty() || !cs.get(0).agrees()) {
      return structure + "; no tensor of " + other + " of a fitting shape agrees in value"
          + (cs.isEmpty() ? "" : String.format(Locale.ROOT, " (closest '%s', rel_l2 %.3g)", cs.get(0).b(),
          cs.get(0).rel()));
    }
    Candidate best = cs.get(0);
    if (s.pairedB.contains(best.b())) {
      String with = s.pairs.values().stream().filter(p -> p.bTensors().contains(best.b())).map(TensorMatch::a)
          .findFirst().orElse("?");
      return String.format(Locale.ROOT, "%s; its closest match '%s' (rel_l2 %.3g) is already paired with '%s'",
          structure, best.b(), best.rel(), with);
    }
    return String.format(Locale.ROOT, "%s; ambiguous by value: '%s' (rel_l2 %.3g) and '%s' (rel_l2 %.3g) are not"
        + " %.0fx apart", structure, best.b(), best.rel(), cs.get(1).b(), cs.get(1).rel(),
        TensorMatcher.VALUE_MARGIN);
  }
}
