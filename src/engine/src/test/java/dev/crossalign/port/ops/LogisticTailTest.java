package dev.crossalign.port.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.port.PortBackend;
import dev.crossalign.port.TorchPath;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.testutil.TfliteOracle;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteModel;
import dev.crossalign.tflite.TfliteWriter;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * TFLite's float LOGISTIC in relative terms, where an absolute tolerance sees nothing: a probability near 0 (a pose
 * or face flag, logit -20) is 1e-9. TFLite 2.20's builtin kernel is Eigen's scalar_logistic_op&lt;float&gt;
 * (optimized_ops::Logistic), now exp(x) / (1 + exp(x)) with its own range-reduced exp, at most 4.5 ulp from the exact
 * value and no cutoff at -9 (the reference kernel's and older Eigen's exp(x) below -9 is 1.2e-4 off at x = -9); below
 * about -87.3, where the result is under FLT_MIN, it returns 0 and torch a subnormal. So torch.sigmoid (the port and
 * the generated code) is TFLite's rule down to FLT_MIN, and a relative difference on a sigmoid output comes from its
 * logit, not from the kernel.
 */
class LogisticTailTest {
  /** 4.5 ulp relative (Eigen's stated bound; measured 3.4e-7) plus the port's own ulp. */
  static final double REL = 6e-7;

  @Test
  void logisticIsTheExactSigmoidWithinUlpsDownToFltMin() {
    int n = 1041; // -87.0 .. 17.0 in steps of 0.1
    float[] xs = new float[n];
    for (int i = 0; i < n; i++) {
      xs[i] = -87.0f + 0.1f * i;
    }
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, new int[] {1, n});
    int y = w.tensor("y", TensorType.FLOAT32, new int[] {1, n});
    w.op(BuiltinOp.LOGISTIC, new OpOptions.None(), new int[] {x}, new int[] {y});
    w.outputs(y);
    byte[] bytes = w.build();
    HostTensor in = HostTensor.ofFloats(new int[] {1, n}, Layout.ANY, xs);
    float[] tflite = TfliteOracle.run(bytes, Map.of(x, in)).get(y).toFloatArray();
    float[] port;
    try (PortBackend p = PortBackend.open(TfliteModel.read(bytes, "logistic"), Device.CPU,
        DeterminismConfig.DETERMINISTIC)) {
      assertThat(p.path().kind()).isEqualTo(TorchPath.Kind.TORCHSCRIPT); // the generated code's torch.sigmoid
      port = p.run(Map.of("x", in)).tensor("y").toFloatArray();
    }
    double worstTflite = 0;
    double worstPort = 0;
    for (int i = 0; i < n; i++) {
      double exact = 1 / (1 + Math.exp(-(double) xs[i]));
      worstTflite = Math.max(worstTflite, Math.abs(tflite[i] - exact) / exact);
      worstPort = Math.max(worstPort, Math.abs(port[i] - exact) / exact);
    }
    System.out.printf("LOGISTIC on [-87, 17]: TFLite %.2e, port %.2e relative to the exact sigmoid%n", worstTflite,
        worstPort);
    assertThat(worstTflite).as("TFLite's LOGISTIC, max relative error").isLessThanOrEqualTo(REL);
    assertThat(worstPort).as("the port's LOGISTIC, max relative error").isLessThanOrEqualTo(REL);
  }
}
