package dev.crossalign.tflite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.testutil.TfliteOracle;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * More writer-built models through the real interpreter: options tables the kernels read, opcodes above 127, operator
 * versions, quantized and sparse constants in several formats, and the oracle's own failure modes.
 */
class TfliteWriterOpsInterpreterTest {

  private static HostTensor floats(int[] shape, float... v) {
    return HostTensor.ofFloats(shape, shape.length == 4 ? Layout.NHWC : Layout.ANY, v);
  }

  /** GELU is builtin code 150: only builtin_code can carry it (deprecated_builtin_code is the 127 placeholder). */
  @Test
  void geluAboveCode127RunsWithItsOptions() {
    float[] x = {-3f, -1f, -0.5f, 0f, 0.25f, 1f, 2f, 4f};
    for (boolean approximate : new boolean[] {true, false}) {
      TfliteWriter w = new TfliteWriter();
      int in = w.input("x", TensorType.FLOAT32, 8);
      int y = w.tensor("y", TensorType.FLOAT32, 8);
      w.op(BuiltinOp.GELU, new OpOptions.Gelu(approximate), new int[] {in}, new int[] {y});
      w.outputs(y);
      float[] got = TfliteOracle.run(w.build(), Map.of(in, floats(new int[] {8}, x))).get(y).toFloatArray();
      for (int i = 0; i < x.length; i++) {
        double v = x[i];
        double want =
            approximate
                ? 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)))
                : 0.5 * v * (1 + erf(v / Math.sqrt(2)));
        // TFLite's float GELU may use a lookup table / fast approximation: 1e-3 absolute.
        assertThat((double) got[i]).as("gelu(%s) approximate=%s", v, approximate).isCloseTo(want, within(1e-3));
      }
    }
  }

  /** erf by its Maclaurin series (|x| <= 3 here: the series converges to ~1e-15 in under 100 terms). */
  private static double erf(double x) {
    double sum = 0;
    double term = x;
    for (int n = 0; n < 200; n++) {
      sum += term / (2 * n + 1);
      term *= -x * x / (n + 1);
    }
    return 2 / Math.sqrt(Math.PI) * sum;
  }

  @Test
  void depthwiseWithDilationAsVersion2MatchesHandComputation() {
    int h = 5;
    int wd = 5;
    int c = 2;
    float[] x = new float[h * wd * c];
    for (int i = 0; i < x.length; i++) {
      x[i] = (i % 7) - 3;
    }
    float[] f = new float[3 * 3 * c]; // [1, 3, 3, c]
    for (int i = 0; i < f.length; i++) {
      f[i] = (i % 5) * 0.5f - 1f;
    }
    TfliteWriter w = new TfliteWriter();
    int in = w.input("x", TensorType.FLOAT32, 1, h, wd, c);
    int filt = w.constant("w", floats(new int[] {1, 3, 3, c}, f));
    int bias = w.constant("b", floats(new int[] {c}, 0.25f, -0.5f));
    int y = w.tensor("y", TensorType.FLOAT32, 1, 1, 1, c);
    w.op(
        BuiltinOp.DEPTHWISE_CONV_2D,
        new OpOptions.DepthwiseConv2D(Padding.VALID, 1, 1, 1, Activation.NONE, 2, 2),
        2,
        new int[] {in, filt, bias},
        new int[] {y});
    w.outputs(y);
    HostTensor out = TfliteOracle.run(w.build(), Map.of(in, floats(new int[] {1, h, wd, c}, x))).get(y);
    assertThat(out.shape()).containsExactly(1, 1, 1, c);
    float[] b = {0.25f, -0.5f};
    for (int ch = 0; ch < c; ch++) {
      double s = b[ch];
      for (int ki = 0; ki < 3; ki++) {
        for (int kj = 0; kj < 3; kj++) {
          s += x[((ki * 2) * wd + kj * 2) * c + ch] * f[(ki * 3 + kj) * c + ch];
        }
      }
      assertThat((double) out.toFloatArray()[ch]).isCloseTo(s, within(1e-5));
    }
  }

  @Test
  void reshapeConcatenationAndPadReadTheirOptions() {
    TfliteWriter w = new TfliteWriter();
    int a = w.input("a", TensorType.FLOAT32, 2, 3);
    int b = w.input("b", TensorType.FLOAT32, 2, 1);
    int shape = w.constant("shape", HostTensor.ofInts(new int[] {2}, Layout.ANY, new int[] {4, 2}));
    int pads = w.constant("pads", HostTensor.ofInts(new int[] {2, 2}, Layout.ANY, new int[] {1, 0, 0, 1}));
    int cat = w.tensor("cat", TensorType.FLOAT32, 2, 4);
    int r = w.tensor("r", TensorType.FLOAT32, 4, 2);
    int p = w.tensor("p", TensorType.FLOAT32, 5, 3);
    w.op(BuiltinOp.CONCATENATION, new OpOptions.Concatenation(-1, Activation.NONE), new int[] {a, b}, new int[] {cat});
    w.op(BuiltinOp.RESHAPE, new OpOptions.None(), new int[] {cat, shape}, new int[] {r});
    w.op(BuiltinOp.PAD, new OpOptions.None(), new int[] {r, pads}, new int[] {p});
    w.outputs(p);
    Map<Integer, HostTensor> out =
        TfliteOracle.run(
            w.build(),
            Map.of(a, floats(new int[] {2, 3}, 1, -2, 3, 4, 5, -6), b, floats(new int[] {2, 1}, 7, -8)));
    // concat on the last axis (-1): {1,-2,3,7, 4,5,-6,-8}
    assertThat(out.get(cat).toFloatArray()).containsExactly(1, -2, 3, 7, 4, 5, -6, -8);
    assertThat(out.get(r).shape()).containsExactly(4, 2);
    assertThat(out.get(p).shape()).containsExactly(5, 3);
    // reshape to 4x2 {1,-2 | 3,7 | 4,5 | -6,-8}, then one row on top and one column on the right
    assertThat(out.get(p).toFloatArray()).containsExactly(0, 0, 0, 1, -2, 0, 3, 7, 0, 4, 5, 0, -6, -8, 0);
  }

  private static final float[] X = {-2f, -0.5f, 0f, 1f, 2.5f, 3f};

  /** An op that takes [2, 3] input X (plus the listed int32 constants) and its closed-form result. */
  record EmptyOptionsCase(BuiltinOp op, int[][] intConstants, int[] outShape, float[] want) {
    @Override
    public String toString() {
      return op.name();
    }
  }

  private static float[] map(java.util.function.DoubleUnaryOperator f) {
    float[] out = new float[X.length];
    for (int i = 0; i < X.length; i++) {
      out[i] = (float) f.applyAsDouble(X[i]);
    }
    return out;
  }

  static Stream<EmptyOptionsCase> opsThatTakeAnEmptyOptionsTable() {
    double lse = Math.log(Math.exp(-2) + Math.exp(-0.5) + Math.exp(0));
    double lse2 = Math.log(Math.exp(1) + Math.exp(2.5) + Math.exp(3));
    return Stream.of(
        new EmptyOptionsCase(BuiltinOp.EXP, new int[0][], new int[] {2, 3}, map(Math::exp)),
        new EmptyOptionsCase(BuiltinOp.NEG, new int[0][], new int[] {2, 3}, map(v -> -v)),
        new EmptyOptionsCase(BuiltinOp.ABS, new int[0][], new int[] {2, 3}, map(Math::abs)),
        new EmptyOptionsCase(BuiltinOp.SQUARE, new int[0][], new int[] {2, 3}, map(v -> v * v)),
        new EmptyOptionsCase(
            BuiltinOp.HARD_SWISH, new int[0][], new int[] {2, 3}, map(v -> v * Math.min(Math.max(v + 3, 0), 6) / 6)),
        new EmptyOptionsCase(
            BuiltinOp.LOG_SOFTMAX,
            new int[0][],
            new int[] {2, 3},
            new float[] {(float) (-2 - lse), (float) (-0.5 - lse), (float) -lse, (float) (1 - lse2),
                (float) (2.5 - lse2), (float) (3 - lse2)}),
        new EmptyOptionsCase(
            BuiltinOp.TRANSPOSE, new int[][] {{1, 0}}, new int[] {3, 2}, new float[] {-2, 1, -0.5f, 2.5f, 0, 3}),
        new EmptyOptionsCase(
            BuiltinOp.SLICE, new int[][] {{0, 1}, {2, 2}}, new int[] {2, 2}, new float[] {-0.5f, 0, 2.5f, 3}),
        new EmptyOptionsCase(
            BuiltinOp.TILE,
            new int[][] {{1, 2}},
            new int[] {2, 6},
            new float[] {-2, -0.5f, 0, -2, -0.5f, 0, 1, 2.5f, 3, 1, 2.5f, 3}),
        new EmptyOptionsCase(BuiltinOp.EXPAND_DIMS, new int[][] {{0}}, new int[] {1, 2, 3}, X),
        new EmptyOptionsCase(
            BuiltinOp.PAD,
            new int[][] {{0, 0, 1, 0}},
            new int[] {2, 4},
            new float[] {0, -2, -0.5f, 0, 0, 1, 2.5f, 3}),
        new EmptyOptionsCase(BuiltinOp.SUM, new int[][] {{1}}, new int[] {2}, new float[] {-2.5f, 6.5f}));
  }

  /** Ops whose options table holds nothing: written as an empty table of their member, which the kernels accept. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("opsThatTakeAnEmptyOptionsTable")
  void emptyOptionsTablesAreAcceptedByTheKernels(EmptyOptionsCase c) {
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, 2, 3);
    int[] in = new int[1 + c.intConstants().length];
    in[0] = x;
    for (int i = 0; i < c.intConstants().length; i++) {
      int[] v = c.intConstants()[i];
      int[] shape = c.op() == BuiltinOp.PAD ? new int[] {2, 2} : new int[] {v.length};
      in[i + 1] = w.constant("c" + i, HostTensor.ofInts(shape, Layout.ANY, v));
    }
    int y = w.tensor("y", TensorType.FLOAT32, c.outShape());
    // SUM's ReducerOptions (keep_dims=false) is also what an empty table says.
    w.op(c.op(), new OpOptions.None(), in, new int[] {y});
    w.outputs(y);
    HostTensor out = TfliteOracle.run(w.build(), Map.of(x, floats(new int[] {2, 3}, X))).get(y);
    assertThat(out.shape()).containsExactly(c.outShape());
    float[] got = out.toFloatArray();
    for (int i = 0; i < c.want().length; i++) {
      assertThat(got[i]).as("%s element %d", c.op(), i).isCloseTo(c.want()[i], within(1e-5f));
    }
  }

  @Test
  void int8WeightsPerTensorAndPerChannelDequantize() {
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, 2, 3);
    HostTensor q = HostTensor.of(DType.INT8, new int[] {2, 3}, Layout.ANY, ByteBuffer.wrap(new byte[] {-128, 0, 3, 5, 127, -1}));
    int perTensor =
        w.constant("q", q, new Quantization(new float[0], new float[0], new float[] {0.5f}, new long[] {3}, 0));
    int perChannel =
        w.constant(
            "qc", q, new Quantization(new float[0], new float[0], new float[] {0.5f, 0.25f}, new long[] {0, 0}, 0));
    int d1 = w.tensor("d1", TensorType.FLOAT32, 2, 3);
    int d2 = w.tensor("d2", TensorType.FLOAT32, 2, 3);
    int y1 = w.tensor("y1", TensorType.FLOAT32, 2, 3);
    int y2 = w.tensor("y2", TensorType.FLOAT32, 2, 3);
    w.op(BuiltinOp.DEQUANTIZE, new OpOptions.None(), new int[] {perTensor}, new int[] {d1});
    w.op(BuiltinOp.DEQUANTIZE, new OpOptions.None(), new int[] {perChannel}, new int[] {d2});
    w.op(BuiltinOp.ADD, new OpOptions.Arithmetic(11, Activation.NONE), new int[] {x, d1}, new int[] {y1});
    w.op(BuiltinOp.ADD, new OpOptions.Arithmetic(11, Activation.NONE), new int[] {x, d2}, new int[] {y2});
    w.outputs(y1, y2);
    Map<Integer, HostTensor> out = TfliteOracle.run(w.build(), Map.of(x, floats(new int[] {2, 3}, new float[6])));
    // (q - 3) * 0.5
    assertThat(out.get(y1).toFloatArray()).containsExactly(-65.5f, -1.5f, 0f, 1f, 62f, -2f);
    // row 0 scale 0.5, row 1 scale 0.25, zero point 0
    assertThat(out.get(y2).toFloatArray()).containsExactly(-64f, 0f, 1.5f, 1.25f, 31.75f, -0.25f);
  }

  static Stream<Arguments> sparseFormats() {
    float[] m4x8 = new float[32];
    m4x8[5] = 1.5f;
    m4x8[6] = -2f;
    m4x8[8] = 3f;
    m4x8[27] = 4f;
    m4x8[31] = -0.0f; // negative zero: non-zero bits, kept as stored
    float[] m3x4 = {0, 1, 0, 0, 0, 0, 0, 2, 3, 0, 0, 4};
    float[] wide = new float[2 * 300];
    wide[7] = 1f;
    wide[299] = 2f;
    wide[300 + 260] = -3f;
    float[] cube = new float[2 * 3 * 4];
    cube[1] = 1;
    cube[4 * 3 + 3] = 2;
    cube[23] = -5;
    return Stream.of(
        Arguments.of("CSR rows dense, columns sparse", new int[] {4, 8}, m4x8, new int[] {0, 1}, new int[0],
            new boolean[] {false, true}, new int[0]),
        Arguments.of("1x4 blocks (TFLite's FC sparse format)", new int[] {4, 8}, m4x8, new int[] {0, 1, 2},
            new int[] {1}, new boolean[] {false, true, false}, new int[] {4}),
        Arguments.of("2x2 blocks, both block dims dense", new int[] {4, 8}, m4x8, new int[] {0, 1, 2, 3},
            new int[] {0, 1}, new boolean[] {false, true, false, false}, new int[] {2, 2}),
        Arguments.of("column-major traversal, both sparse", new int[] {3, 4}, m3x4, new int[] {1, 0}, new int[0],
            new boolean[] {true, true}, new int[0]),
        Arguments.of("indices above 255 (uint16 index vectors)", new int[] {2, 300}, wide, new int[] {0, 1},
            new int[0], new boolean[] {false, true}, new int[0]),
        Arguments.of("rank 3, permuted traversal", new int[] {2, 3, 4}, cube, new int[] {2, 0, 1}, new int[0],
            new boolean[] {false, true, true}, new int[0]));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("sparseFormats")
  void sparseConstantDensifiesToTheDenseValues(
      String label, int[] shape, float[] dense, int[] traversal, int[] blockMap, boolean[] sparseDims,
      int[] blockSize) {
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, shape);
    int s = w.sparseConstant("s", HostTensor.ofFloats(shape, Layout.ANY, dense), traversal, blockMap, sparseDims,
        blockSize);
    int d = w.tensor("d", TensorType.FLOAT32, shape);
    int y = w.tensor("y", TensorType.FLOAT32, shape);
    w.op(BuiltinOp.DENSIFY, new OpOptions.None(), new int[] {s}, new int[] {d});
    w.op(BuiltinOp.ADD, new OpOptions.Arithmetic(11, Activation.NONE), new int[] {x, d}, new int[] {y});
    w.outputs(y);
    Map<Integer, HostTensor> out =
        TfliteOracle.run(w.build(), Map.of(x, HostTensor.ofFloats(shape, Layout.ANY, new float[dense.length])));
    float[] got = out.get(d).toFloatArray();
    for (int i = 0; i < dense.length; i++) {
      assertThat(Float.floatToRawIntBits(got[i])).as("%s element %d", label, i)
          .isEqualTo(Float.floatToRawIntBits(dense[i]));
    }
  }

  @Test
  void oracleResizesInputsToTheGivenShape() {
    TfliteWriter w = new TfliteWriter();
    int a = w.input("a", TensorType.FLOAT32, 1, 2);
    int y = w.tensor("y", TensorType.FLOAT32, 1, 2);
    w.op(BuiltinOp.MUL, new OpOptions.Arithmetic(21, Activation.NONE), new int[] {a, a}, new int[] {y});
    w.outputs(y);
    HostTensor out = TfliteOracle.run(w.build(), Map.of(a, floats(new int[] {3, 2}, 1, 2, 3, 4, 5, 6))).get(y);
    assertThat(out.shape()).containsExactly(3, 2);
    assertThat(out.toFloatArray()).containsExactly(1, 4, 9, 16, 25, 36);
  }

  @Test
  void dynamicBatchInputResizesInTheInterpreter() {
    TfliteWriter w = new TfliteWriter();
    int a = w.dynamicInput("a", TensorType.FLOAT32, new int[] {1, 3}, new int[] {-1, 3});
    int c = w.constant("c", floats(new int[] {3}, 1, 2, 3));
    int y = w.tensor("y", TensorType.FLOAT32, 1, 3);
    w.op(BuiltinOp.ADD, new OpOptions.Arithmetic(11, Activation.NONE), new int[] {a, c}, new int[] {y});
    w.outputs(y).signature("serving_default");
    HostTensor out = TfliteOracle.run(w.build(), Map.of(a, floats(new int[] {2, 3}, 0, 0, 0, 10, 20, 30))).get(y);
    assertThat(out.shape()).containsExactly(2, 3);
    assertThat(out.toFloatArray()).containsExactly(1, 2, 3, 11, 22, 33);
  }

  @Test
  void interpreterReadsTheSignature() {
    TfliteWriter w = new TfliteWriter();
    int a = w.input("pixels", TensorType.FLOAT32, 1, 3);
    int b = w.input("bias", TensorType.FLOAT32, 1, 3);
    int y = w.tensor("logits", TensorType.FLOAT32, 1, 3);
    int z = w.tensor("probs", TensorType.FLOAT32, 1, 3);
    w.op(BuiltinOp.ADD, new OpOptions.Arithmetic(11, Activation.NONE), new int[] {a, b}, new int[] {y});
    w.op(BuiltinOp.SOFTMAX, new OpOptions.Softmax(1f), new int[] {y}, new int[] {z});
    w.outputs(z, y).signature("serving_default");
    assertThat(TfliteOracle.signatures(w.build()))
        .containsExactly(
            new TfliteOracle.Signature(
                "serving_default", Map.of("pixels", a, "bias", b), Map.of("probs", z, "logits", y)));
    TfliteWriter none = new TfliteWriter();
    int i = none.input("i", TensorType.FLOAT32, 1);
    int o = none.tensor("o", TensorType.FLOAT32, 1);
    none.op(BuiltinOp.RELU, new OpOptions.None(), new int[] {i}, new int[] {o});
    assertThat(TfliteOracle.signatures(none.outputs(o).build())).isEmpty();
  }

  @Test
  void oracleReportsIntegerAndBoolOutputs() {
    TfliteWriter w = new TfliteWriter();
    int a = w.input("a", TensorType.FLOAT32, 2, 3);
    int am = w.tensor("argmax", TensorType.INT64, 2);
    int axis = w.constant("axis", HostTensor.ofInts(new int[] {1}, Layout.ANY, new int[] {1}));
    int b = w.input("b", TensorType.FLOAT32, 2, 3);
    int gt = w.tensor("gt", TensorType.BOOL, 2, 3);
    w.op(BuiltinOp.ARG_MAX, new OpOptions.ArgMinMax(40, TensorType.INT64), new int[] {a, axis}, new int[] {am});
    w.op(BuiltinOp.GREATER, new OpOptions.None(), new int[] {a, b}, new int[] {gt});
    w.outputs(am, gt);
    Map<Integer, HostTensor> out =
        TfliteOracle.run(
            w.build(),
            Map.of(a, floats(new int[] {2, 3}, 1, 9, 2, 7, 3, 8), b, floats(new int[] {2, 3}, 0, 9, 5, 7, 2, 1)));
    assertThat(out.get(am).dtype()).isEqualTo(DType.INT64);
    assertThat(out.get(am).toLongArray()).containsExactly(1, 2);
    assertThat(out.get(gt).dtype()).isEqualTo(DType.BOOL);
    assertThat(out.get(gt).toLongArray()).containsExactly(1, 0, 0, 0, 1, 1);
    assertThat(out).doesNotContainKey(axis); // constants are not reported
  }

  /**
   * An ArgMaxOptions table without output_type: schema.fbs gives the field no default, so it is FLOAT32 (0), which
   * the interpreter refuses ("Unknown index output data type: 1"). The reader must say FLOAT32 too, not INT64.
   */
  @Test
  void argMaxWithAnEmptyOptionsTableIsFloat32ForReaderAndInterpreter() {
    TfliteWriter w = new TfliteWriter();
    int a = w.input("a", TensorType.FLOAT32, 2, 3);
    int axis = w.constant("axis", HostTensor.ofInts(new int[] {1}, Layout.ANY, new int[] {1}));
    int am = w.tensor("argmax", TensorType.INT64, 2);
    w.op(BuiltinOp.ARG_MAX, new OpOptions.None(), new int[] {a, axis}, new int[] {am});
    w.outputs(am);
    assertThat(w.buildModel().main().operators().get(0).options())
        .isEqualTo(new OpOptions.ArgMinMax(40, TensorType.FLOAT32));
    assertThatThrownBy(() -> TfliteOracle.run(w.build(), Map.of(a, floats(new int[] {2, 3}, new float[6]))))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("AllocateTensors");
  }

  @Test
  void oracleFailuresAreExceptionsNotCrashes() {
    TfliteWriter w = new TfliteWriter();
    int a = w.input("a", TensorType.FLOAT32, 2);
    int y = w.tensor("y", TensorType.FLOAT32, 2);
    w.custom("NoSuchCustomOp", new int[] {a}, new int[] {y}, new byte[] {1, 2});
    w.outputs(y);
    byte[] custom = w.build();
    assertThatThrownBy(() -> TfliteOracle.run(custom, Map.of(a, floats(new int[] {2}, 1, 2))))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("NoSuchCustomOp");

    TfliteWriter ok = new TfliteWriter();
    int in = ok.input("in", TensorType.FLOAT32, 2);
    int out = ok.tensor("out", TensorType.FLOAT32, 2);
    ok.op(BuiltinOp.RELU, new OpOptions.None(), new int[] {in}, new int[] {out});
    ok.outputs(out);
    byte[] model = ok.build();
    assertThatThrownBy(() -> TfliteOracle.run(model, Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no value for graph input");
    assertThatThrownBy(() -> TfliteOracle.run(model, Map.of(in, HostTensor.ofInts(new int[] {2}, Layout.ANY, new int[2]))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("FLOAT32");
    byte[] truncated = java.util.Arrays.copyOf(model, model.length / 2);
    assertThatThrownBy(() -> TfliteOracle.run(truncated, Map.of(in, floats(new int[] {2}, 1, 2))))
        .isInstanceOf(IllegalStateException.class);
  }
}
