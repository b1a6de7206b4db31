package dev.crossalign.engine;

import dev.crossalign.align.AlignmentResult;
import dev.crossalign.align.Comparison;
import dev.crossalign.align.ErrorScale;
import dev.crossalign.align.Mode;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.CapturedTensor;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The two tensors of the worst comparison so far, which is all a report reads after a validation (the HTML report's
 * error histogram): the streaming legs let every other tensor go. "Worst" is {@link AlignmentResult#worstFirst()}'s
 * first: {@link ErrorScale#worstFirst()}, ties going to the earlier comparison in report order (slot, then position).
 * Comparisons the validation later drops (placeholder outputs, a weight's isolated duplicate) are never kept.
 */
final class WorstPair {
  private static final Comparator<Comparison> ORDER = ErrorScale.worstFirst();

  private final Set<String> dropped;
  private final Set<String> droppedChained;
  private final String referenceBackend;
  private final Set<String> weights;
  private final boolean chainedRuns;
  private Kept kept;

  /**
   * {@code dropped}: reference tensors none of whose comparisons with the reference survive; {@code droppedChained}:
   * those whose chained ones do not; {@code weights}: constant-only tensors, checked once per pair (the chained
   * comparison when {@code chainedRuns}).
   */
  WorstPair(String referenceBackend, Set<String> dropped, Set<String> droppedChained, Set<String> weights,
      boolean chainedRuns) {
    this.referenceBackend = referenceBackend;
    this.dropped = dropped;
    this.droppedChained = droppedChained;
    this.weights = weights;
    this.chainedRuns = chainedRuns;
  }

  private record Kept(Comparison c, int slot, int position, CapturedTensor ref, CapturedTensor cand, String refRun,
      String candRun) {}

  synchronized void offer(Comparison c, int slot, int position, CapturedTensor ref, CapturedTensor cand,
      String refRun, String candRun) {
    if (c.metrics() == null || willBeDropped(c)) {
      return;
    }
    if (kept != null && !(kept.slot() == slot && kept.position() == position)) {
      // (the same slot and position: a name captured again, whose later tensor replaces the kept one's comparison;
      // a runner-up it displaced earlier is lost, and tensorsFor then finds no match rather than a wrong pair)
      int byError = ORDER.compare(c, kept.c());
      if (byError > 0 || byError == 0 && (slot > kept.slot() || slot == kept.slot() && position >= kept.position())) {
        return;
      }
    }
    kept = new Kept(c, slot, position, ref, cand, refRun, candRun);
  }

  private boolean willBeDropped(Comparison c) {
    if (c.pair().startsWith(referenceBackend + "~")
        && (dropped.contains(c.name()) || c.mode() == Mode.CHAINED && droppedChained.contains(c.name()))) {
      return true;
    }
    return chainedRuns && c.mode() == Mode.ISOLATED && weights.contains(c.name());
  }

  /**
   * The worst comparison's two tensors as one-tensor runs keyed by run ("tflite", "torch.isolated", ...), if it is
   * the result's worst comparison with numbers; else empty (no comparison had numbers).
   */
  synchronized Map<String, Activations> tensorsFor(AlignmentResult result) {
    List<Comparison> worst = result.worstFirst();
    if (kept == null || worst.isEmpty()) {
      return Map.of();
    }
    Comparison w = worst.get(0);
    Comparison k = kept.c();
    if (!w.name().equals(k.name()) || !w.pair().equals(k.pair()) || w.metrics() != k.metrics()) {
      return Map.of(); // cannot happen while offer() mirrors the result's order; no histogram rather than a wrong one
    }
    Map<String, Activations> m = new LinkedHashMap<>();
    m.put(kept.refRun(), Activations.builder(kept.refRun()).add(kept.ref()).build());
    m.put(kept.candRun(), Activations.builder(kept.candRun()).add(kept.cand()).build());
    return m;
  }
}
