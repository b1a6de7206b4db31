package dev.crossalign.backend.tflite;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteWriter;
import org.bytedeco.tensorflowlite.Interpreter;
import org.bytedeco.tensorflowlite.TfLiteTensor;
import org.junit.jupiter.api.Test;

/**
 * The one-op interpreter's last guard ({@link OneOpInterpreter#copy}): bytes move between the main interpreter and a
 * served node's own interpreter only between tensors of the same shape. A tensor TFLite resized at run time to
 * another shape of the same byte count (the run-time reshaped deconv input of the last release fuzz run) would
 * otherwise be computed as the old shape, silently; it is refused, naming both shapes, and nothing is copied.
 */
class OneOpInterpreterCopyTest {
  /** An interpreter of x (shape) -> RELU -> y, with its input allocated. */
  private static TfliteHandles relu(int... shape) {
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, shape);
    int y = w.tensor("y", TensorType.FLOAT32, shape);
    w.op(BuiltinOp.RELU, new OpOptions.None(), new int[] {x}, new int[] {y});
    return InterpreterFactory.build(w.outputs(y).build(), "relu.tflite", TfliteOptions.defaults(), null);
  }

  private static TfLiteTensor input(TfliteHandles h) {
    Interpreter i = h.interpreter();
    return i.tensor(i.inputs().get(0));
  }

  private static void fill(TfLiteTensor t, int[] shape, float first) {
    float[] v = new float[(int) HostTensor.numel(shape)];
    for (int k = 0; k < v.length; k++) {
      v[k] = first + k;
    }
    NativeTensors.copyIn(t, HostTensor.ofFloats(shape, Layout.ANY, v), "x");
  }

  private static float[] values(TfLiteTensor t) {
    return NativeTensors.copyOut(t, "x").toFloatArray();
  }

  @Test
  void anotherShapeOfTheSameByteCountIsRefusedNotCopied() {
    TfliteHandles a = relu(2, 3);
    TfliteHandles b = relu(3, 2);
    try {
      fill(input(a), new int[] {2, 3}, 1);
      fill(input(b), new int[] {3, 2}, 100);
      assertThat(OneOpInterpreter.copy(input(a), input(b)))
          .isEqualTo("shape [2, 3] (24 bytes) is not the [3, 2] (24 bytes) it is copied into");
      assertThat(values(input(b))).containsExactly(100, 101, 102, 103, 104, 105);
    } finally {
      a.close();
      b.close();
    }
  }

  @Test
  void anotherByteCountIsRefusedAndTheSameShapeIsCopied() {
    TfliteHandles a = relu(2, 3);
    TfliteHandles b = relu(2, 4);
    TfliteHandles c = relu(2, 3);
    try {
      fill(input(a), new int[] {2, 3}, 1);
      fill(input(b), new int[] {2, 4}, 100);
      fill(input(c), new int[] {2, 3}, 100);
      assertThat(OneOpInterpreter.copy(input(a), input(b)))
          .isEqualTo("shape [2, 3] (24 bytes) is not the [2, 4] (32 bytes) it is copied into");
      assertThat(values(input(b))).containsExactly(100, 101, 102, 103, 104, 105, 106, 107);
      assertThat(OneOpInterpreter.copy(input(a), input(c))).isNull();
      assertThat(values(input(c))).containsExactly(1, 2, 3, 4, 5, 6);
      assertThat(OneOpInterpreter.copy(null, input(c))).isEqualTo("no tensor to copy from");
    } finally {
      a.close();
      b.close();
      c.close();
    }
  }
}
