package dev.crossalign.engine;

import dev.crossalign.align.Comparison;
import dev.crossalign.UnsupportedOp;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one leg of a validation produced (a candidate backend's setup or one of its runs): its comparisons by report
 * slot, the ops it could not run, its notes, timing and config entries, the element pairs it compared and the CPU
 * time its comparing took, and {@code
 * held}: its run's tensors (in a temporary file) only while a later leg still compares with them (null otherwise). {@link Validator}
 * merges the records in a fixed order, so the report does not depend on the order the legs ran in.
 */
record LegResult(
    Map<Slot, List<Comparison>> comparisons,
    List<UnsupportedOp> unsupported,
    List<String> notes,
    Map<String, Double> timing,
    Map<String, String> config,
    long pairs,
    double compareCpuMs,
    SpilledRun held) {

  LegResult {
    Map<Slot, List<Comparison>> bySlot = new EnumMap<>(Slot.class);
    comparisons.forEach((slot, list) -> bySlot.put(slot, List.copyOf(list)));
    comparisons = Collections.unmodifiableMap(bySlot);
    unsupported = List.copyOf(unsupported);
    notes = List.copyOf(notes);
    timing = Collections.unmodifiableMap(new LinkedHashMap<>(timing));
    config = Collections.unmodifiableMap(new LinkedHashMap<>(config));
  }

  /** The same record without its held tensors, once no later leg needs them (their file goes now). */
  LegResult released() {
    if (held == null) {
      return this;
    }
    held.close();
    return new LegResult(comparisons, unsupported, notes, timing, config, pairs, compareCpuMs, null);
  }

  /** Collects one leg's record. */
  static final class Builder {
    final Map<Slot, List<Comparison>> comparisons = new EnumMap<>(Slot.class);
    final List<UnsupportedOp> unsupported = new java.util.ArrayList<>();
    final List<String> notes = new java.util.ArrayList<>();
    final Map<String, Double> timing = new LinkedHashMap<>();
    final Map<String, String> config = new LinkedHashMap<>();
    long pairs;
    double compareCpuMs;

    Builder add(Slot slot, List<Comparison> cs) {
      comparisons.computeIfAbsent(slot, s -> new java.util.ArrayList<>()).addAll(cs);
      return this;
    }

    /** The pair's comparisons into {@code slot}, its compare time into timing {@code compareKey} (summed). */
    Builder add(Slot slot, StreamedPair p, String compareKey) {
      add(slot, p.finish());
      timing.merge(compareKey, p.compareMs(), Double::sum);
      pairs += p.pairs();
      compareCpuMs += p.compareCpuMs();
      return this;
    }

    LegResult build(SpilledRun held) {
      return new LegResult(comparisons, unsupported, notes, timing, config, pairs, compareCpuMs, held);
    }
  }
}
