package dev.crossalign.engine.truth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.testutil.TfliteOracle;
import dev.crossalign.tflite.Activation;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.Padding;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteWriter;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The float64 truth's conv against the real interpreter, for each fused activation the port runs: a stride-2 SAME conv
 * (TF's padding rule, the odd pixel at the end) whose outputs reach +-6, so that RELU6, RELU_N1_TO_1 and a fused TANH
 * (which TFLite's float kernels do not apply) each show.
 */
class Float64OpsTest {
  @ParameterizedTest
  @EnumSource(value = Activation.class, names = {"NONE", "RELU", "RELU6", "RELU_N1_TO_1", "TANH"})
  void convMatchesTheInterpreter(Activation act) {
    int h = 6;
    int w = 5;
    int c = 3;
    int out = 2;
    float[] x = new float[h * w * c];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) Math.sin(0.7 * i) * 2f;
    }
    float[] f = new float[out * 3 * 3 * c];
    for (int i = 0; i < f.length; i++) {
      f[i] = (float) Math.cos(0.3 * i) * 0.5f;
    }
    float[] b = {0.25f, -0.5f};
    TfliteWriter wr = new TfliteWriter();
    int xi = wr.input("x", TensorType.FLOAT32, 1, h, w, c);
    int fi = wr.constant("f", HostTensor.ofFloats(new int[] {out, 3, 3, c}, Layout.ANY, f));
    int bi = wr.constant("b", HostTensor.ofFloats(new int[] {out}, Layout.ANY, b));
    int oh = 3;
    int ow = 3;
    int yi = wr.tensor("y", TensorType.FLOAT32, 1, oh, ow, out);
    wr.op(BuiltinOp.CONV_2D, new OpOptions.Conv2D(Padding.SAME, 2, 2, act, 1, 1), new int[] {xi, fi, bi},
        new int[] {yi});
    wr.outputs(yi);
    float[] tflite = TfliteOracle.run(wr.build(), Map.of(xi, HostTensor.ofFloats(new int[] {1, h, w, c}, Layout.NHWC, x)))
        .get(yi).toFloatArray();
    double[] xd = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      xd[i] = x[i];
    }
    double[] fd = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      fd[i] = f[i];
    }
    int padT = Float64Ops.padBegin(Padding.SAME, h, oh, 2, 3, 1, false);
    int padL = Float64Ops.padBegin(Padding.SAME, w, ow, 2, 3, 1, false);
    // rows: total (3 - 1) * 2 + 3 - 6 = 1, the odd pixel at the end (0 before); cols: total 2, 1 before
    assertThat(new int[] {padT, padL}).as("TF's SAME begin pads").containsExactly(0, 1);
    double[] truth = Float64Ops.conv(new Float64Ops.Nhwc(xd, 1, h, w, c), fd, out, 3, 3, false,
        new double[] {b[0], b[1]}, 2, 2, 1, 1, padT, padL, oh, ow, act);
    double maxAbs = 0;
    for (float v : tflite) {
      maxAbs = Math.max(maxAbs, Math.abs(v));
    }
    if (act == Activation.NONE || act == Activation.TANH) {
      assertThat(maxAbs).as("outputs reach past 1: a tanh would show").isGreaterThan(1.5);
    }
    for (int i = 0; i < truth.length; i++) {
      assertThat(truth[i]).as("element " + i + " under " + act).isCloseTo(tflite[i],
          org.assertj.core.data.Offset.offset(1e-5 * (1 + Math.abs(tflite[i]))));
    }
  }
}
