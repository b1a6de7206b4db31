package dev.crossalign.engine.truth;

import dev.crossalign.align.TruthTable;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.crossalign.align.ErrorMeasure;
import dev.crossalign.align.TruthError;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.engine.InputGenerator;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.testutil.TestModels;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteModel;
import dev.crossalign.tflite.TfliteWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The float64 truth: closed forms for the error measure, a saturated sigmoid whose exact values are known (where
 * ONNX Runtime's CPU kernel is off and TFLite and the port are not), and a real model whose every op gets a truth.
 */
class TruthLabTest {

  @Test
  void errorMeasureClosedForm() {
    HostTensor truth = f64(new double[] {1.0, 1e-4, -2.0, 0.0});
    HostTensor value = HostTensor.ofFloats(new int[] {4}, Layout.ANY, new float[] {1.0f, 1.001e-4f, -2.0f, 0.0f});
    TruthError e = TruthError.of(truth, value);
    double d = Math.abs((double) 1.001e-4f - 1e-4);
    assertThat(e.maxAbs()).isCloseTo(d, within(1e-15));
    assertThat(e.maxRelErr()).isCloseTo(d / (1e-4 + 1e-6 * 2.0 + Double.MIN_NORMAL), within(1e-9));
    assertThat(e.scaledMaxAbs()).isCloseTo(d / 2.0, within(1e-15));
    assertThat(e.worstIndex()).isEqualTo(1);
    assertThat(e.under(ErrorMeasure.ELEMENT_RELATIVE)).isEqualTo(e.maxRelErr());
    assertThat(e.under(ErrorMeasure.SCALE_RELATIVE)).isEqualTo(e.scaledMaxAbs());
    // the float32 floor of a value is at most half an ulp, relative 2^-24
    assertThat(TruthError.floor(f64(new double[] {Math.PI, 1.0 / 3})).maxRelErr()).isLessThanOrEqualTo(0x1p-24);
    // NaN where the truth is finite is an infinite error, never a small one
    TruthError nan = TruthError.of(f64(new double[] {1.0}), HostTensor.ofFloats(new int[] {1}, Layout.ANY,
        new float[] {Float.NaN}));
    assertThat(nan.maxRelErr()).isInfinite();
  }

  @Test
  void saturatedSigmoidNamesTheBackendOffTheTruth() {
    // sigmoid(x) for x far below 0 is exp(x) to float32 precision; exact values are known in double.
    double[] xs = {-8.7164, -9.5, -10.25, -11.0, -12.5, -14.0, -15.75, -16.0, -6.0, -3.0, 0.5, 2.0};
    TfliteWriter wr = new TfliteWriter();
    int x = wr.input("x", TensorType.FLOAT32, 1, xs.length);
    int y = wr.tensor("y", TensorType.FLOAT32, 1, xs.length);
    wr.op(BuiltinOp.LOGISTIC, new OpOptions.None(), new int[] {x}, new int[] {y});
    wr.outputs(y);
    TfliteModel model = TfliteModel.read(wr.build(), "sigmoid");
    float[] in = new float[xs.length];
    for (int i = 0; i < xs.length; i++) {
      in[i] = (float) xs[i];
    }
    Map<String, HostTensor> inputs = Map.of("x", HostTensor.ofFloats(new int[] {1, xs.length}, Layout.ANY, in));
    TruthLab.Result r = TruthLab.run(new TruthLab.Request(model, inputs, true, DeterminismConfig.DETERMINISTIC));

    assertThat(r.rows()).hasSize(1);
    TruthTable.Row row = r.rows().get(0);
    assertThat(row.measure()).isEqualTo(ErrorMeasure.ELEMENT_RELATIVE);
    // the truth itself, checked against the closed form 1 / (1 + exp(-x)) of the float32 inputs
    TruthTable.BackendError tflite = error(row, "tflite");
    TruthTable.BackendError torch = error(row, "torch");
    TruthTable.BackendError ort = error(row, "onnxruntime");
    // TFLite and the port round the exact sigmoid to float32: within a few times the floor
    assertThat(tflite.error().maxRelErr()).isLessThan(4 * 0x1p-24 * 4);
    assertThat(torch.error().maxRelErr()).isLessThan(4 * 0x1p-24 * 4);
    // ONNX Runtime's CPU Sigmoid is off by ~3e-4 relative in saturation (issue 13's x = -8.7164 case)
    assertThat(ort.error().maxRelErr()).isGreaterThan(1e-5);
    assertThat(row.furthest()).isEqualTo("onnxruntime");
    assertThat(r.furthest().backend()).isEqualTo("onnxruntime");
    assertThat(r.furthest().worstFloorFactor()).isGreaterThan(100);
  }

  @Test
  void everyOpOfARealModelHasATruthAndTheBackendsStayNearIt() {
    TfliteModel model = TfliteModel.read(TestModels.require("face_detection_short_range.tflite"));
    Map<String, HostTensor> inputs = InputGenerator.inputs(model, 0, -1, 1, Map.of());
    TruthLab.Result r = TruthLab.run(new TruthLab.Request(model, inputs, true, DeterminismConfig.DETERMINISTIC));
    // every op output that runs (164 ops less the 74 DEQUANTIZE of fp16 weights, folded at load: 90) has a truth
    // and three backends measured
    long running = model.main().operators().stream().filter(o -> !o.opName().equals("DEQUANTIZE")).count();
    assertThat(running).isEqualTo(90);
    assertThat(r.rows()).hasSize(90);
    // an op that every backend computes exactly (RELU, PAD) names no backend as furthest
    assertThat(r.rows()).filteredOn(row -> row.op().equals("RELU")).allSatisfy(row -> assertThat(row.furthest())
        .isNull());
    assertThat(r.rows()).allSatisfy(row -> assertThat(row.errors()).extracting(TruthTable.BackendError::backend)
        .containsExactly("tflite", "torch", "onnxruntime"));
    // no backend is far from the truth on this model: float32 accumulation stays within 100x the floor
    assertThat(r.backends()).allSatisfy(b -> assertThat(b.worstFloorFactor()).as(b.toString()).isLessThan(100));
    assertThat(r.notes()).isEmpty();
    checkOverlay(r);
  }

  /** The overlay against Model Explorer's documented GraphNodeData schema (node_data_builder.py). */
  private static void checkOverlay(TruthLab.Result r) {
    com.fasterxml.jackson.databind.JsonNode root;
    try {
      root = new com.fasterxml.jackson.databind.ObjectMapper().readTree(TruthLab.overlay(r));
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
    java.util.Set<String> allowed = java.util.Set.of("results", "thresholds", "gradient", "hideInAggregatedStatsTable",
        "hideInChildrenStatsTable", "hideAggregatedStats", "showExpandedSummaryOnGroupNode",
        "showLabelCountColumnsInChildrenStatsTable");
    assertThat(root.fieldNames()).toIterable().allSatisfy(f -> assertThat(allowed).contains(f));
    var results = root.get("results");
    assertThat(results.isObject()).isTrue();
    assertThat(results.fieldNames()).toIterable()
        .containsExactlyElementsOf(r.rows().stream().map(TruthTable.Row::tensor).toList());
    results.elements().forEachRemaining(n -> {
      assertThat(n.get("value").isNumber()).isTrue();
      assertThat(n.fieldNames()).toIterable().allSatisfy(f -> assertThat(f).isIn("value", "bgColor", "textColor"));
    });
    var thresholds = root.get("thresholds");
    double last = Double.NEGATIVE_INFINITY;
    for (var t : thresholds) {
      assertThat(t.get("value").asDouble()).isGreaterThan(last);
      last = t.get("value").asDouble();
      assertThat(t.get("bgColor").asText()).matches("#[0-9a-f]{6}");
    }
  }

  private static TruthTable.BackendError error(TruthTable.Row row, String backend) {
    return row.errors().stream().filter(e -> e.backend().equals(backend)).findFirst().orElseThrow();
  }

  private static HostTensor f64(double[] v) {
    ByteBuffer b = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    for (double d : v) {
      b.putDouble(d);
    }
    b.flip();
    return HostTensor.wrap(DType.FLOAT64, new int[] {v.length}, Layout.ANY, b);
  }
}
