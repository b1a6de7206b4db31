package dev.crossalign.engine.compare;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.crossalign.engine.compare.TensorMatch.Method;
import java.util.List;
import java.util.Locale;

/**
 * How the tensors of the two sides were paired: counts per method over the reference's tensors (its captured,
 * input-dependent tensors other than the model inputs), every pair, the input pairings and what stayed unpaired.
 *
 * @param byName pairs found by equal names
 * @param byStructure pairs found by walking both graphs
 * @param byValue pairs found by value fingerprint
 * @param byOutputOrder model outputs paired by position
 * @param unmatched reference tensors left unpaired
 * @param referenceTensors the reference tensors counted
 * @param inputs the input pairings (a = the driving side's input, b = the other's)
 * @param drivingSide "a" or "b": whose inputs were generated or given
 * @param pairs every pair, inputs included, in the reference's topological order
 * @param unmatchedTensors names of the reference tensors left unpaired
 */
public record Matching(
    int byName,
    int byStructure,
    int byValue,
    int byOutputOrder,
    int unmatched,
    int referenceTensors,
    List<InputPairing> inputs,
    String drivingSide,
    List<TensorMatch> pairs,
    List<String> unmatchedTensors) {

  public Matching {
    inputs = List.copyOf(inputs);
    pairs = List.copyOf(pairs);
    unmatchedTensors = List.copyOf(unmatchedTensors);
  }

  /** One line for the console and the notes. */
  public String summary() {
    return String.format(Locale.ROOT,
        "matching: %d of %d reference tensors paired (%d by name, %d by structure, %d by value, %d outputs by"
            + " order), %d unmatched",
        referenceTensors - unmatched, referenceTensors, byName, byStructure, byValue, byOutputOrder, unmatched);
  }

  /** The "matching" object of the JSON report. Deterministic: same inputs, same bytes. */
  public ObjectNode toJson() {
    JsonNodeFactory f = JsonNodeFactory.instance;
    ObjectNode o = f.objectNode();
    o.put("matched_by_name", byName);
    o.put("matched_by_structure", byStructure);
    o.put("matched_by_value", byValue);
    o.put("matched_by_output_order", byOutputOrder);
    o.put("unmatched", unmatched);
    o.put("reference_tensors", referenceTensors);
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
    }
    ArrayNode un = o.putArray("unmatched_tensors");
    unmatchedTensors.forEach(un::add);
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

  static Matching of(List<TensorMatch> pairs, List<String> counted, List<InputPairing> inputs, String driving) {
    int name = 0;
    int structure = 0;
    int value = 0;
    int order = 0;
    java.util.Set<String> paired = new java.util.HashSet<>();
    for (TensorMatch m : pairs) {
      paired.add(m.a());
    }
    for (TensorMatch m : pairs) {
      if (!counted.contains(m.a())) {
        continue;
      }
      switch (m.method()) {
        case NAME -> name++;
        case STRUCTURE -> structure++;
        case VALUE -> value++;
        case OUTPUT_ORDER -> order++;
        case INPUT -> { }
      }
    }
    List<String> unmatched = counted.stream().filter(n -> !paired.contains(n)).toList();
    return new Matching(name, structure, value, order, unmatched.size(), counted.size(), inputs, driving, pairs,
        unmatched);
  }

  /** Count of pairs found by {@code m}. */
  public int count(Method m) {
    return switch (m) {
      case NAME -> byName;
      case STRUCTURE -> byStructure;
      case VALUE -> byValue;
      case OUTPUT_ORDER -> byOutputOrder;
      case INPUT -> inputs.size();
    };
  }
}
