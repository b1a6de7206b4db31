package dev.crossalign.tflite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.Half;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.testutil.TfliteOracle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Writer -> the real TFLite interpreter: the models it builds load, run, and compute what a hand calculation says. */
class TfliteWriterInterpreterTest {

  @Test
  void addOfTwoInputsGivesTheSum() {
    TfliteWriter w = new TfliteWriter();
    int a = w.input("a", TensorType.FLOAT32, 1, 2, 2, 1);
    int b = w.input("b", TensorType.FLOAT32, 1, 2, 2, 1);
    int y = w.tensor("y", TensorType.FLOAT32, 1, 2, 2, 1);
    w.op(BuiltinOp.ADD, new OpOptions.Arithmetic(11, Activation.NONE), new int[] {a, b}, new int[] {y});
    w.outputs(y);

    Map<Integer, HostTensor> out =
        TfliteOracle.run(
            w.build(),
            Map.of(
                a, HostTensor.ofFloats(new int[] {1, 2, 2, 1}, Layout.NHWC, new float[] {1, 2, 3, 4}),
                b, HostTensor.ofFloats(new int[] {1, 2, 2, 1}, Layout.NHWC, new float[] {10, 20, 30, -40})));

    assertThat(out.get(y).toFloatArray()).containsExactly(11f, 22f, 33f, -36f);
    assertThat(out.get(y).shape()).containsExactly(1, 2, 2, 1);
    assertThat(out.get(y).layout()).isEqualTo(Layout.NHWC);
    // The oracle also hands back the inputs it was given.
    assertThat(out.get(a).toFloatArray()).containsExactly(1f, 2f, 3f, 4f);
  }

  @Test
  void fusedReluOnAddIsApplied() {
    TfliteWriter w = new TfliteWriter();
    int a = w.input("a", TensorType.FLOAT32, 4);
    int b = w.input("b", TensorType.FLOAT32, 4);
    int y = w.tensor("y", TensorType.FLOAT32, 4);
    w.op(BuiltinOp.SUB, new OpOptions.Arithmetic(28, Activation.RELU), new int[] {a, b}, new int[] {y});
    w.outputs(y);
    Map<Integer, HostTensor> out =
        TfliteOracle.run(
            w.build(),
            Map.of(
                a, HostTensor.ofFloats(new int[] {4}, Layout.ANY, new float[] {1, 5, -3, 2}),
                b, HostTensor.ofFloats(new int[] {4}, Layout.ANY, new float[] {2, 1, -4, 2})));
    // a - b = {-1, 4, 1, 0}; RELU clamps the negative one.
    assertThat(out.get(y).toFloatArray()).containsExactly(0f, 4f, 1f, 0f);
  }

  /**
   * CONV_2D, SAME, stride 2 on a 5x5 single-channel input with a 3x3 filter and bias. Hand computation: out = ceil(5/2)
   * = 3; total padding = max((3-1)*2 + 3 - 5, 0) = 2, so one row/column of zeros on each side; output (i, j) is the
   * 3x3 window centred on input (2i, 2j).
   */
  @Test
  void conv2dSameStride2MatchesHandComputation() {
    float[] x = new float[25];
    for (int i = 0; i < 25; i++) {
      x[i] = i + 1; // 1..25 row-major
    }
    // filter [out=1, kh=3, kw=3, in=1]
    float[] f = {1, 0, -1, 2, 1, 0, 0, 1, 3};
    float bias = 0.5f;

    TfliteWriter w = new TfliteWriter();
    int in = w.input("x", TensorType.FLOAT32, 1, 5, 5, 1);
    int filt = w.constant("w", HostTensor.ofFloats(new int[] {1, 3, 3, 1}, Layout.ANY, f));
    int b = w.constant("b", HostTensor.ofFloats(new int[] {1}, Layout.ANY, new float[] {bias}));
    int y = w.tensor("y", TensorType.FLOAT32, 1, 3, 3, 1);
    w.op(
        BuiltinOp.CONV_2D,
        new OpOptions.Conv2D(Padding.SAME, 2, 2, Activation.NONE, 1, 1),
        new int[] {in, filt, b},
        new int[] {y});
    w.outputs(y);

    Map<Integer, HostTensor> out =
        TfliteOracle.run(w.build(), Map.of(in, HostTensor.ofFloats(new int[] {1, 5, 5, 1}, Layout.NHWC, x)));

    float[] want = new float[9];
    for (int oi = 0; oi < 3; oi++) {
      for (int oj = 0; oj < 3; oj++) {
        double s = bias;
        for (int ki = 0; ki < 3; ki++) {
          for (int kj = 0; kj < 3; kj++) {
            int r = oi * 2 - 1 + ki;
            int c = oj * 2 - 1 + kj;
            if (r >= 0 && r < 5 && c >= 0 && c < 5) {
              s += x[r * 5 + c] * f[ki * 3 + kj];
            }
          }
        }
        want[oi * 3 + oj] = (float) s;
      }
    }
    // A spot value by hand: output (0,0) covers input rows/cols -1..1: 1*0 + 2*0 + ... =
    // f(1,1)*x(0,0) + f(1,2)*x(0,1) + f(2,1)*x(1,0) + f(2,2)*x(1,1) + bias = 1*1 + 0*2 + 1*6 + 3*7 + 0.5 = 28.5
    assertThat(want[0]).isEqualTo(28.5f);
    assertThat(out.get(y).shape()).containsExactly(1, 3, 3, 1);
    float[] got = out.get(y).toFloatArray();
    for (int i = 0; i < 9; i++) {
      assertThat(got[i]).as("output %d", i).isCloseTo(want[i], within(1e-4f));
    }
  }

  @Test
  void float16ConstantThroughDequantizeIsExact() {
    float[] values = {0.5f, -1.25f, 3.0f, 65504f, 1e-3f, 0f};
    ByteBuffer bb = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      bb.putShort(Half.fromFloat(v));
    }
    bb.flip();
    HostTensor fp16 = HostTensor.of(DType.FLOAT16, new int[] {2, 3}, Layout.ANY, bb);

    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, 2, 3);
    int c = w.constant("w_fp16", fp16);
    int deq = w.tensor("w", TensorType.FLOAT32, 2, 3);
    int y = w.tensor("y", TensorType.FLOAT32, 2, 3);
    w.op(BuiltinOp.DEQUANTIZE, new OpOptions.None(), new int[] {c}, new int[] {deq});
    w.op(BuiltinOp.ADD, new OpOptions.Arithmetic(11, Activation.NONE), new int[] {x, deq}, new int[] {y});
    w.outputs(y);

    Map<Integer, HostTensor> out =
        TfliteOracle.run(w.build(), Map.of(x, HostTensor.ofFloats(new int[] {2, 3}, Layout.ANY, new float[6])));
    float[] got = out.get(y).toFloatArray();
    for (int i = 0; i < values.length; i++) {
      // exact: fp16 -> fp32 widening, added to 0
      assertThat(got[i]).isEqualTo(Half.toFloat(Half.fromFloat(values[i])));
    }
    assertThat(out.get(deq).toFloatArray()).containsExactly(got);
  }

  /** 2-D CSR weights (rows dense, columns sparse) of a FULLY_CONNECTED, densified by DENSIFY inside the interpreter. */
  @Test
  void sparseCsrWeightsDensifyToTheDenseValues() {
    float[] weights = {
      0, 2, 0, 0, 1,
      0, 0, 0, 0, 0,
      -3, 0, 0, 4, 0,
    };
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, 1, 5);
    int sw =
        w.sparseConstant(
            "w_sparse",
            HostTensor.ofFloats(new int[] {3, 5}, Layout.ANY, weights),
            new int[] {0, 1},
            new int[0],
            new boolean[] {false, true},
            new int[0]);
    int dw = w.tensor("w", TensorType.FLOAT32, 3, 5);
    int y = w.tensor("y", TensorType.FLOAT32, 1, 3);
    w.op(BuiltinOp.DENSIFY, new OpOptions.None(), new int[] {sw}, new int[] {dw});
    w.op(
        BuiltinOp.FULLY_CONNECTED,
        new OpOptions.FullyConnected(Activation.NONE, 0, false),
        new int[] {x, dw, -1},
        new int[] {y});
    w.outputs(y);

    Map<Integer, HostTensor> out =
        TfliteOracle.run(
            w.build(), Map.of(x, HostTensor.ofFloats(new int[] {1, 5}, Layout.ANY, new float[] {1, 2, 3, 4, 5})));
    assertThat(out.get(dw).toFloatArray()).containsExactly(weights);
    // y = W x: {2*2 + 1*5, 0, -3*1 + 4*4}
    assertThat(out.get(y).toFloatArray()).containsExactly(9f, 0f, 13f);
  }
}
