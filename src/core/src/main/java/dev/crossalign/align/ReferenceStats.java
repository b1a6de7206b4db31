package dev.crossalign.align;

import dev.crossalign.backend.Activations;
import dev.crossalign.backend.CapturedTensor;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The per-side statistics of a held run's tensors (validate's reference), made by a tensor's first comparison and
 * reused by its later ones: validate compares each reference tensor with up to four candidates (torch and ONNX
 * Runtime, chained and isolated), on two threads. A reference is always read in its own flat order, so its sums are
 * the same doubles in every comparison: the reuse changes no reported number. Only the held run's own tensor objects
 * are served (a tensor of the same name from elsewhere is measured afresh); thread-safe.
 */
public final class ReferenceStats {
  private final Activations held;
  private final ConcurrentHashMap<String, SideStats> byName = new ConcurrentHashMap<>();

  public ReferenceStats(Activations held) {
    this.held = Objects.requireNonNull(held, "held");
  }

  /** The held run. */
  public Activations held() {
    return held;
  }

  /** {@code t}'s statistics when an earlier comparison made them and {@code t} is the held run's tensor; else null. */
  SideStats get(CapturedTensor t) {
    return held.get(t.name()) == t ? byName.get(t.name()) : null;
  }

  /** Keeps {@code stats}, finished (never added to again), for the held run's tensor {@code t}; others are ignored. */
  void put(CapturedTensor t, SideStats stats) {
    if (held.get(t.name()) == t) {
      byName.putIfAbsent(t.name(), stats);
    }
  }

  /** How many tensors' statistics are kept. */
  public int size() {
    return byName.size();
  }
}
