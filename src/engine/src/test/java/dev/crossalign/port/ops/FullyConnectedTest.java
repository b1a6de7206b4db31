package dev.crossalign.port.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.port.PortBackend;
import dev.crossalign.testutil.PortHarness;
import dev.crossalign.tflite.Activation;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteModel;
import dev.crossalign.tflite.TfliteWriter;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * FULLY_CONNECTED against the real interpreter. Rank-4 inputs arrive NCHW in the port: flattening them without
 * going back to NHWC would scramble the features, which these cases would show as errors of order 1.
 */
class FullyConnectedTest {

  static Stream<Arguments> cases() {
    return Stream.of(
        // input shape, out features, keep_num_dims, bias, activation
        Arguments.of(new int[] {3, 16}, 5, false, true, Activation.NONE),
        Arguments.of(new int[] {3, 16}, 5, false, false, Activation.RELU),
        Arguments.of(new int[] {2, 3, 16}, 4, true, true, Activation.RELU6),
        Arguments.of(new int[] {2, 3, 16}, 4, false, true, Activation.RELU_N1_TO_1),
        Arguments.of(new int[] {1, 4, 4, 3}, 6, false, true, Activation.NONE), // NCHW in the port: flatten NHWC
        Arguments.of(new int[] {2, 4, 4, 3}, 6, false, true, Activation.RELU),
        Arguments.of(new int[] {1, 2, 3, 8}, 5, true, true, Activation.NONE),
        Arguments.of(new int[] {1, 2, 3, 8}, 5, false, false, Activation.RELU),
        Arguments.of(new int[] {1, 64}, 10, false, true, Activation.NONE),
        Arguments.of(new int[] {2, 3, 16}, -4, false, true, Activation.NONE), // rows of the LAST dim: [6, 4]
        Arguments.of(new int[] {1, 4, 4, 8}, -3, false, true, Activation.NONE)); // NCHW in, [16, 3] out
  }

  @ParameterizedTest(name = "{0} -> {1} keep={2} bias={3} {4}")
  @MethodSource("cases")
  void matchesInterpreter(int[] inShape, int out, boolean keep, boolean bias, Activation act) {
    // a negative out means: rows of the last dim only (weights [out, last]), flattened to [-1, last]
    boolean lastDimRows = out < 0;
    out = Math.abs(out);
    int inner = keep || lastDimRows ? inShape[inShape.length - 1] : inner(inShape);
    long numel = 1;
    for (int d : inShape) {
      numel *= d;
    }
    int[] outShape;
    if (keep) {
      outShape = inShape.clone();
      outShape[outShape.length - 1] = out;
    } else {
      outShape = new int[] {(int) (numel / inner), out};
    }
    TfliteWriter wr = new TfliteWriter();
    int x = wr.input("x", TensorType.FLOAT32, inShape);
    int w = wr.constant("weights", OpCases.randomFloats(5, out, inner));
    int b = bias ? wr.constant("bias", OpCases.randomFloats(6, out)) : -1;
    int y = wr.tensor("y", TensorType.FLOAT32, outShape);
    wr.op(BuiltinOp.FULLY_CONNECTED, new OpOptions.FullyConnected(act, 0, keep), keep ? 5 : 1, new int[] {x, w, b},
        new int[] {y});
    wr.outputs(y);
    OpCases.check("FULLY_CONNECTED", Arrays.toString(inShape) + out + "keep" + keep + "bias" + bias + act,
        wr.build(), OpCases.ATOL);
  }

  /** A fused TANH: the interpreter refuses the model at prepare, and the port refuses the op instead of guessing. */
  @Test
  void fusedTanhIsRefusedLikeTheInterpreterDoes() {
    TfliteWriter wr = new TfliteWriter();
    int x = wr.input("x", TensorType.FLOAT32, 2, 8);
    int w = wr.constant("weights", OpCases.randomFloats(5, 3, 8));
    int y = wr.tensor("y", TensorType.FLOAT32, 2, 3);
    wr.op(BuiltinOp.FULLY_CONNECTED, new OpOptions.FullyConnected(Activation.TANH, 0, false), new int[] {x, w, -1},
        new int[] {y});
    wr.outputs(y);
    byte[] model = wr.build();
    assertThatThrownBy(() -> PortHarness.run(model, 1, -1, 1)).hasMessageContaining("AllocateTensors failed");
    try (PortBackend port =
        PortBackend.open(TfliteModel.read(model, "fc-tanh"), Device.CPU, DeterminismConfig.DETERMINISTIC)) {
      assertThat(port.unsupported()).singleElement().satisfies(u -> {
        assertThat(u.op()).isEqualTo("FULLY_CONNECTED");
        assertThat(u.reason()).contains("TANH");
      });
    }
  }

  /** Without keep_num_dims the rows are the per-batch features (all but the first dim). */
  private static int inner(int[] s) {
    int n = 1;
    for (int i = 1; i < s.length; i++) {
      n *= s[i];
    }
    return n;
  }
}
