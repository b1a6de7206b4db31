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

/**
 * MAX_POOL_2D and AVERAGE_POOL_2D against the real interpreter. Inputs are in [-2, 2), so a zero-padded max or a
 * padded-count average would visibly differ at the borders; the asymmetric SAME cases put the extra pad at the end.
 */
class Pool2dTest {

  static Stream<Arguments> cases() {
    Stream.Builder<Arguments> s = Stream.builder();
    for (BuiltinOp op : new BuiltinOp[] {BuiltinOp.MAX_POOL_2D, BuiltinOp.AVERAGE_POOL_2D}) {
      // h, w, filter, stride, padding, activation
      s.add(Arguments.of(op, 8, 8, 2, 2, Padding.VALID, Activation.NONE));
      s.add(Arguments.of(op, 9, 9, 2, 2, Padding.SAME, Activation.NONE)); // total 1 at the end
      s.add(Arguments.of(op, 9, 9, 3, 2, Padding.SAME, Activation.RELU)); // total 2: 1 / 1
      s.add(Arguments.of(op, 10, 10, 3, 2, Padding.SAME, Activation.NONE)); // total 1 at the end
      s.add(Arguments.of(op, 9, 10, 3, 1, Padding.SAME, Activation.RELU6));
      s.add(Arguments.of(op, 8, 7, 2, 1, Padding.SAME, Activation.RELU_N1_TO_1)); // total 1 at the end
      s.add(Arguments.of(op, 9, 8, 3, 2, Padding.VALID, Activation.NONE));
      s.add(Arguments.of(op, 7, 7, 3, 1, Padding.VALID, Activation.TANH)); // TFLite ignores a fused TANH
    }
    return s.build();
  }

  static Stream<Arguments> rectangular() {
    Stream.Builder<Arguments> s = Stream.builder();
    for (BuiltinOp op : new BuiltinOp[] {BuiltinOp.MAX_POOL_2D, BuiltinOp.AVERAGE_POOL_2D}) {
      // h, w, filter h, filter w, stride h, stride w, padding
      s.add(Arguments.of(op, 9, 10, 2, 3, 2, 1, Padding.SAME));
      s.add(Arguments.of(op, 10, 9, 3, 2, 1, 2, Padding.SAME));
      s.add(Arguments.of(op, 3, 3, 5, 5, 1, 1, Padding.SAME)); // window larger than the input
      s.add(Arguments.of(op, 4, 6, 4, 6, 1, 1, Padding.VALID)); // global pooling
      s.add(Arguments.of(op, 11, 7, 3, 3, 3, 3, Padding.SAME));
    }
    return s.build();
  }

  @ParameterizedTest(name = "{0} {1}x{2} f={3}x{4} s={5}x{6} {7}")
  @MethodSource("rectangular")
  void rectangularWindowsMatchInterpreter(BuiltinOp op, int h, int w, int fh, int fw, int sh, int sw, Padding pad) {
    int c = 2;
    TfliteWriter wr = new TfliteWriter();
    int x = wr.input("x", TensorType.FLOAT32, 2, h, w, c);
    SamePadding ph = SamePadding.of(pad, h, fh, sh, 1);
    SamePadding pw = SamePadding.of(pad, w, fw, sw, 1);
    int y = wr.tensor("y", TensorType.FLOAT32, 2, ph.out(), pw.out(), c);
    wr.op(op, new OpOptions.Pool2D(pad, sw, sh, fw, fh, Activation.NONE), new int[] {x}, new int[] {y});
    wr.outputs(y);
    OpCases.check(op.name(), h + "x" + w + "f" + fh + "x" + fw + "s" + sh + "x" + sw + pad, wr.build(), OpCases.ATOL);
  }

  @ParameterizedTest(name = "{0} {1}x{2} f={3} s={4} {5} {6}")
  @MethodSource("cases")
  void matchesInterpreter(BuiltinOp op, int h, int w, int f, int stride, Padding pad, Activation act) {
    int c = 3;
    TfliteWriter wr = new TfliteWriter();
    int x = wr.input("x", TensorType.FLOAT32, 1, h, w, c);
    SamePadding ph = SamePadding.of(pad, h, f, stride, 1);
    SamePadding pw = SamePadding.of(pad, w, f, stride, 1);
    int y = wr.tensor("y", TensorType.FLOAT32, 1, ph.out(), pw.out(), c);
    wr.op(op, new OpOptions.Pool2D(pad, stride, stride, f, f, act), new int[] {x}, new int[] {y});
    wr.outputs(y);
    OpCases.check(op.name(), h + "x" + w + "f" + f + "s" + stride + pad + act, wr.build(), OpCases.ATOL);
  }
}
