package dev.crossalign.align;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How many tensor pairs were actually compared (status COMPARED), per backend pair and mode, in the order the pairs
 * first appear: what the verdict line and the reports state instead of "tensors x pairs x modes", which overstates
 * whenever a mode or pair covers fewer tensors.
 */
public record ComparisonCounts(Map<String, Map<Mode, Integer>> byPair) {
  public ComparisonCounts {
    Map<String, Map<Mode, Integer>> copy = new LinkedHashMap<>();
    byPair.forEach((k, v) -> copy.put(k, java.util.Collections.unmodifiableMap(new EnumMap<>(v))));
    byPair = java.util.Collections.unmodifiableMap(copy);
  }

  public static ComparisonCounts of(List<Comparison> comparisons) {
    Map<String, Map<Mode, Integer>> m = new LinkedHashMap<>();
    for (Comparison c : comparisons) {
      Map<Mode, Integer> modes = m.computeIfAbsent(c.pair(), k -> new EnumMap<>(Mode.class));
      if (c.status() == Comparison.Status.COMPARED) {
        modes.merge(c.mode(), 1, Integer::sum);
      }
    }
    m.values().removeIf(Map::isEmpty);
    return new ComparisonCounts(m);
  }

  /** Comparisons of activations (chained and isolated), all pairs. */
  public int activations() {
    return byPair.values().stream().mapToInt(v -> v.getOrDefault(Mode.CHAINED, 0) + v.getOrDefault(Mode.ISOLATED, 0))
        .sum();
  }

  /** Weight tensors checked, all pairs (each once per pair). */
  public int weights() {
    return byPair.values().stream().mapToInt(v -> v.getOrDefault(Mode.WEIGHTS, 0)).sum();
  }

  /**
   * "255 comparisons (tflite~torch 165 chained + 90 isolated), 12 weight tensors checked once per pair"; "no
   * comparison" when there is none.
   */
  public String describe() {
    if (byPair.isEmpty()) {
      return "no comparison";
    }
    List<String> parts = new ArrayList<>();
    byPair.forEach((pair, modes) -> {
      List<String> each = new ArrayList<>();
      for (Mode mode : List.of(Mode.CHAINED, Mode.ISOLATED)) {
        Integer n = modes.get(mode);
        if (n != null) {
          each.add(n + " " + mode.jsonName());
        }
      }
      if (!each.isEmpty()) {
        parts.add(pair + " " + String.join(" + ", each));
      }
    });
    int a = activations();
    String s = a + (a == 1 ? " comparison" : " comparisons") + (parts.isEmpty() ? "" : " (" + String.join("; ", parts)
        + ")");
    int w = weights();
    if (w > 0) {
      s += ", " + w + (w == 1 ? " weight tensor" : " weight tensors") + " checked once per pair";
    }
    return s;
  }
}
