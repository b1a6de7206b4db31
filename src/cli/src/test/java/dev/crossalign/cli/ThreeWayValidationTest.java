package dev.crossalign.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.onnx.OrtBackend;
import dev.crossalign.backend.onnx.OrtOptions;
import dev.crossalign.engine.InputGenerator;
import dev.crossalign.onnx.OnnxModel;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.testutil.TestModels;
import dev.crossalign.testutil.TfliteOracle;
import dev.crossalign.tflite.TfliteModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/** tflite, torch and onnxruntime compared three ways in one run; the exported file alone reproduces TFLite's outputs. */
class ThreeWayValidationTest {
  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(strings = {"face_detection_short_range.tflite", "face_detection_full_range_sparse.tflite", "hand_landmark_lite.tflite",
      "face_landmark.tflite", "palm_detection_lite.tflite"})
  void everyLayerOnAllThreePairsAndTheExportAlone(String file) throws Exception {
    Path model = TestModels.require(file);
    Path json = dir.resolve("r.json");
    Path onnx = dir.resolve("out.onnx");
    CliTestSupport.Run r = CliTestSupport.run("validate", model.toString(), "--backends", "tflite,torch,onnxruntime",
        "--export-onnx", onnx.toString(), "--json", json.toString(), "--seed", "3", "-q");
    assertThat(r.status()).as(r.out() + r.err()).isZero();
    JsonNode doc = new ObjectMapper().readTree(json.toFile());
    Set<String> pairs = new HashSet<>();
    Set<String> ortIsolated = new HashSet<>();
    Set<String> torchIsolated = new HashSet<>();
    Set<String> exportIsolated = new HashSet<>();
    for (JsonNode t : doc.get("tensors")) {
      for (JsonNode c : t.get("comparisons")) {
        pairs.add(c.get("pair").asText());
        if (c.get("mode").asText().equals("isolated")) {
          String pair = c.get("pair").asText();
          (pair.equals("tflite~onnxruntime") ? ortIsolated : pair.equals("tflite~torch") ? torchIsolated
              : exportIsolated).add(t.get("name").asText());
        }
        assertThat(c.get("pass").asBoolean()).as(t.get("name") + " " + c.get("pair")).isTrue();
      }
    }
    assertThat(pairs).containsExactlyInAnyOrder("tflite~torch", "tflite~onnxruntime", "torch~onnxruntime");
    // isolated per-layer error on ONNX Runtime too (the model's isolated form, fed the reference's tensors)
    assertThat(ortIsolated).isNotEmpty().isEqualTo(torchIsolated);
    // and the export's own error per layer: port and ONNX Runtime, each op fed the same reference tensors
    assertThat(exportIsolated).isEqualTo(torchIsolated);

    // the written file, run alone in ORT on the same input, gives TFLite's outputs (oracle: the real interpreter)
    TfliteModel m = TfliteModel.read(model);
    Map<String, HostTensor> inputs = InputGenerator.inputs(m, 3, -1, 1, Map.of());
    Map<Integer, HostTensor> byIndex = new LinkedHashMap<>();
    for (int idx : m.main().inputs()) {
      byIndex.put(idx, inputs.get(m.main().tensor(idx).name()));
    }
    Map<Integer, HostTensor> ref = TfliteOracle.run(Files.readAllBytes(model), byIndex);
    try (OrtBackend ort = OrtBackend.open(OnnxModel.read(onnx), OrtOptions.DEFAULT.withCaptureIntermediates(false))) {
      Activations out = ort.run(inputs);
      for (int o : m.main().outputs()) {
        HostTensor a = ref.get(o);
        HostTensor b = out.tensor(m.main().tensor(o).name());
        assertThat(b.shape()).isEqualTo(a.shape());
        double num = 0;
        double den = 0;
        for (long i = 0; i < a.numel(); i++) {
          double d = a.getDouble(i) - b.getDouble(i);
          num += d * d;
          den += a.getDouble(i) * a.getDouble(i);
        }
        assertThat(Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30)).as("rel_l2 of output " + o).isLessThanOrEqualTo(1e-5);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"nhwc", "nchw"})
  void convertWritesALoadableModel(String layout) throws Exception {
    Path model = TestModels.require("face_detection_short_range.tflite");
    Path onnx = dir.resolve("c.onnx");
    CliTestSupport.Run r = CliTestSupport.run("convert", model.toString(), "-o", onnx.toString(), "--onnx-layout", layout);
    assertThat(r.status()).as(r.err()).isZero();
    OnnxModel om = OnnxModel.read(onnx);
    int[] expect = layout.equals("nhwc") ? new int[] {1, 128, 128, 3} : new int[] {1, 3, 128, 128};
    assertThat(om.inputs().get(0).shape()).containsExactly(java.util.Arrays.stream(expect).asLongStream().toArray());
  }

  @org.junit.jupiter.api.Test
  void convertRefusesACustomOpWithExit3() throws java.io.IOException {
    Path model = CliTestSupport.unknownCustomOpModel(dir, "NoSuchExportOp");
    CliTestSupport.Run r = CliTestSupport.run("convert", model.toString(), "-o", dir.resolve("x.onnx").toString());
    assertThat(r.status()).isEqualTo(3);
    assertThat(r.err()).contains("NoSuchExportOp");
    assertThat(dir.resolve("x.onnx")).doesNotExist();
  }
}
