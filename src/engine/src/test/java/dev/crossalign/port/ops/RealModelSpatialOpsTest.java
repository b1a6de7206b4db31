package dev.crossalign.port.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.backend.Activations;
import dev.crossalign.backend.CapturedTensor;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.port.PortBackend;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.testutil.PortHarness;
import dev.crossalign.testutil.TestModels;
import dev.crossalign.testutil.TfliteOracle;
import dev.crossalign.tflite.Operator;
import dev.crossalign.tflite.Subgraph;
import dev.crossalign.tflite.TfliteModel;
import java.io.IOException;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The spatial ops inside real published models, each fed the interpreter's own inputs (isolated mode) and compared
 * with the interpreter's output for that op. Ops of other families may still be missing from the port; they are
 * simply not compared here, so this test measures the spatial lowerings on real weights and real shapes.
 */
class RealModelSpatialOpsTest {
  private static final Set<String> SPATIAL =
      Set.of("CONV_2D", "DEPTHWISE_CONV_2D", "TRANSPOSE_CONV", "FULLY_CONNECTED", "BATCH_MATMUL", "MAX_POOL_2D",
          "AVERAGE_POOL_2D", "PAD", "PADV2", "MIRROR_PAD", "RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR",
          "DEPTH_TO_SPACE", "SPACE_TO_DEPTH");

  @ParameterizedTest
  @ValueSource(strings = {
      "face_detection_short_range.tflite", "face_detection_full_range.tflite",
      "face_detection_full_range_sparse.tflite", "hand_landmark_lite.tflite", "hand_landmark_full.tflite",
      "pose_landmark_lite.tflite"})
  // not selfie_segmentation: its MediaPipe custom op Convolution2DTransposeBias is unknown to the interpreter
  void spatialOpsMatchTheInterpreterInIsolation(String file) throws IOException {
    byte[] bytes = Files.readAllBytes(TestModels.require(file));
    TfliteModel model = TfliteModel.read(bytes, file);
    Subgraph g = model.main();
    Map<String, Integer> histogram = new TreeMap<>();
    for (Operator op : g.operators()) {
      histogram.merge(op.opName(), 1, Integer::sum);
    }
    // images in [0, 1): what these MediaPipe models are fed after their preprocessing
    Map<Integer, HostTensor> inputs = PortHarness.randomInputs(model, 7, 0, 1);
    Map<Integer, HostTensor> ref = TfliteOracle.run(bytes, inputs);
    Activations.Builder refActs = Activations.builder("tflite");
    Map<String, HostTensor> byName = new LinkedHashMap<>();
    for (Map.Entry<Integer, HostTensor> e : ref.entrySet()) {
      String name = g.tensor(e.getKey()).name();
      byName.put(name, e.getValue());
      refActs.add(name, "?", e.getKey(), e.getValue());
    }
    Map<String, Double> worstPerOp = new TreeMap<>();
    Map<String, Integer> compared = new TreeMap<>();
    try (PortBackend port = PortBackend.open(model, Device.CPU, DeterminismConfig.DETERMINISTIC)) {
      for (var u : port.unsupported()) {
        assertThat(SPATIAL).as("spatial op refused: " + u).doesNotContain(u.op());
      }
      Activations isolated = port.runIsolated(refActs.build());
      for (CapturedTensor c : isolated.tensors()) {
        if (!SPATIAL.contains(c.op())) {
          continue;
        }
        HostTensor r = byName.get(c.name());
        HostTensor t = c.tensor();
        if (t.layout() == Layout.NCHW) {
          t = t.permute(new int[] {0, 2, 3, 1}, Layout.NHWC);
        }
        assertThat(t.shape()).as("shape of " + c.name()).isEqualTo(r.shape());
        double worst = 0;
        double scale = 0;
        for (long i = 0; i < r.numel(); i++) {
          worst = Math.max(worst, Math.abs(r.getDouble(i) - t.getDouble(i)));
          scale = Math.max(scale, Math.abs(r.getDouble(i)));
        }
        // relative to the tensor's own magnitude: real convs sum hundreds of products of unit-scale values
        double rel = worst / Math.max(scale, 1.0);
        worstPerOp.merge(c.op(), rel, Math::max);
        compared.merge(c.op(), 1, Integer::sum);
        assertThat(rel).as(c.op() + " output " + c.name() + " (max |ref| " + scale + ")").isLessThanOrEqualTo(1e-5);
      }
    }
    System.out.println("REAL " + file + " ops " + histogram);
    System.out.println("REAL " + file + " compared " + compared + " worst rel " + worstPerOp);
    assertThat(compared).as("spatial ops compared in " + file).isNotEmpty();
  }
}
