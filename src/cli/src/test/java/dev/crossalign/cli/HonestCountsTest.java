package dev.crossalign.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.crossalign.testutil.TestModels;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.Operator;
import dev.crossalign.tflite.TfliteModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The counts a validation states are the comparisons it made: per pair and mode, weights apart, --mode honoured on
 * ONNX Runtime. Real model: face_detection_short_range (74 DEQUANTIZE ops of fp16 weights).
 */
class HonestCountsTest {
  static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;

  /** pair -> mode -> count, counted from the report's comparisons with status "compared". */
  static Map<String, Map<String, Integer>> countFromTensors(JsonNode doc) {
    Map<String, Map<String, Integer>> m = new TreeMap<>();
    for (JsonNode t : doc.get("tensors")) {
      for (JsonNode c : t.get("comparisons")) {
        if (c.get("status").asText().equals("compared")) {
          m.computeIfAbsent(c.get("pair").asText(), k -> new TreeMap<>()).merge(c.get("mode").asText(), 1,
              Integer::sum);
        }
      }
    }
    return m;
  }

  static Map<String, Map<String, Integer>> countsField(JsonNode doc) {
    Map<String, Map<String, Integer>> m = new TreeMap<>();
    doc.get("comparison_counts").fields().forEachRemaining(p -> {
      Map<String, Integer> modes = new TreeMap<>();
      p.getValue().fields().forEachRemaining(e -> modes.put(e.getKey(), e.getValue().asInt()));
      m.put(p.getKey(), modes);
    });
    return m;
  }

  @Test
  void weightsAreCheckedOnceAndTheVerdictLineCountsWhatWasCompared() throws Exception {
    Path model = TestModels.require("face_detection_short_range.tflite");
    Path json = dir.resolve("r.json");
    CliTestSupport.Run r = CliTestSupport.run("validate", model.toString(), "--json", json.toString(), "-q");
    assertThat(r.status()).as(r.err()).isZero();
    JsonNode doc = JSON.readTree(json.toFile());

    // oracle for the weights: the outputs of the model's DEQUANTIZE ops, whose one input is an fp16 constant
    TfliteModel m = TfliteModel.read(model);
    Set<String> dequantized = new HashSet<>();
    for (Operator op : m.main().operators()) {
      if (op.builtin() == BuiltinOp.DEQUANTIZE && m.isConstant(m.main().tensor(op.inputs()[0]))) {
        dequantized.add(m.main().tensor(op.outputs()[0]).name());
      }
    }
    assertThat(dequantized).hasSize(74);
    Map<String, List<String>> modesOf = new LinkedHashMap<>();
    for (JsonNode t : doc.get("tensors")) {
      for (JsonNode c : t.get("comparisons")) {
        modesOf.computeIfAbsent(t.get("name").asText(), k -> new ArrayList<>()).add(c.get("mode").asText());
      }
    }
    for (String w : dequantized) {
      assertThat(modesOf.get(w)).as(w).containsExactly("weights");
    }
    assertThat(modesOf.entrySet().stream().filter(e -> e.getValue().contains("weights")).map(Map.Entry::getKey))
        .containsExactlyInAnyOrderElementsOf(dequantized);

    Map<String, Map<String, Integer>> counted = countFromTensors(doc);
    assertThat(countsField(doc)).isEqualTo(counted);
    Map<String, Integer> torch = counted.get("tflite~torch");
    assertThat(torch.get("weights")).isEqualTo(74);
    int chained = torch.get("chained");
    int isolated = torch.get("isolated");
    assertThat(r.out().strip()).startsWith("ALIGNED: " + (chained + isolated) + " comparisons (tflite~torch " + chained
        + " chained + " + isolated + " isolated), 74 weight tensors checked once per pair, max rel_l2 ");
  }

  @Test
  void isolatedOnlyMakesNoChainedOnnxRuntimeRunAndComparesTorchWithOnnxRuntime() throws Exception {
    Path model = TestModels.require("face_detection_short_range.tflite");
    Path json = dir.resolve("r.json");
    Path dumps = dir.resolve("dumps");
    CliTestSupport.Run r = CliTestSupport.run("validate", model.toString(), "--backends", "tflite,torch,onnxruntime",
        "--mode", "isolated", "--json", json.toString(), "--dump-dir", dumps.toString(), "-q");
    assertThat(r.status()).as(r.err()).isZero();
    JsonNode doc = JSON.readTree(json.toFile());
    Map<String, Map<String, Integer>> counted = countFromTensors(doc);
    assertThat(counted.keySet()).containsExactlyInAnyOrder("tflite~torch", "tflite~onnxruntime", "torch~onnxruntime");
    for (Map<String, Integer> modes : counted.values()) {
      assertThat(modes.keySet()).containsExactly("isolated");
    }
    int n = counted.get("tflite~torch").get("isolated");
    assertThat(counted.get("torch~onnxruntime").get("isolated")).isEqualTo(n);
    assertThat(counted.get("tflite~onnxruntime").get("isolated")).isEqualTo(n);
    assertThat(r.out().strip()).startsWith("ALIGNED: " + (3 * n) + " comparisons (tflite~torch " + n
        + " isolated; tflite~onnxruntime " + n + " isolated; torch~onnxruntime " + n + " isolated), max rel_l2 ");
    try (Stream<Path> files = Files.list(dumps)) {
      assertThat(files.map(f -> f.getFileName().toString()))
          .containsExactlyInAnyOrder("tflite.npz", "torch.isolated.npz", "onnxruntime.isolated.npz");
    }
  }
}
