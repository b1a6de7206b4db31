package dev.crossalign.port.ops;

import dev.crossalign.tflite.Activation;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.Padding;
import dev.crossalign.tflite.SamePadding;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteWriter;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** DEPTHWISE_CONV_2D against the real interpreter: multiplier, SAME asymmetric padding, stride, dilation, activations. */
class DepthwiseConv2dTest {

  static Stream<Arguments> cases() {
    return Stream.of(
        // h, w, c, mult, k, stride, dilation, padding, activation, bias
        Arguments.of(8, 8, 3, 1, 3, 1, 1, Padding.SAME, Activation.NONE, true),
        Arguments.of(9, 9, 4, 1, 3, 2, 1, Padding.SAME, Activation.RELU, true),
        Arguments.of(10, 10, 4, 1, 3, 2, 1, Padding.SAME, Activation.RELU6, true), // asymmetric: total 1
        Arguments.of(10, 7, 2, 2, 3, 1, 1, Padding.SAME, Activation.NONE, true),
        Arguments.of(10, 10, 3, 2, 5, 2, 1, Padding.SAME, Activation.TANH, true),
        Arguments.of(9, 9, 3, 1, 3, 1, 2, Padding.SAME, Activation.NONE, true),
        Arguments.of(12, 11, 2, 2, 3, 1, 2, Padding.VALID, Activation.RELU_N1_TO_1, true),
        Arguments.of(7, 8, 5, 1, 3, 3, 1, Padding.VALID, Activation.NONE, true),
        Arguments.of(16, 16, 8, 1, 5, 1, 1, Padding.SAME, Activation.RELU, true)); // BlazeFace's shape of dw conv
  }

  @ParameterizedTest(name = "{0}x{1}x{2} m={3} k={4} s={5} d={6} {7} {8} bias={9}")
  @MethodSource("cases")
  void matchesInterpreter(
      int h, int w, int c, int mult, int k, int stride, int dil, Padding pad, Activation act, boolean bias) {
    int oc = c * mult;
    TfliteWriter wr = new TfliteWriter();
    int x = wr.input("x", TensorType.FLOAT32, 1, h, w, c);
    int f = wr.constant("filter", OpCases.randomFloats(7, 1, k, k, oc));
    // Always with bias: TFLite 2.20 rejects an absent (-1) bias, and a 2-input float DEPTHWISE_CONV_2D passes
    // Prepare but SEGFAULTS in Invoke (seen here: SIGSEGV in libc under Interpreter.Invoke), killing the JVM.
    int[] ins = bias ? new int[] {x, f, wr.constant("bias", OpCases.randomFloats(8, oc))} : new int[] {x, f};
    SamePadding ph = SamePadding.of(pad, h, k, stride, dil);
    SamePadding pw = SamePadding.of(pad, w, k, stride, dil);
    int y = wr.tensor("y", TensorType.FLOAT32, 1, ph.out(), pw.out(), oc);
    wr.op(
        BuiltinOp.DEPTHWISE_CONV_2D,
        new OpOptions.DepthwiseConv2D(pad, stride, stride, mult, act, dil, dil),
        dil > 1 ? 2 : 1,
        ins,
        new int[] {y});
    wr.outputs(y);
    OpCases.check("DEPTHWISE_CONV_2D", h + "x" + w + "m" + mult + "k" + k + "s" + stride + "d" + dil + pad + act,
        wr.build(), OpCases.ATOL);
  }
}
