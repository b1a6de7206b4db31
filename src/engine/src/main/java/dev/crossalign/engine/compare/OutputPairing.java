package dev.crossalign.engine.compare;

import dev.crossalign.backend.CapturedTensor;
import dev.crossalign.engine.compare.TensorMatch.Method;
import java.util.ArrayList;
import java.util.List;

/**
 * The model outputs the graph and value passes left unpaired, paired whole: by name, then by position and shape
 * (reshaped or permuted as needed), values deciding among several that fit and position where values cannot.
 */
final class OutputPairing {
  private final MatchState s;

  OutputPairing(MatchState s) {
    this.s = s;
  }

  void run() {
    List<String> outsB = s.outputsB();
    List<String> outsA = s.a.outputNames();
    for (String oa : outsA) {
      CapturedTensor ca = s.a.get(oa);
      CapturedTensor same = s.b.get(oa);
      if (ca != null && !s.pairs.containsKey(oa) && same != null && !s.pairedB.contains(oa)
          && !Alignment.broadCandidates(ca.tensor().shape(), same.tensor().shape()).isEmpty()) {
        s.record(oa, oa, Method.NAME, Alignment.alignBroad(ca.tensor(), same.tensor()), null);
      }
    }
    for (int i = 0; i < outsA.size(); i++) {
      String oa = outsA.get(i);
      CapturedTensor ca = s.a.get(oa);
      if (ca == null || s.pairs.containsKey(oa)) {
        continue;
      }
      List<String> fit = new ArrayList<>();
      for (String ob : outsB) {
        CapturedTensor cb = s.b.get(ob);
        if (cb != null && !s.pairedB.contains(ob)
            && !Alignment.broadCandidates(ca.tensor().shape(), cb.tensor().shape()).isEmpty()) {
          fit.add(ob);
        }
      }
      if (fit.isEmpty()) {
        continue;
      }
      String samePos = outsA.size() == outsB.size() && fit.contains(outsB.get(i)) ? outsB.get(i) : null;
      Pick pick = fit.size() > 1 ? pick(ca, fit, samePos) : new Pick(fit.get(0), null);
      s.record(oa, pick.b(), Method.OUTPUT_ORDER, Alignment.alignBroad(ca.tensor(), s.b.tensor(pick.b())),
          pick.margin());
    }
  }

  /** The output of B chosen for one of A's, and the margin when values chose it. */
  private record Pick(String b, Double margin) {}

  /** Among several fitting outputs: the closest in value, or the one at A's position when values do not decide. */
  private Pick pick(CapturedTensor ca, List<String> fit, String samePos) {
    String chosen = fit.get(0);
    double best = Double.POSITIVE_INFINITY;
    double second = Double.POSITIVE_INFINITY;
    for (String ob : fit) {
      Alignment.Aligned al = Alignment.alignBroad(ca.tensor(), s.b.tensor(ob));
      double rel = al == null || Double.isNaN(al.relL2()) ? Double.MAX_VALUE : al.relL2();
      if (rel < best) {
        second = best;
        best = rel;
        chosen = ob;
      } else if (rel < second) {
        second = rel;
      }
    }
    Double margin = Candidate.margin(best, second);
    if (samePos != null && (margin == null || margin < TensorMatcher.VALUE_MARGIN)) {
      return new Pick(samePos, null); // values do not tell them apart: position does
    }
    return new Pick(chosen, margin);
  }
}
