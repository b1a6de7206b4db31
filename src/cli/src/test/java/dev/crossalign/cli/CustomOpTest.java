package dev.crossalign.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.testutil.TestModels;
import dev.crossalign.tflite.Activation;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteModel;
import dev.crossalign.tflite.TfliteWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Models with custom ops TFLite has no kernel for: validate runs the reference with zero-writing placeholders, names
 * each such op as unsupported, compares every other layer (isolated mode downstream of the placeholders too) and exits
 * 3 (INCOMPLETE), since a model output has no true reference value. MediaPipe's ops are the exceptions:
 * Convolution2DTransposeBias runs on TFLite's XNNPACK delegate kernel (the selfie models), and the attention-mesh ops
 * of face_landmark_with_attention on crossalign's transcription of MediaPipe's kernels, so those models are complete.
 */
class CustomOpTest {
  @TempDir Path dir;

  /** One report, read back: comparisons by mode, with their tensor names. */
  private record Report(int status, String err, JsonNode doc) {
    List<JsonNode> comparisons(String mode) {
      List<JsonNode> l = new ArrayList<>();
      for (JsonNode t : doc.get("tensors")) {
        for (JsonNode c : t.get("comparisons")) {
          if (c.get("mode").asText().equals(mode)) {
            ((com.fasterxml.jackson.databind.node.ObjectNode) c).put("tensor", t.get("name").asText());
            l.add(c);
          }
        }
      }
      return l;
    }

    Set<String> names(List<JsonNode> cs, String status) {
      Set<String> s = new HashSet<>();
      cs.stream().filter(c -> c.get("status").asText().equals(status)).forEach(c -> s.add(c.get("tensor").asText()));
      return s;
    }
  }

  private Report validate(Path model) throws Exception {
    return validate(model, "tflite,torch");
  }

  private Report validate(Path model, String backends) throws Exception {
    Path json = dir.resolve("report.json");
    CliTestSupport.Run r = CliTestSupport.run(
        "validate", model.toString(), "--backends", backends, "--mode", "both", "--json", json.toString(), "-q");
    return new Report(r.status(), r.out() + r.err(), new ObjectMapper().readTree(json.toFile()));
  }

  /** Names of the tensors produced by the {@code customCode} ops. */
  private static Set<String> outputsOf(Path model, String customCode) {
    var g = TfliteModel.read(model).main();
    Set<String> out = new HashSet<>();
    for (var op : g.operators()) {
      if (customCode.equals(op.customCode())) {
        for (int o : op.outputs()) {
          out.add(g.tensors().get(o).name());
        }
      }
    }
    return out;
  }

  /** Names of the tensors produced by ops that consume an output of a {@code customCode} op (the pure-Java reader). */
  private static Set<String> consumersOf(Path model, String customCode) {
    TfliteModel m = TfliteModel.read(model);
    var g = m.main();
    Set<Integer> custom = new HashSet<>();
    for (var op : g.operators()) {
      if (customCode.equals(op.customCode())) {
        for (int o : op.outputs()) {
          custom.add(o);
        }
      }
    }
    Set<String> out = new HashSet<>();
    for (var op : g.operators()) {
      for (int i : op.inputs()) {
        if (custom.contains(i)) {
          for (int o : op.outputs()) {
            out.add(g.tensors().get(o).name());
          }
        }
      }
    }
    return out;
  }

  /**
   * Output names of every op that runs at inference time, custom ops included when {@code custom} (DEQUANTIZE/DENSIFY
   * of weights are constant-folded by the port and compared in chained mode only), read with the pure-Java reader.
   */
  private static Set<String> runtimeOutputs(Path model, boolean custom) {
    TfliteModel m = TfliteModel.read(model);
    var g = m.main();
    Set<String> out = new HashSet<>();
    for (var op : g.operators()) {
      if ((custom || op.customCode() == null) && op.builtin() != BuiltinOp.DEQUANTIZE && op.builtin() != BuiltinOp.DENSIFY) {
        for (int o : op.outputs()) {
          out.add(g.tensors().get(o).name());
        }
      }
    }
    return out;
  }

  /**
   * MediaPipe's Convolution2DTransposeBias has a reference kernel (TFLite's XNNPACK delegate, in a one-op interpreter)
   * and a port lowering with ONNX export: both selfie models are compared whole, three ways, and nothing is left out.
   */
  @ParameterizedTest
  @ValueSource(strings = {"selfie_segmentation.tflite", "selfie_segmentation_landscape.tflite"})
  void selfieModelsAreCompleteAndAlignedThreeWay(String name) throws Exception {
    Path model = TestModels.require(name);
    Report r = validate(model, "tflite,torch,onnxruntime");
    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.doc().get("verdict").asText()).isEqualTo("aligned");
    assertThat(r.doc().get("unsupported")).isEmpty();
    assertThat(r.doc().get("config").toString())
        .contains("nodes [244] (custom ops Convolution2DTransposeBias) ran on TFLite's XNNPACK delegate kernel (fp32)")
        .doesNotContain("placeholder");
    // 136 runtime ops (and 110 weight DEQUANTIZEs), the custom op included: each compared per op and chained
    Set<String> runtime = runtimeOutputs(model, true);
    assertThat(runtime).hasSize(136);
    List<JsonNode> isolated = r.comparisons("isolated");
    List<JsonNode> chained = r.comparisons("chained");
    assertThat(r.names(isolated, "compared")).isEqualTo(runtime);
    assertThat(r.names(chained, "compared")).containsAll(runtime);
    assertThat(r.names(chained, "missing")).isEmpty();
    assertThat(isolated).hasSize(3 * 136); // three pairs
    assertThat(chained).allSatisfy(c -> assertThat(c.get("pass").asBoolean()).as(c.get("tensor").asText()).isTrue());
    assertThat(isolated).allSatisfy(c -> assertThat(c.get("pass").asBoolean()).as(c.get("tensor").asText()).isTrue());
    Set<String> deconv = outputsOf(model, "Convolution2DTransposeBias");
    assertThat(deconv).hasSize(1);
    List<JsonNode> rows = new ArrayList<>(chained);
    rows.addAll(isolated);
    rows.removeIf(c -> !deconv.contains(c.get("tensor").asText()));
    assertThat(rows).hasSize(6);
    for (JsonNode c : rows) {
      System.out.printf("%s %s %s %s: max_abs %.3g rel_l2 %.3g (ref range [%.4g, %.4g])%n", name, deconv,
          c.get("pair").asText(), c.get("mode").asText(), c.get("max_abs").asDouble(), c.get("rel_l2").asDouble(),
          c.get("min_ref").asDouble(), c.get("max_ref").asDouble());
      assertThat(c.get("rel_l2").asDouble()).isLessThan(1e-5); // measured <= 2.1e-6
      assertThat(c.get("max_ref").asDouble() - c.get("min_ref").asDouble()).as("not a zero placeholder").isGreaterThan(1);
    }
  }

  /**
   * face_landmark_with_attention's three MediaPipe ops (Landmarks2TransformMatrix, TransformTensorBilinear,
   * TransformLandmarks) run on crossalign's transcription of MediaPipe's kernels in the reference and on the port's
   * generated code and its ONNX export: all three pairs compare every op output in both modes, the three ops' and
   * their consumers' included, and the model is ALIGNED (no placeholder, nothing unsupported).
   */
  @Test
  void faceLandmarkWithAttentionIsComparedWholeThroughItsThreeMediapipeOps() throws Exception {
    Path model = TestModels.require("face_landmark_with_attention.tflite");
    Report r = validate(model, "tflite,torch,onnxruntime");
    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.doc().get("verdict").asText()).isEqualTo("aligned");
    assertThat(r.doc().get("unsupported")).isEmpty();
    assertThat(r.doc().get("config").get("tflite.mediapipe_kernels").asText())
        .contains("Java transcription of MediaPipe's TFLite kernels").contains("not a compiled MediaPipe kernel");
    List<JsonNode> isolated = r.comparisons("isolated");
    List<JsonNode> chained = r.comparisons("chained");
    assertThat(r.names(isolated, "compared")).isEqualTo(runtimeOutputs(model, true));
    for (String op : List.of("Landmarks2TransformMatrix", "TransformTensorBilinear", "TransformLandmarks")) {
      assertThat(r.names(isolated, "compared")).as(op).containsAll(outputsOf(model, op))
          .containsAll(consumersOf(model, op));
      assertThat(r.names(chained, "compared")).as(op).containsAll(outputsOf(model, op));
    }
    assertThat(isolated).allSatisfy(c -> assertThat(c.get("pass").asBoolean()).as(c.get("tensor").asText()).isTrue());
    assertThat(chained).allSatisfy(c -> assertThat(c.get("pass").asBoolean()).as(c.get("tensor").asText()).isTrue());
  }

  /** A model from the 'extra' folder beside the models folder; skipped when absent (failed with CI=true). */

  /** x -> MyCustom -> c (static [1,2,3,4]) -> ADD(c, k) -> y; z = ADD(x, x) does not depend on the custom op. */
  @Test
  void writerBuiltCustomOpGivesZerosAndAnIsolatedAdd() throws Exception {
    float[] k = new float[24];
    SplittableRandom rnd = new SplittableRandom(3);
    double sum = 0;
    float max = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < k.length; i++) {
      k[i] = (float) rnd.nextDouble(-2, 2);
      sum += k[i];
      max = Math.max(max, k[i]);
    }
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, 1, 4, 4, 3);
    int c = w.tensor("c", TensorType.FLOAT32, 1, 2, 3, 4);
    w.custom("MyCustom", new int[] {x}, new int[] {c}, null);
    int kc = w.constant("k", HostTensor.ofFloats(new int[] {1, 2, 3, 4}, Layout.ANY, k));
    int y = w.tensor("y", TensorType.FLOAT32, 1, 2, 3, 4);
    w.op(BuiltinOp.ADD, new OpOptions.Arithmetic(11, Activation.NONE), new int[] {c, kc}, new int[] {y});
    int z = w.tensor("z", TensorType.FLOAT32, 1, 4, 4, 3);
    w.op(BuiltinOp.ADD, new OpOptions.Arithmetic(11, Activation.NONE), new int[] {x, x}, new int[] {z});
    w.outputs(y, z);
    Path model = dir.resolve("custom_add.tflite");
    Files.write(model, w.build());

    Report r = validate(model);
    assertThat(r.status()).as(r.err()).isEqualTo(3);
    assertThat(r.err()).contains("MyCustom");
    List<JsonNode> isolated = r.comparisons("isolated");
    JsonNode yIso = isolated.stream().filter(n -> n.get("tensor").asText().equals("y")).findFirst().orElseThrow();
    assertThat(yIso.get("pass").asBoolean()).isTrue();
    // Closed form: the placeholder wrote c = 0, so the reference's y = 0 + k = k exactly, and so does the port's ADD.
    assertThat(yIso.get("mean_ref").asDouble()).isCloseTo(sum / k.length, org.assertj.core.data.Offset.offset(1e-6));
    assertThat(yIso.get("max_ref").asDouble()).isEqualTo((double) max);
    assertThat(yIso.get("max_abs").asDouble()).isZero();
    List<JsonNode> chained = r.comparisons("chained");
    assertThat(r.names(chained, "compared")).contains("z").doesNotContain("y", "c");
    assertThat(r.names(chained, "missing")).containsExactly("y");
    assertThat(r.names(isolated, "compared")).contains("y", "z").doesNotContain("c");

    // Isolated mode alone: y is compared per op, yet the model output has no true reference value: still exit 3.
    CliTestSupport.Run iso = CliTestSupport.run("validate", model.toString(), "--backends", "tflite,torch", "--mode",
        "isolated", "-q");
    assertThat(iso.status()).as(iso.out() + iso.err()).isEqualTo(3);
  }
}
