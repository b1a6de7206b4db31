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
import dev.crossalign.tflite.Subgraph;
import dev.crossalign.tflite.TfliteModel;
import java.nio.file.Files;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The shape ops as they occur in published models, checked in isolated mode: each lowered op is fed the
 * interpreter's own tensors for its inputs, so the ops of this family are measured on real data even where other
 * ops of the model are not lowered yet. RESHAPE/CONCATENATION must be bit-exact; MEAN (global average pooling over
 * up to 128x72 = 9216 terms) is held to 1e-5 because the summation order differs from TFLite's.
 */
class RealModelShapeOpsTest {
  private static final Set<String> FAMILY = Set.of("RESHAPE", "CONCATENATION", "MEAN");

  static Stream<Arguments> models() {
    return Stream.of(
        // model, ops that must be present and compared
        Arguments.of("face_detection_short_range.tflite", Map.of("RESHAPE", 4, "CONCATENATION", 2)),
        Arguments.of("face_detection_full_range_sparse.tflite", Map.of("RESHAPE", 2)),
        Arguments.of("face_detection_full_range.tflite", Map.of("RESHAPE", 2)),
        Arguments.of("pose_landmark_lite.tflite", Map.of("RESHAPE", 3)),
        Arguments.of("hand_landmark_lite.tflite", Map.of("MEAN", 1)),
        Arguments.of("hand_landmark_full.tflite", Map.of("MEAN", 1)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void familyOpsAgreeInIsolatedMode(String file, Map<String, Integer> expected) throws Exception {
    byte[] bytes = Files.readAllBytes(TestModels.require(file));
    TfliteModel model = TfliteModel.read(bytes, file);
    Subgraph g = model.main();
    Map<Integer, HostTensor> inputs = PortHarness.randomInputs(model, 11, -1, 1);
    Map<Integer, HostTensor> ref = TfliteOracle.run(bytes, inputs);
    Activations.Builder refActs = Activations.builder("tflite");
    Map<String, HostTensor> byName = new TreeMap<>();
    for (Map.Entry<Integer, HostTensor> e : ref.entrySet()) {
      String name = g.tensor(e.getKey()).name();
      byName.put(name, e.getValue());
      refActs.add(name, "?", e.getKey(), e.getValue());
    }
    Map<String, Integer> compared = new TreeMap<>();
    double worstMove = 0;
    double worstMean = 0;
    try (PortBackend port = PortBackend.open(model, Device.CPU, DeterminismConfig.DETERMINISTIC)) {
      assertThat(port.unsupported()).as("family ops refused").noneMatch(u -> FAMILY.contains(u.op()));
      // A chained run first: where every op is lowered it also records which values flow NCHW, and the isolated
      // run then feeds this family's ops their inputs in that layout (the layout path real models take).
      Map<String, Double> chainedWorst = new TreeMap<>();
      if (port.unsupported().isEmpty()) {
        Map<String, HostTensor> named = new TreeMap<>();
        inputs.forEach((k, v) -> named.put(g.tensor(k).name(), v));
        for (CapturedTensor c : port.run(named).tensors()) {
          if (FAMILY.contains(c.op())) {
            chainedWorst.merge(c.op(), maxAbs(byName.get(c.name()), c.tensor()), Math::max);
          }
        }
      }
      System.out.printf("[shape-ops] real %s unsupported %s chained worst per family op %s%n", file,
          port.unsupported(), chainedWorst);
      Activations iso = port.runIsolated(refActs.build());
      for (CapturedTensor c : iso.tensors()) {
        if (!FAMILY.contains(c.op())) {
          continue;
        }
        HostTensor r = byName.get(c.name());
        assertThat(r).as("reference tensor " + c.name()).isNotNull();
        double worst = maxAbs(r, c.tensor());
        if (c.op().equals("MEAN")) {
          worstMean = Math.max(worstMean, worst);
          assertThat(worst).as("MEAN " + c.name()).isLessThanOrEqualTo(1e-5);
        } else {
          worstMove = Math.max(worstMove, worst);
          assertThat(worst).as(c.op() + " " + c.name()).isEqualTo(0.0);
        }
        compared.merge(c.op(), 1, Integer::sum);
      }
    }
    assertThat(compared).as("family ops compared").isEqualTo(new TreeMap<>(expected));
    System.out.printf("[shape-ops] real %s compared %s worst data-movement %.3g worst MEAN %.3g%n", file, compared,
        worstMove, worstMean);
  }

  private static double maxAbs(HostTensor r, HostTensor cand) {
    HostTensor t = cand.layout() == Layout.NCHW ? cand.permute(new int[] {0, 2, 3, 1}, Layout.NHWC) : cand;
    assertThat(t.shape()).as("shape").isEqualTo(r.shape());
    double worst = 0;
    for (long i = 0; i < r.numel(); i++) {
      worst = Math.max(worst, Math.abs(r.getDouble(i) - t.getDouble(i)));
    }
    return worst;
  }
}
