package dev.crossalign.port.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.backend.Activations;
import dev.crossalign.backend.CapturedTensor;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.port.PortBackend;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tflite.BuiltinOp;
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
import org.junit.jupiter.api.Test;

/**
 * The published MediaPipe face_detection_full_range_sparse.tflite: every DENSIFY output the port folds must equal the
 * interpreter's DENSIFY output bit for bit, and so must the DEQUANTIZE (fp16 -> fp32) outputs fed by them.
 */
class DensifyRealModelTest {

  @Test
  void everyDensifyOutputOfTheSparseFaceDetectorIsExact() throws Exception {
    Path path = TestModels.require("face_detection_full_range_sparse.tflite");
    byte[] bytes = Files.readAllBytes(path);
    TfliteModel model = TfliteModel.read(bytes, path.getFileName().toString());
    Map<Integer, HostTensor> inputs = PortHarness.randomInputs(model, 1, -1, 1);
    Map<Integer, HostTensor> ref = TfliteOracle.run(bytes, inputs);

    Map<String, HostTensor> named = new LinkedHashMap<>();
    for (Map.Entry<Integer, HostTensor> e : inputs.entrySet()) {
      named.put(model.main().tensor(e.getKey()).name(), e.getValue());
    }
    Map<Integer, String> opOf = new HashMap<>();
    for (Operator op : model.main().operators()) {
      if (op.builtin() == BuiltinOp.DENSIFY || op.builtin() == BuiltinOp.DEQUANTIZE) {
        opOf.put(op.outputs()[0], op.opName());
      }
    }
    assertThat(opOf).as("the model has DENSIFY ops").containsValue("DENSIFY");

    int densify = 0;
    int dequantize = 0;
    long elements = 0;
    try (PortBackend port = PortBackend.open(model, Device.CPU, DeterminismConfig.DETERMINISTIC)) {
      assertThat(port.unsupported())
          .as("DENSIFY and DEQUANTIZE all lower")
          .noneMatch(u -> u.op().equals("DENSIFY") || u.op().equals("DEQUANTIZE"));
      Activations acts = port.run(named);
      Map<Integer, CapturedTensor> byIndex = new HashMap<>();
      for (CapturedTensor c : acts.tensors()) {
        byIndex.put(c.index(), c);
      }
      for (Map.Entry<Integer, String> e : opOf.entrySet()) {
        int t = e.getKey();
        HostTensor want = ref.get(t);
        assertThat(want).as("interpreter output of " + e.getValue() + " tensor #" + t).isNotNull();
        CapturedTensor got = byIndex.get(t);
        assertThat(got).as("port's folded output of " + e.getValue() + " tensor #" + t).isNotNull();
        assertThat(got.op()).isEqualTo(e.getValue());
        assertThat(got.tensor().shape()).isEqualTo(want.shape());
        for (long i = 0; i < want.numel(); i++) {
          double a = want.getDouble(i);
          double b = got.tensor().getDouble(i);
          if (Double.doubleToLongBits(a) != Double.doubleToLongBits(b)) {
            throw new AssertionError(
                e.getValue() + " tensor #" + t + " element " + i + ": interpreter " + a + ", port " + b);
          }
        }
        elements += want.numel();
        if (e.getValue().equals("DENSIFY")) {
          densify++;
        } else {
          dequantize++;
        }
      }
    }
    System.out.println(
        "sparse face detector: " + densify + " DENSIFY and " + dequantize + " DEQUANTIZE outputs, " + elements
            + " elements, all bit-identical");
    assertThat(densify).isPositive();
  }
}
