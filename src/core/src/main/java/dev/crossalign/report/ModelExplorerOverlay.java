package dev.crossalign.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;

/**
 * Per-node results as a node-data file that Google's Model Explorer loads over the model's graph (its
 * {@code GraphNodeData} JSON: {@code results} keyed by an output tensor name or node id, each {@code {"value": n}}
 * with an optional {@code bgColor}, and {@code thresholds} giving a background color per value range, upper bounds
 * ascending). Keys are TFLite output tensor names, which Model Explorer's TFLite adapter matches against each node's
 * {@code tensor_name} output metadata. This is the one-graph form of Model Explorer's {@code NodeDataProviderGraphData}
 * (src/ui/src/components/visualizer/common/types.ts), which its loader ({@code getNodeDataProviderData} in
 * node_data_provider_extension_service.ts) applies to the graph on screen; ModelExplorerSchemaTest cites the commit.
 * One limit of that form: a model with a tensor literally named "results" would make the loader read the file as keyed
 * by graph id.
 */
public final class ModelExplorerOverlay {
  /** The overlay document's mapper. */
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private ModelExplorerOverlay() {}

  /** One node's value and, when it must stand out whatever its value (a first divergence), its own color. */
  public record NodeValue(double value, String bgColor) {}

  /** A node's text value (Model Explorer shows it as a label) and its background color. */
  public record Label(String text, String bgColor) {}

  /** A value range's upper bound and its background color. */
  public record Threshold(double value, String bgColor) {}

  /**
   * The node-data JSON for {@code results} (insertion order kept) with {@code thresholds} (sorted by value here, as
   * Model Explorer reads them in order). Non-finite values are written as the largest finite double, since JSON has
   * no infinity.
   */
  public static byte[] json(Map<String, NodeValue> results, List<Threshold> thresholds) {
    ObjectMapper mapper = JSON;
    ObjectNode root = mapper.createObjectNode();
    ObjectNode res = root.putObject("results");
    results.forEach((key, v) -> {
      ObjectNode n = res.putObject(key);
      n.put("value", Double.isFinite(v.value()) ? v.value() : Math.copySign(Double.MAX_VALUE, v.value()));
      if (v.bgColor() != null) {
        n.put("bgColor", v.bgColor());
      }
    });
    ArrayNode th = root.putArray("thresholds");
    thresholds.stream().sorted(java.util.Comparator.comparingDouble(Threshold::value)).forEach(t -> {
      ObjectNode n = th.addObject();
      n.put("value", t.value());
      n.put("bgColor", t.bgColor());
    });
    try {
      return mapper.writeValueAsBytes(root);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Node data with text values ({@code {"value": "..."}}, each with its own {@code bgColor}; no thresholds, which
   * apply to numbers only), insertion order kept.
   */
  public static byte[] labels(Map<String, Label> labels) {
    ObjectNode root = JSON.createObjectNode();
    ObjectNode res = root.putObject("results");
    labels.forEach((key, l) -> {
      ObjectNode n = res.putObject(key);
      n.put("value", l.text());
      if (l.bgColor() != null) {
        n.put("bgColor", l.bgColor());
      }
    });
    try {
      return JSON.writeValueAsBytes(root);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
