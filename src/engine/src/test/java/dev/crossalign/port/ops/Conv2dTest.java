package dev.crossalign.port.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.port.PortBackend;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.testutil.PortHarness;
import dev.crossalign.testutil.TfliteOracle;
import dev.crossalign.tflite.Activation;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.Padding;
import dev.crossalign.tflite.SamePadding;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteModel;
import dev.crossalign.tflite.TfliteWriter;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** CONV_2D edge cases against the real interpreter: SAME asymmetric padding, strides, dilation, activations, no bias. */
class Conv2dTest {

  static Stream<Arguments> cases() {
    return Stream.of(
        // h, w, cin, cout, k, stride, dilation, padding, activation, bias
        Arguments.of(8, 8, 3, 4, 3, 1, 1, Padding.SAME, Activation.NONE, true),
        Arguments.of(8, 8, 3, 4, 3, 1, 1, Padding.VALID, Activation.NONE, true),
        Arguments.of(9, 9, 3, 4, 3, 2, 1, Padding.SAME, Activation.RELU, true),
        Arguments.of(10, 10, 3, 4, 3, 2, 1, Padding.SAME, Activation.RELU6, true), // total 1: pixel at the end
        Arguments.of(10, 11, 2, 3, 3, 3, 1, Padding.SAME, Activation.RELU_N1_TO_1, true),
        Arguments.of(11, 10, 2, 3, 3, 3, 1, Padding.VALID, Activation.NONE, true),
        Arguments.of(9, 9, 3, 4, 3, 1, 2, Padding.SAME, Activation.NONE, true),
        Arguments.of(12, 11, 3, 4, 3, 2, 2, Padding.VALID, Activation.RELU, true),
        Arguments.of(8, 8, 3, 4, 3, 1, 1, Padding.SAME, Activation.TANH, true), // TFLite ignores a fused TANH
        Arguments.of(9, 9, 3, 4, 5, 2, 1, Padding.SAME, Activation.NONE, true),
        Arguments.of(10, 10, 3, 4, 5, 2, 1, Padding.SAME, Activation.NONE, true),
        Arguments.of(10, 10, 3, 4, 5, 2, 1, Padding.SAME, Activation.NONE, false),
        Arguments.of(7, 8, 4, 2, 1, 2, 1, Padding.SAME, Activation.NONE, false),
        Arguments.of(6, 6, 3, 5, 2, 2, 1, Padding.SAME, Activation.RELU, true),
        // 1x1 stride 1 (the 20 pointwise convs of face_detection_short_range: ATen's slow_conv2d at one thread)
        Arguments.of(6, 7, 5, 9, 1, 1, 1, Padding.SAME, Activation.RELU, true),
        Arguments.of(5, 5, 8, 3, 1, 1, 1, Padding.VALID, Activation.NONE, true),
        Arguments.of(4, 6, 4, 7, 1, 1, 2, Padding.SAME, Activation.RELU6, true),
        Arguments.of(6, 5, 3, 4, 1, 1, 1, Padding.SAME, Activation.NONE, false));
  }

  @ParameterizedTest(name = "{0}x{1} {2}->{3} k={4} s={5} d={6} {7} {8} bias={9}")
  @MethodSource("cases")
  void matchesInterpreter(
      int h, int w, int cin, int cout, int k, int stride, int dil, Padding pad, Activation act, boolean bias) {
    byte[] model = model(h, w, cin, cout, k, stride, dil, pad, act, bias ? Bias.RANDOM : Bias.NONE);
    String name = h + "x" + w + "k" + k + "s" + stride + "d" + dil + pad + act + (bias ? "" : "nobias");
    if (bias) {
      OpCases.check("CONV_2D", name, model, OpCases.ATOL);
      return;
    }
    // TFLite's float CONV_2D refuses a bias-less op (conv.cc: has_bias was not true), so the oracle for the port's
    // bias-less path is the interpreter on the same conv with an all-zero bias.
    byte[] zeroBias = model(h, w, cin, cout, k, stride, dil, pad, act, Bias.ZERO);
    Map<Integer, HostTensor> inputs = PortHarness.randomInputs(TfliteModel.read(model, "conv"), 42, -2, 2);
    HostTensor ref = TfliteOracle.run(zeroBias, inputs).get(2);
    HostTensor got;
    try (PortBackend port =
        PortBackend.open(TfliteModel.read(model, "conv"), Device.CPU, DeterminismConfig.DETERMINISTIC)) {
      assertThat(port.unsupported()).isEmpty();
      got = port.run(Map.of("x", inputs.get(0))).tensor("y");
    }
    if (got.layout() == Layout.NCHW) {
      got = got.permute(new int[] {0, 2, 3, 1}, Layout.NHWC);
    }
    assertThat(got.shape()).isEqualTo(ref.shape());
    double worst = 0;
    for (long i = 0; i < ref.numel(); i++) {
      worst = Math.max(worst, Math.abs(ref.getDouble(i) - got.getDouble(i)));
    }
    System.out.printf("WORST CONV_2D %s %.3g%n", name, worst);
    assertThat(worst).isLessThanOrEqualTo(OpCases.ATOL);
  }

  private enum Bias { RANDOM, ZERO, NONE }

  /** Tensors: 0 x, 1 filter, 2 y, 3 bias (when any), so both variants share indices. */
  private static byte[] model(
      int h, int w, int cin, int cout, int k, int stride, int dil, Padding pad, Activation act, Bias bias) {
    TfliteWriter wr = new TfliteWriter();
    int x = wr.input("x", TensorType.FLOAT32, 1, h, w, cin);
    int f = wr.constant("filter", OpCases.randomFloats(3, cout, k, k, cin));
    SamePadding ph = SamePadding.of(pad, h, k, stride, dil);
    SamePadding pw = SamePadding.of(pad, w, k, stride, dil);
    int y = wr.tensor("y", TensorType.FLOAT32, 1, ph.out(), pw.out(), cout);
    int[] ins = switch (bias) {
      case RANDOM -> new int[] {x, f, wr.constant("bias", OpCases.randomFloats(4, cout))};
      case ZERO -> new int[] {x, f, wr.constant("bias", HostTensor.ofFloats(new int[] {cout}, Layout.ANY,
          new float[cout]))};
      case NONE -> new int[] {x, f};
    };
    wr.op(BuiltinOp.CONV_2D, new OpOptions.Conv2D(pad, stride, stride, act, dil, dil), ins, new int[] {y});
    wr.outputs(y);
    return wr.build();
  }
}
