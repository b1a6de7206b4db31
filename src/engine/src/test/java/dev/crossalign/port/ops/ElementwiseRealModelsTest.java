package dev.crossalign.port.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.backend.Activations;
import dev.crossalign.backend.CapturedTensor;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.port.PortBackend;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.Operator;
import dev.crossalign.tflite.TfliteModel;
import dev.crossalign.testutil.PortHarness;
import dev.crossalign.testutil.TestModels;
import dev.crossalign.testutil.TfliteOracle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The elementwise ops inside real published models, run in isolated mode: each op is fed the interpreter's own tensors
 * for its inputs, so its output is compared on real activations whatever the rest of the port supports.
 */
class ElementwiseRealModelsTest {
  private static final Set<String> OURS =
      Set.of(
          "ADD", "SUB", "MUL", "DIV", "SQUARED_DIFFERENCE", "MAXIMUM", "MINIMUM", "POW", "SQRT", "RSQRT", "EXP",
          "LOG", "ABS", "NEG", "RELU", "RELU6", "RELU_N1_TO_1", "LEAKY_RELU", "ELU", "GELU", "LOGISTIC", "TANH",
          "HARD_SWISH", "PRELU", "SOFTMAX", "LOG_SOFTMAX", "CAST");

  /**
   * atol 1e-5: the ops here are bit-exact on writer-built inputs except the transcendental ones (LOGISTIC, TANH, EXP),
   * which differ by about an ulp; real activations reach magnitudes of ~100, where an ulp is ~1e-5.
   */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "face_detection_short_range.tflite",
        "face_detection_full_range.tflite",
        "face_detection_full_range_sparse.tflite",
        "hand_landmark_lite.tflite",
        "hand_landmark_full.tflite",
        "pose_landmark_lite.tflite"
        // selfie_segmentation*.tflite need MediaPipe's custom Convolution2DTransposeBias, which the stock
        // interpreter (the oracle here) does not have: AllocateTensors fails.
      })
  void isolatedElementwiseOpsMatchTheInterpreter(String file) throws Exception {
    Path path = TestModels.require(file);
    byte[] bytes = Files.readAllBytes(path);
    TfliteModel model = TfliteModel.read(bytes, file);
    Map<Integer, HostTensor> inputs = PortHarness.randomInputs(model, 7, 0, 1);
    Map<Integer, HostTensor> ref = TfliteOracle.run(bytes, inputs);
    Activations.Builder refActs = Activations.builder("tflite");
    for (Map.Entry<Integer, HostTensor> e : ref.entrySet()) {
      refActs.add(model.main().tensor(e.getKey()).name(), "?", e.getKey(), e.getValue());
    }
    Map<String, HostTensor> named = new LinkedHashMap<>();
    for (Map.Entry<Integer, HostTensor> e : inputs.entrySet()) {
      named.put(model.main().tensor(e.getKey()).name(), e.getValue());
    }
    Map<Integer, String> ours = new HashMap<>();
    for (Operator op : model.main().operators()) {
      if (OURS.contains(op.opName())) {
        ours.put(op.outputs()[0], op.opName());
      }
    }
    Map<String, Double> worstPerOp = new TreeMap<>();
    Map<String, Integer> countPerOp = new TreeMap<>();
    try (PortBackend port = PortBackend.open(model, Device.CPU, DeterminismConfig.DETERMINISTIC)) {
      assertThat(port.unsupported()).as("our ops all lower").noneMatch(u -> OURS.contains(u.op()));
      port.run(named); // records the layout each tensor flows in, so isolated inputs arrive NCHW where they would
      Activations iso = port.runIsolated(refActs.build());
      for (CapturedTensor c : iso.tensors()) {
        String op = ours.get(c.index());
        if (op == null) {
          continue;
        }
        HostTensor want = ref.get(c.index());
        HostTensor got = c.tensor();
        if (got.layout() == Layout.NCHW) {
          got = got.permute(new int[] {0, 2, 3, 1}, Layout.NHWC);
        }
        assertThat(got.shape()).as(op + " #" + c.index() + " shape").isEqualTo(want.shape());
        double worst = 0;
        for (long i = 0; i < want.numel(); i++) {
          worst = Math.max(worst, Math.abs(want.getDouble(i) - got.getDouble(i)));
        }
        assertThat(worst)
            .as(op + " tensor #" + c.index() + " '" + c.name() + "' max abs error")
            .isLessThanOrEqualTo(1e-5);
        worstPerOp.merge(op, worst, Math::max);
        countPerOp.merge(op, 1, Integer::sum);
      }
    }
    int total = countPerOp.values().stream().mapToInt(Integer::intValue).sum();
    assertThat(total).as("elementwise ops compared").isEqualTo(ours.size());
    System.out.println(file + ": " + countPerOp + " worst " + worstPerOp);
  }
}
