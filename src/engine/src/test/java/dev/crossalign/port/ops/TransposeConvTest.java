package dev.crossalign.port.ops;

import dev.crossalign.tflite.Activation;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.Padding;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteWriter;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * TRANSPOSE_CONV against the real interpreter: the padding comes from output_shape (TF treats the output as a
 * forward conv's input), so the even-output SAME cases put the odd pixel at the end; a VALID output larger than
 * the kernel's reach has a zero (then bias) tail.
 */
class TransposeConvTest {

  static Stream<Arguments> cases() {
    return Stream.of(
        // in h, in w, cin, cout, k, stride, out h, out w, padding, bias, activation
        Arguments.of(4, 4, 3, 2, 3, 2, 8, 8, Padding.SAME, true, Activation.NONE), // total 1: 0 / 1
        Arguments.of(4, 4, 3, 2, 3, 2, 7, 7, Padding.SAME, true, Activation.NONE), // total 2: 1 / 1
        Arguments.of(4, 5, 3, 2, 4, 2, 8, 10, Padding.SAME, false, Activation.NONE),
        Arguments.of(5, 5, 2, 3, 2, 2, 10, 10, Padding.SAME, true, Activation.RELU),
        Arguments.of(4, 4, 3, 2, 3, 1, 4, 4, Padding.SAME, true, Activation.RELU6),
        Arguments.of(4, 4, 3, 2, 3, 1, 6, 6, Padding.VALID, true, Activation.NONE),
        Arguments.of(4, 3, 3, 2, 3, 2, 9, 7, Padding.VALID, false, Activation.NONE),
        Arguments.of(4, 4, 2, 2, 1, 2, 8, 8, Padding.VALID, true, Activation.NONE), // reach 7: zero + bias tail
        Arguments.of(3, 3, 4, 4, 3, 2, 6, 6, Padding.SAME, true, Activation.RELU_N1_TO_1),
        Arguments.of(4, 4, 3, 2, 3, 2, 8, 8, Padding.SAME, true, Activation.TANH)); // TFLite ignores a fused TANH
  }

  @ParameterizedTest(name = "{0}x{1}x{2} -> {6}x{7}x{3} k={4} s={5} {8} bias={9} {10}")
  @MethodSource("cases")
  void matchesInterpreter(
      int h, int w, int cin, int cout, int k, int stride, int oh, int ow, Padding pad, boolean bias, Activation act) {
    TfliteWriter wr = new TfliteWriter();
    int shape = wr.constant("output_shape", OpCases.ints(new int[] {4}, 1, oh, ow, cout));
    int f = wr.constant("weights", OpCases.randomFloats(9, cout, k, k, cin));
    int x = wr.input("x", TensorType.FLOAT32, 1, h, w, cin);
    int y = wr.tensor("y", TensorType.FLOAT32, 1, oh, ow, cout);
    int[] ins = bias
        ? new int[] {shape, f, x, wr.constant("bias", OpCases.randomFloats(10, cout))}
        : new int[] {shape, f, x};
    // version 4 carries the fused activation
    wr.op(BuiltinOp.TRANSPOSE_CONV, new OpOptions.TransposeConv(pad, stride, stride, act), 4, ins, new int[] {y});
    wr.outputs(y);
    OpCases.check("TRANSPOSE_CONV", h + "x" + w + "->" + oh + "x" + ow + "k" + k + "s" + stride + pad
        + (bias ? "" : "nobias") + act, wr.build(), OpCases.ATOL);
  }
}
