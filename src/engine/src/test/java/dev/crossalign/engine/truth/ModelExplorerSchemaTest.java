package dev.crossalign.engine.truth;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.crossalign.tflite.Operator;
import dev.crossalign.tflite.TfliteModel;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The three overlays of the truth lab ({@code --overlay}, {@code --overlay-bound}, {@code --overlay-diagnosis})
 * against Model Explorer's own definition of a node-data file, written from its sources in google-ai-edge/model-explorer
 * at commit c0f8dbac5cf2cab5169eeefc6e4c2bb57ac25716 (2026-08-21):
 *
 * <ul>
 *   <li>{@code src/ui/src/components/visualizer/common/types.ts} (last changed in c8bf970d): {@code
 *       NodeDataProviderGraphData} = {@code {name?, results: Record<string, NodeDataProviderResultData>, thresholds?:
 *       ThresholdItem[], gradient?: GradientItem[], hideInAggregatedStatsTable?, hideInChildrenStatsTable?,
 *       hideAggregatedStats?, showExpandedSummaryOnGroupNode?, showLabelCountColumnsInChildrenStatsTable?}};
 *       {@code NodeDataProviderResultData} = {@code {value: any, bgColor?: string, textColor?: string}};
 *       {@code ThresholdItem} = {@code {value: number, bgColor: string, textColor?: string}}, "Node data with value
 *       <=10 have red background" for the first item {10, red}: the first item whose value is at least the node's;
 *   <li>{@code src/ui/src/components/visualizer/node_data_provider_extension_service.ts} (last changed in de60cdd9):
 *       {@code getNodeDataProviderData} takes a file whose {@code results} is set and has no {@code results} key of
 *       its own as one graph's data (else the file must be keyed by graph id), {@code getBgColor} scans the
 *       thresholds in order ({@code value <= threshold.value}), and a result key is matched against each op node's
 *       {@code outputsMetadata[*].tensor_name};
 *   <li>{@code src/builtin-adapter/direct_flatbuffer_to_json_graph_convert.cc} (last changed in a76dba9b): the TFLite
 *       adapter's {@code AppendMetadata} sets {@code tensor_name} to the flatbuffer tensor's name.
 * </ul>
 *
 * The npm package {@code ai-edge-model-explorer-visualizer} is not in the registry (npm view: 404), and the
 * visualizer reads a TFLite file only through the Python server's C++ adapter, so the overlay is checked against these
 * definitions rather than loaded in the UI. Run on the "wrong pad" broken port (a failing tensor with a diagnosis).
 */
class ModelExplorerSchemaTest {
  private static final Set<String> GRAPH_DATA_KEYS = Set.of("name", "results", "thresholds", "gradient",
      "hideInAggregatedStatsTable", "hideInChildrenStatsTable", "hideAggregatedStats",
      "showExpandedSummaryOnGroupNode", "showLabelCountColumnsInChildrenStatsTable");
  private static final Set<String> RESULT_KEYS = Set.of("value", "bgColor", "textColor");
  private static final Set<String> THRESHOLD_KEYS = Set.of("value", "bgColor", "textColor");

  @Test
  void everyOverlayIsOneGraphsNodeDataKeyedByTfliteOutputTensorNames() throws Exception {
    TruthLab.Result r = BrokenPortDiagnosisTest.result("wrong pad");
    TfliteModel model = BrokenPortDiagnosisTest.goodModel("wrong pad");
    Set<String> outputs = new HashSet<>();
    for (Operator op : model.main().operators()) {
      for (int o : op.outputs()) {
        outputs.add(model.main().tensor(o).name());
      }
    }
    ObjectMapper json = new ObjectMapper();
    Map<String, JsonNode> overlays = Map.of(
        "floor", json.readTree(TruthLab.overlay(r)),
        "bound", json.readTree(TruthViews.boundOverlay(r)),
        "diagnosis", json.readTree(TruthViews.hypothesisOverlay(r)));
    for (Map.Entry<String, JsonNode> e : overlays.entrySet()) {
      JsonNode root = e.getValue();
      String what = e.getKey();
      assertThat(names(root)).as(what).isSubsetOf(GRAPH_DATA_KEYS).contains("results");
      JsonNode results = root.get("results");
      assertThat(results.isObject()).as(what).isTrue();
      // getNodeDataProviderData: one graph's data only when results has no key "results"
      assertThat(results.has("results")).as(what).isFalse();
      assertThat(names(results)).as(what + ": keys are TFLite output tensor names").isNotEmpty()
          .isSubsetOf(outputs);
      for (String key : names(results)) {
        JsonNode n = results.get(key);
        assertThat(names(n)).as(what + " " + key).isSubsetOf(RESULT_KEYS).contains("value");
        assertThat(n.get("value").isNumber() || n.get("value").isTextual()).as(what + " " + key).isTrue();
        for (String c : List.of("bgColor", "textColor")) {
          if (n.has(c)) {
            assertThat(n.get(c).asText()).as(what + " " + key).matches("#[0-9a-f]{6}");
          }
        }
      }
      if (root.has("thresholds")) {
        double prev = Double.NEGATIVE_INFINITY;
        for (JsonNode t : root.get("thresholds")) {
          assertThat(names(t)).as(what).isSubsetOf(THRESHOLD_KEYS).contains("value", "bgColor");
          assertThat(t.get("value").isNumber()).isTrue();
          assertThat(t.get("value").asDouble()).as(what + ": ascending, as getBgColor scans them").isGreaterThan(prev);
          prev = t.get("value").asDouble();
        }
      }
    }
    // the bound overlay under Model Explorer's threshold rule: the ADD before the broken conv is within its bound
    // (green), the broken conv carries the first failure's own colour
    JsonNode bound = overlays.get("bound");
    assertThat(colour(bound, "pre")).isEqualTo(TruthViews.PASS);
    assertThat(colour(bound, "y")).isEqualTo(TruthViews.FIRST);
    assertThat(overlays.get("diagnosis").get("results").get("y").get("value").asText())
        .contains("broken", "symmetric SAME padding");
  }

  /** The colour Model Explorer gives a node: its own bgColor, else the first threshold at or above its value. */
  private static String colour(JsonNode root, String key) {
    JsonNode n = root.get("results").get(key);
    if (n.has("bgColor")) {
      return n.get("bgColor").asText();
    }
    for (JsonNode t : root.get("thresholds")) {
      if (n.get("value").asDouble() <= t.get("value").asDouble()) {
        return t.get("bgColor").asText();
      }
    }
    return "transparent";
  }

  private static List<String> names(JsonNode n) {
    List<String> out = new ArrayList<>();
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      out.add(it.next());
    }
    return out;
  }
}
