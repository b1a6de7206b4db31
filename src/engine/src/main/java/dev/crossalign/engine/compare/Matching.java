package dev.crossalign.engine.compare;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.crossalign.engine.compare.TensorMatch.Method;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How the tensors of the two sides were paired: counts per method over the reference's tensors (its captured,
 * input-dependent tensors other than the model inputs), every pair, the input pairings and what stayed unpaired, each
 * with its reason.
 *
 * @param counts pairs per method over the counted reference tensors (INPUT is not counted)
 * @param unmatched reference tensors left unpaired
 * @param referenceTensors the reference tensors counted
 * @param inputs the input pairings (a = the driving side's input, b = the other's)
 * @param drivingSide "a" or "b": whose inputs were generated or given
 * @param referenceSide "a" or "b": which of the two files is the reference (the TFLite model whichever order the
 *     files are given in; else A)
 * @param pairs every pair, inputs included, in the reference's topological order
 * @param unmatchedReasons each reference tensor left unpaired, with why
 * @param unpairedOutputs model outputs of either side that could not be paired at all ("reference" or "candidate"
 *     side, name, why); any makes the run INCOMPLETE
 * @param reassemblies for outputs reassembled, reshaped or permuted: reference output name, how
 */
public record Matching(
    Map<Method, Integer> counts,
    int unmatched,
    int referenceTensors,
    List<InputPairing> inputs,
    String drivingSide,
    String referenceSide,
    List<TensorMatch> pairs,
    Map<String, String> unmatchedReasons,
    List<UnpairedOutput> unpairedOutputs,
    Map<String, String> reassemblies) {

  /** A model output with no counterpart. */
  public record UnpairedOutput(String side, String tensor, String reason) {}

  public Matching {
    counts = Map.copyOf(counts);
    inputs = List.copyOf(inputs);
    pairs = List.copyOf(pairs);
    unmatchedReasons = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(unmatchedReasons));
    unpairedOutputs = List.copyOf(unpairedOutputs);
    reassemblies = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(reassemblies));
  }

  /**
   * What compare's notes say of the matching: the summary, each reassembled output, each unpaired output, and the
   * first ten reference tensors left unpaired that are not {@code unpairedOutputsA} (the reports hold them all).
   */
  List<String> notes(java.util.Set<String> unpairedOutputsA) {
    List<String> notes = new ArrayList<>();
    notes.add(summary());
    reassemblies.forEach((n, how) -> notes.add("output '" + n + "' compared against " + how));
    for (UnpairedOutput u : unpairedOutputs) {
      notes.add("unpaired " + u.side() + " output '" + u.tensor() + "': " + u.reason());
    }
    List<Map.Entry<String, String>> unmatchedInner = unmatchedReasons.entrySet().stream()
        .filter(e -> !unpairedOutputsA.contains(e.getKey())).toList();
    int shown = 0;
    for (Map.Entry<String, String> e : unmatchedInner) {
      if (shown++ == 10) {
        notes.add("... " + (unmatchedInner.size() - 10) + " more unmatched tensors, each with its reason in the JSON"
            + " and HTML reports");
        break;
      }
      notes.add("unmatched '" + e.getKey() + "' (not compared): " + e.getValue());
    }
    return notes;
  }

  /** The counts as the report's config entries ("matching.matched_by_name", ...). */
  Map<String, String> config() {
    Map<String, String> c = new LinkedHashMap<>();
    c.put("matching.matched_by_name", Integer.toString(byName()));
    c.put("matching.matched_by_structure", Integer.toString(byStructure()));
    c.put("matching.matched_by_region", Integer.toString(byRegion()));
    c.put("matching.matched_by_value", Integer.toString(byValue()));
    c.put("matching.matched_by_output_order", Integer.toString(byOutputOrder()));
    c.put("matching.reassembled", Integer.toString(reassembled()));
    c.put("matching.unmatched", Integer.toString(unmatched()));
    return c;
  }

  public int byName() {
    return count(Method.NAME);
  }

  public int byStructure() {
    return count(Method.STRUCTURE);
  }

  public int byRegion() {
    return count(Method.REGION);
  }

  public int byValue() {
    return count(Method.VALUE);
  }

  public int byOutputOrder() {
    return count(Method.OUTPUT_ORDER);
  }

  public int reassembled() {
    return count(Method.REASSEMBLED);
  }

  /** Names of the reference tensors left unpaired, in the reference's order. */
  public List<String> unmatchedTensors() {
    return List.copyOf(unmatchedReasons.keySet());
  }

  /** Count of pairs found by {@code m} (for INPUT: the input pairings). */
  public int count(Method m) {
    return m == Method.INPUT ? inputs.size() : counts.getOrDefault(m, 0);
  }

  /** One line for the console and the notes. */
  public String summary() {
    return String.format(Locale.ROOT,
        "matching: %d of %d reference tensors paired (%d by name, %d by structure, %d by region, %d by value,"
            + " %d outputs by order, %d reassembled), %d unmatched",
        referenceTensors - unmatched, referenceTensors, byName(), byStructure(), byRegion(), byValue(),
        byOutputOrder(), reassembled(), unmatched);
  }

  /** The "matching" object of the JSON report. Deterministic: same inputs, same bytes. */
  public ObjectNode toJson() {
    JsonNodeFactory f = JsonNodeFactory.instance;
    ObjectNode o = f.objectNode();
    o.put("matched_by_name", byName());
    o.put("matched_by_structure", byStructure());
    o.put("matched_by_region", byRegion());
    o.put("matched_by_value", byValue());
    o.put("matched_by_output_order", byOutputOrder());
    o.put("reassembled", reassembled());
    o.put("unmatched", unmatched);
    o.put("reference_tensors", referenceTensors);
    o.put("reference_side", referenceSide);
    o.put("driving_side", drivingSide);
    ArrayNode ins = o.putArray("inputs");
    for (InputPairing p : inputs) {
      ObjectNode n = ins.addObject();
      n.put("from", p.a());
      n.put("to", p.b());
      n.put("how", p.how());
      putPermutation(n, p.permutationList());
    }
    ArrayNode ps = o.putArray("pairs");
    for (TensorMatch m : pairs) {
      ObjectNode n = ps.addObject();
      n.put("a", m.a());
      n.put("b", m.b());
      n.put("method", m.method().jsonName());
      putPermutation(n, m.permutation());
      if (m.margin() == null) {
        n.putNull("margin");
      } else {
        n.put("margin", Double.parseDouble(String.format(Locale.ROOT, "%.4g", m.margin())));
      }
      String how = reassemblies.get(m.a());
      if (how == null) {
        n.putNull("reassembly");
      } else {
        n.put("reassembly", how);
      }
    }
    ArrayNode un = o.putArray("unmatched_tensors");
    unmatchedReasons.forEach((t, why) -> un.addObject().put("tensor", t).put("reason", why));
    ArrayNode uo = o.putArray("unpaired_outputs");
    for (UnpairedOutput u : unpairedOutputs) {
      uo.addObject().put("side", u.side()).put("tensor", u.tensor()).put("reason", u.reason());
    }
    return o;
  }

  private static void putPermutation(ObjectNode n, List<Integer> p) {
    if (p == null) {
      n.putNull("permutation");
    } else {
      ArrayNode a = n.putArray("permutation");
      p.forEach(a::add);
    }
  }

  static Matching of(TensorMatcher.Result r, List<String> counted, List<InputPairing> inputs, String driving,
      String referenceSide, Map<String, String> reassemblies) {
    Map<Method, Integer> counts = new EnumMap<>(Method.class);
    java.util.Set<String> countedSet = new java.util.HashSet<>(counted);
    for (TensorMatch m : r.pairs()) {
      if (countedSet.contains(m.a()) && m.method() != Method.INPUT) {
        counts.merge(m.method(), 1, Integer::sum);
      }
    }
    Map<String, String> reasons = new LinkedHashMap<>();
    for (String c : counted) {
      String why = r.unmatchedReasons().get(c);
      if (why != null) {
        reasons.put(c, why);
      }
    }
    List<UnpairedOutput> outs = new ArrayList<>();
    r.unpairedOutputsA().forEach((t, why) -> outs.add(new UnpairedOutput("reference", t, why)));
    r.unpairedOutputsB().forEach((t, why) -> outs.add(new UnpairedOutput("candidate", t, why)));
    return new Matching(counts, reasons.size(), counted.size(), inputs, driving, referenceSide, r.pairs(), reasons,
        outs, reassemblies);
  }
}
