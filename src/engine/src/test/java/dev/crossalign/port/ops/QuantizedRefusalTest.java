package dev.crossalign.port.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.port.PortBackend;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.testutil.TfliteOracle;
import dev.crossalign.tflite.Activation;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.Quantization;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteModel;
import dev.crossalign.tflite.TfliteWriter;
import java.nio.ByteBuffer;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A hybrid FULLY_CONNECTED (float input, int8 weights with a scale, no DEQUANTIZE) runs in the interpreter; reading
 * its weights raw would give numbers off by 1/scale, so the port must refuse it rather than run it.
 */
class QuantizedRefusalTest {

  @Test
  void hybridFullyConnectedIsRefusedNotMiscomputed() {
    byte[] q = {10, -20, 30, -40, 50, -60, 70, -80};
    HostTensor weights = HostTensor.of(DType.INT8, new int[] {2, 4}, Layout.ANY, ByteBuffer.wrap(q));
    TfliteWriter wr = new TfliteWriter();
    int x = wr.input("x", TensorType.FLOAT32, 1, 4);
    int w = wr.constant("w_int8", weights,
        new Quantization(null, null, new float[] {0.01f}, new long[] {0}, 0));
    int y = wr.tensor("y", TensorType.FLOAT32, 1, 2);
    wr.op(BuiltinOp.FULLY_CONNECTED, new OpOptions.FullyConnected(Activation.NONE, 0, false), new int[] {x, w, -1},
        new int[] {y});
    wr.outputs(y);
    byte[] model = wr.build();

    // the interpreter computes it: x = 1s -> (10 - 20 + 30 - 40) * 0.01 = -0.2 (hybrid kernels quantize x: ~1%)
    Map<Integer, HostTensor> out = TfliteOracle.run(model,
        Map.of(x, HostTensor.ofFloats(new int[] {1, 4}, Layout.ANY, new float[] {1, 1, 1, 1})));
    assertThat(out.get(y).getDouble(0)).isCloseTo(-0.2, org.assertj.core.data.Offset.offset(0.01));

    try (PortBackend port = PortBackend.open(TfliteModel.read(model, "hybrid-fc"), Device.CPU,
        DeterminismConfig.DETERMINISTIC)) {
      assertThat(port.unsupported()).singleElement().satisfies(u -> {
        assertThat(u.op()).isEqualTo("FULLY_CONNECTED");
        assertThat(u.reason()).contains("quantized INT8");
      });
    }
  }
}
