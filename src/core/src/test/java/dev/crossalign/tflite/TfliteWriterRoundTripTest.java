package dev.crossalign.tflite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Writer -> pure-Java reader. The reader was written (and tested against real models) independently of the writer,
 * so a field that comes back equal was written at the id TFLite reads.
 */
class TfliteWriterRoundTripTest {

  static Stream<Arguments> everyOptionsRecord() {
    return Stream.of(
        Arguments.of(BuiltinOp.CONV_2D, new OpOptions.Conv2D(Padding.VALID, 2, 3, Activation.RELU6, 2, 3)),
        Arguments.of(BuiltinOp.CONV_2D, new OpOptions.Conv2D(Padding.SAME, 1, 1, Activation.NONE, 1, 1)),
        Arguments.of(
            BuiltinOp.DEPTHWISE_CONV_2D,
            new OpOptions.DepthwiseConv2D(Padding.SAME, 1, 2, 4, Activation.RELU, 3, 1)),
        Arguments.of(BuiltinOp.AVERAGE_POOL_2D, new OpOptions.Pool2D(Padding.VALID, 2, 1, 3, 5, Activation.TANH)),
        Arguments.of(BuiltinOp.MAX_POOL_2D, new OpOptions.Pool2D(Padding.SAME, 2, 2, 2, 2, Activation.NONE)),
        Arguments.of(BuiltinOp.FULLY_CONNECTED, new OpOptions.FullyConnected(Activation.RELU_N1_TO_1, 1, true)),
        Arguments.of(BuiltinOp.SOFTMAX, new OpOptions.Softmax(0.75f)),
        Arguments.of(BuiltinOp.CONCATENATION, new OpOptions.Concatenation(-1, Activation.RELU)),
        Arguments.of(BuiltinOp.ADD, new OpOptions.Arithmetic(11, Activation.RELU)),
        Arguments.of(BuiltinOp.MUL, new OpOptions.Arithmetic(21, Activation.RELU6)),
        Arguments.of(BuiltinOp.SUB, new OpOptions.Arithmetic(28, Activation.SIGN_BIT)),
        Arguments.of(BuiltinOp.DIV, new OpOptions.Arithmetic(29, Activation.NONE)),
        Arguments.of(BuiltinOp.L2_NORMALIZATION, new OpOptions.L2Norm(Activation.RELU)),
        Arguments.of(BuiltinOp.RESIZE_BILINEAR, new OpOptions.ResizeBilinear(true, false)),
        Arguments.of(BuiltinOp.RESIZE_BILINEAR, new OpOptions.ResizeBilinear(false, true)),
        Arguments.of(BuiltinOp.RESIZE_NEAREST_NEIGHBOR, new OpOptions.ResizeNearestNeighbor(true, true)),
        Arguments.of(BuiltinOp.RESIZE_NEAREST_NEIGHBOR, new OpOptions.ResizeNearestNeighbor(false, true)),
        Arguments.of(BuiltinOp.RESHAPE, new OpOptions.Reshape(new int[] {1, -1, 4})),
        Arguments.of(BuiltinOp.RESHAPE, new OpOptions.Reshape(new int[0])),
        Arguments.of(BuiltinOp.SPACE_TO_DEPTH, new OpOptions.BlockSize(19, 2)),
        Arguments.of(BuiltinOp.DEPTH_TO_SPACE, new OpOptions.BlockSize(94, 3)),
        Arguments.of(BuiltinOp.GATHER, new OpOptions.Gather(-1, 1)),
        Arguments.of(BuiltinOp.MEAN, new OpOptions.Reducer(true)),
        Arguments.of(BuiltinOp.SUM, new OpOptions.Reducer(false)),
        Arguments.of(BuiltinOp.REDUCE_MAX, new OpOptions.Reducer(true)),
        Arguments.of(BuiltinOp.SQUEEZE, new OpOptions.Squeeze(new int[] {0, 2})),
        Arguments.of(BuiltinOp.STRIDED_SLICE, new OpOptions.StridedSlice(1, 2, 4, 8, 16, true)),
        Arguments.of(BuiltinOp.SPLIT, new OpOptions.Split(35, 3)),
        Arguments.of(BuiltinOp.SPLIT_V, new OpOptions.Split(79, 2)),
        Arguments.of(BuiltinOp.CAST, new OpOptions.Cast(TensorType.INT8, TensorType.INT32)),
        Arguments.of(BuiltinOp.CAST, new OpOptions.Cast(TensorType.FLOAT32, TensorType.FLOAT16)),
        Arguments.of(BuiltinOp.ARG_MAX, new OpOptions.ArgMinMax(40, TensorType.INT32)),
        Arguments.of(BuiltinOp.ARG_MIN, new OpOptions.ArgMinMax(57, TensorType.INT64)),
        Arguments.of(BuiltinOp.TRANSPOSE_CONV, new OpOptions.TransposeConv(Padding.SAME, 2, 3, Activation.RELU)),
        Arguments.of(BuiltinOp.PACK, new OpOptions.Pack(3, 1)),
        Arguments.of(BuiltinOp.UNPACK, new OpOptions.Unpack(2, -1)),
        Arguments.of(BuiltinOp.LEAKY_RELU, new OpOptions.LeakyRelu(0.2f)),
        Arguments.of(BuiltinOp.MIRROR_PAD, new OpOptions.MirrorPad(1)),
        Arguments.of(BuiltinOp.MIRROR_PAD, new OpOptions.MirrorPad(0)),
        Arguments.of(BuiltinOp.BATCH_MATMUL, new OpOptions.BatchMatMul(true, false)),
        Arguments.of(BuiltinOp.BATCH_MATMUL, new OpOptions.BatchMatMul(false, true)),
        Arguments.of(BuiltinOp.GELU, new OpOptions.Gelu(true)),
        Arguments.of(BuiltinOp.GELU, new OpOptions.Gelu(false)),
        Arguments.of(BuiltinOp.LOCAL_RESPONSE_NORMALIZATION,
            new OpOptions.LocalResponseNormalization(2, 1.5f, 1e-4f, 0.75f)),
        Arguments.of(BuiltinOp.SHAPE, new OpOptions.Shape(TensorType.INT32)),
        Arguments.of(BuiltinOp.SHAPE, new OpOptions.Shape(TensorType.INT64)),
        Arguments.of(BuiltinOp.CUMSUM, new OpOptions.Cumsum(true, false)),
        Arguments.of(BuiltinOp.CUMSUM, new OpOptions.Cumsum(false, true)),
        Arguments.of(BuiltinOp.ONE_HOT, new OpOptions.OneHot(-1)),
        Arguments.of(BuiltinOp.ONE_HOT, new OpOptions.OneHot(1)));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("everyOptionsRecord")
  void optionsRecordReadsBackEqual(BuiltinOp op, OpOptions options) {
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, 1, 4);
    int y = w.tensor("y", TensorType.FLOAT32, 1, 4);
    w.op(op, options, new int[] {x}, new int[] {y});
    w.outputs(y);

    // one op of one input: only its options are what TFLite would take
    Operator read = TfliteModel.readWithoutOpChecks(w.build(), "writer").main().operators().get(0);
    assertThat(read.builtin()).isEqualTo(op);
    assertThat(read.builtinCode()).isEqualTo(op.code());
    assertThat(read.options().unionType()).isEqualTo(options.unionType());
    assertThat(read.options()).usingRecursiveComparison().isEqualTo(options);
  }

  @Test
  void everyRecordTypeIsCoveredByTheTable() {
    List<Class<?>> covered = new java.util.ArrayList<>();
    everyOptionsRecord().forEach(a -> covered.add(a.get()[1].getClass()));
    for (Class<?> c : OpOptions.class.getPermittedSubclasses()) {
      if (c != OpOptions.None.class && c != OpOptions.Other.class) {
        assertThat(covered).as("round-trip case for %s", c.getSimpleName()).contains(c);
      }
    }
  }

  static Stream<Arguments> opsWithAnOptionsTableTheEngineDoesNotDecode() {
    return Stream.of(
        Arguments.of(BuiltinOp.PAD, 22),
        Arguments.of(BuiltinOp.TRANSPOSE, 26),
        Arguments.of(BuiltinOp.EXP, 33),
        Arguments.of(BuiltinOp.LOG_SOFTMAX, 36),
        Arguments.of(BuiltinOp.DEQUANTIZE, 38),
        Arguments.of(BuiltinOp.MAXIMUM, 39),
        Arguments.of(BuiltinOp.MINIMUM, 39),
        Arguments.of(BuiltinOp.NEG, 42),
        Arguments.of(BuiltinOp.PADV2, 43),
        Arguments.of(BuiltinOp.SLICE, 48),
        Arguments.of(BuiltinOp.TILE, 51),
        Arguments.of(BuiltinOp.EXPAND_DIMS, 52),
        Arguments.of(BuiltinOp.POW, 56),
        Arguments.of(BuiltinOp.SQUARE, 66),
        Arguments.of(BuiltinOp.SQUARED_DIFFERENCE, 76),
        Arguments.of(BuiltinOp.ABS, 78),
        Arguments.of(BuiltinOp.HARD_SWISH, 91),
        Arguments.of(BuiltinOp.DENSIFY, 99),
        Arguments.of(BuiltinOp.BROADCAST_TO, 104));
  }

  @ParameterizedTest(name = "{0} -> union {1}")
  @MethodSource("opsWithAnOptionsTableTheEngineDoesNotDecode")
  void noneBecomesAnEmptyTableOfTheOpsUnionType(BuiltinOp op, int unionType) {
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, 4);
    int y = w.tensor("y", TensorType.FLOAT32, 4);
    w.op(op, new OpOptions.None(), new int[] {x}, new int[] {y});
    Operator read = TfliteModel.readWithoutOpChecks(w.build(), "writer").main().operators().get(0);
    assertThat(read.options()).isEqualTo(new OpOptions.Other(unionType));
  }

  @Test
  void noneForADecodedOpReadsAsSchemaDefaultsAndOpsWithoutOptionsStayNone() {
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, 4);
    int y = w.tensor("y", TensorType.FLOAT32, 4);
    int z = w.tensor("z", TensorType.FLOAT32, 4);
    w.op(BuiltinOp.SOFTMAX, new OpOptions.None(), new int[] {x}, new int[] {y});
    w.op(BuiltinOp.LOGISTIC, new OpOptions.None(), new int[] {y}, new int[] {z});
    List<Operator> ops = w.buildModel().main().operators();
    assertThat(ops.get(0).options()).isEqualTo(new OpOptions.Softmax(0f));
    assertThat(ops.get(1).options()).isEqualTo(new OpOptions.None());
  }

  @Test
  void modelStructureReadsBack() {
    TfliteWriter w = new TfliteWriter();
    int x = w.input("image", TensorType.FLOAT32, 1, 8, 8, 3);
    int ids = w.input("ids", TensorType.INT32, 5);
    int weights =
        w.constant("w", HostTensor.ofFloats(new int[] {2, 3}, Layout.ANY, new float[] {1, -2, 3.5f, 0, 7, 8}));
    int shape = w.constant("shape", HostTensor.ofInts(new int[] {2}, Layout.ANY, new int[] {1, 192}));
    int big = w.constant("i64", HostTensor.ofLongs(new int[] {2}, Layout.ANY, new long[] {Long.MIN_VALUE, 42}));
    Quantization q = new Quantization(new float[0], new float[0], new float[] {0.5f, 0.25f}, new long[] {0, 3}, 1);
    int qw =
        w.constant(
            "qw",
            HostTensor.of(DType.INT8, new int[] {2, 2}, Layout.ANY, ByteBuffer.wrap(new byte[] {-128, 1, 2, 127})),
            q);
    int flat = w.tensor("flat", TensorType.FLOAT32, 1, 192);
    int act = w.tensor("act", TensorType.INT8, new Quantization(new float[] {-1}, new float[] {1}, new float[] {
        1 / 128f}, new long[] {-1}, 0), 1, 192);
    int g = w.tensor("gelu", TensorType.FLOAT32, 1, 192);
    int out = w.tensor("out", TensorType.FLOAT32, 1, 192);
    int flat2 = w.tensor("flat2", TensorType.FLOAT32, 1, 192);
    w.op(BuiltinOp.RESHAPE, new OpOptions.Reshape(new int[] {1, 192}), new int[] {x, shape}, new int[] {flat});
    w.op(BuiltinOp.GELU, new OpOptions.Gelu(false), 2, new int[] {flat}, new int[] {g});
    byte[] customOpts = "opaque\0bytes".getBytes(StandardCharsets.ISO_8859_1);
    w.custom("MyCustomOp", new int[] {g, -1, weights}, new int[] {out, act}, customOpts);
    w.op(BuiltinOp.RESHAPE, new OpOptions.Reshape(new int[] {1, 192}), new int[] {x, shape}, new int[] {flat2});
    w.outputs(out, act).signature("serving_default");

    byte[] bytes = w.build();
    assertThat(new String(bytes, 4, 4, StandardCharsets.ISO_8859_1)).isEqualTo("TFL3");
    TfliteModel m = TfliteModel.readWithoutOpChecks(bytes, "rt"); // one op, its inputs not what TFLite needs
    assertThat(m.schemaVersion()).isEqualTo(3);
    assertThat(m.description()).isEqualTo(TfliteWriter.DESCRIPTION);
    assertThat(m.buffers().get(0).length()).isZero();
    Subgraph sg = m.main();
    assertThat(sg.inputs()).containsExactly(x, ids);
    assertThat(sg.outputs()).containsExactly(out, act);
    assertThat(sg.tensors()).hasSize(11);

    TensorInfo ti = sg.tensor(x);
    assertThat(ti.name()).isEqualTo("image");
    assertThat(ti.type()).isEqualTo(TensorType.FLOAT32);
    assertThat(ti.shape()).containsExactly(1, 8, 8, 3);
    assertThat(m.isConstant(ti)).isFalse();
    assertThat(sg.tensor(ids).type()).isEqualTo(TensorType.INT32);

    assertThat(m.constant(sg.tensor(weights)).toFloatArray()).containsExactly(1, -2, 3.5f, 0, 7, 8);
    assertThat(m.constant(sg.tensor(shape)).toLongArray()).containsExactly(1, 192);
    assertThat(m.constant(sg.tensor(big)).toLongArray()).containsExactly(Long.MIN_VALUE, 42);
    HostTensor qv = m.constant(sg.tensor(qw));
    assertThat(qv.dtype()).isEqualTo(DType.INT8);
    assertThat(qv.toLongArray()).containsExactly(-128, 1, 2, 127);
    assertThat(sg.tensor(qw).quantization()).usingRecursiveComparison().isEqualTo(q);
    assertThat(sg.tensor(act).quantization().zeroPoint()).containsExactly(-1);
    assertThat(sg.tensor(act).quantization().min()).containsExactly(-1f);
    assertThat(sg.tensor(flat).quantization()).isNull();
    // Constant data is 16-byte aligned, as schema.fbs asks (force_align: 16).
    for (int i = 1; i < m.buffers().size(); i++) {
      assertThat(m.buffers().get(i).offset() % 16).as("buffer %d offset", i).isZero();
    }

    List<Operator> ops = sg.operators();
    assertThat(ops).hasSize(4);
    assertThat(ops.get(1).builtin()).isEqualTo(BuiltinOp.GELU);
    assertThat(ops.get(1).builtinCode()).isEqualTo(150);
    assertThat(ops.get(1).version()).isEqualTo(2);
    assertThat(ops.get(0).version()).isEqualTo(1);
    assertThat(ops.get(2).isCustom()).isTrue();
    assertThat(ops.get(2).customCode()).isEqualTo("MyCustomOp");
    assertThat(ops.get(2).inputs()).containsExactly(g, -1, weights);
    assertThat(ops.get(2).outputs()).containsExactly(out, act);
    assertThat(ops.get(2).customOptions()).isEqualTo(customOpts);
    assertThat(ops.get(3).inputs()).containsExactly(x, shape);
    assertThat(ops.get(3).outputs()).containsExactly(flat2);
    assertThat(ti.shapeSignature()).isEmpty();

    assertThat(m.signatures()).hasSize(1);
    SignatureDef sig = m.signatures().get(0);
    assertThat(sig.key()).isEqualTo("serving_default");
    assertThat(sig.subgraphIndex()).isZero();
    assertThat(sig.inputs()).containsExactly(java.util.Map.entry("image", x), java.util.Map.entry("ids", ids));
    assertThat(sig.outputs()).containsExactly(java.util.Map.entry("out", out), java.util.Map.entry("act", act));
  }

  @Test
  void shapeSignatureAndQuantizedInputReadBack() {
    TfliteWriter w = new TfliteWriter();
    int d = w.dynamicInput("d", TensorType.FLOAT32, new int[] {1, 4}, new int[] {-1, 4});
    Quantization q = new Quantization(new float[0], new float[0], new float[] {0.1f}, new long[] {-5}, 0);
    int qi = w.input("q", TensorType.INT8, q, 1, 4);
    TfliteModel m = w.buildModel();
    assertThat(m.main().inputs()).containsExactly(d, qi);
    assertThat(m.main().tensor(d).shape()).containsExactly(1, 4);
    assertThat(m.main().tensor(d).shapeSignature()).containsExactly(-1, 4);
    assertThat(m.main().tensor(qi).type()).isEqualTo(TensorType.INT8);
    assertThat(m.main().tensor(qi).quantization()).usingRecursiveComparison().isEqualTo(q);
  }

  @Test
  void opcodesAreSharedAndCodesAbove127UseThePlaceholder() {
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, 4);
    int a = w.tensor("a", TensorType.FLOAT32, 4);
    int b = w.tensor("b", TensorType.FLOAT32, 4);
    int c = w.tensor("c", TensorType.FLOAT32, 4);
    w.op(BuiltinOp.GELU, new OpOptions.Gelu(false), new int[] {x}, new int[] {a});
    w.op(BuiltinOp.GELU, new OpOptions.Gelu(true), new int[] {a}, new int[] {b});
    w.op(BuiltinOp.GELU, new OpOptions.Gelu(true), 2, new int[] {b}, new int[] {c});
    byte[] bytes = w.build();
    // Operator codes table: GELU v1 shared by the first two ops, GELU v2 for the third. Read the raw fields.
    ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    int model = bb.getInt(0);
    int codesVec = fieldPos(bb, model, 1);
    codesVec += bb.getInt(codesVec);
    assertThat(bb.getInt(codesVec)).as("operator_codes length").isEqualTo(2);
    int code0 = codesVec + 4 + bb.getInt(codesVec + 4);
    assertThat(bb.get(fieldPos(bb, code0, 0))).as("deprecated_builtin_code").isEqualTo((byte) 127);
    assertThat(bb.getInt(fieldPos(bb, code0, 3))).as("builtin_code").isEqualTo(150);
  }

  /** Position of field {@code id} of the table at {@code table} (asserting it is present). */
  private static int fieldPos(ByteBuffer bb, int table, int id) {
    int vt = table - bb.getInt(table);
    int off = bb.getShort(vt + 4 + 2 * id);
    assertThat(off).as("field %d present", id).isPositive();
    return table + off;
  }

  @Test
  void csrEncodingIsTheHandComputedOne() {
    float[] dense = {
      0, 2, 0, 0, 1,
      0, 0, 0, 0, 0,
      -3, 0, 0, 4, 0,
    };
    TfliteWriter w = new TfliteWriter();
    int s =
        w.sparseConstant(
            "s",
            HostTensor.ofFloats(new int[] {3, 5}, Layout.ANY, dense),
            new int[] {0, 1},
            new int[0],
            new boolean[] {false, true},
            new int[0]);
    int y = w.tensor("y", TensorType.FLOAT32, 3, 5);
    w.op(BuiltinOp.DENSIFY, new OpOptions.None(), new int[] {s}, new int[] {y});
    TfliteModel m = w.buildModel();
    TensorInfo t = m.main().tensor(s);
    assertThat(t.shape()).containsExactly(3, 5);
    Sparsity sp = t.sparsity();
    assertThat(sp.traversalOrder()).containsExactly(0, 1);
    assertThat(sp.blockMap()).isEmpty();
    assertThat(sp.dimMetadata()).hasSize(2);
    assertThat(sp.dimMetadata().get(0).sparse()).isFalse();
    assertThat(sp.dimMetadata().get(0).denseSize()).isEqualTo(3);
    assertThat(sp.dimMetadata().get(1).sparse()).isTrue();
    assertThat(sp.dimMetadata().get(1).arraySegments()).containsExactly(0, 2, 2, 4);
    assertThat(sp.dimMetadata().get(1).arrayIndices()).containsExactly(1, 4, 0, 3);
    ByteBuffer values = m.bufferData(t.buffer());
    float[] v = new float[values.remaining() / 4];
    values.asFloatBuffer().get(v);
    assertThat(v).containsExactly(2, 1, -3, 4);
  }

  @Test
  void blockedEncodingStoresWholeBlocks() {
    // 2x8 with 1x4 blocks: block (0,0) all zero, (0,1) has a value, (1,0) has a value, (1,1) all zero.
    float[] dense = {
      0, 0, 0, 0, 0, 5, 0, 0,
      1, 0, 0, 2, 0, 0, 0, 0,
    };
    TfliteWriter w = new TfliteWriter();
    int s =
        w.sparseConstant(
            "s",
            HostTensor.ofFloats(new int[] {2, 8}, Layout.ANY, dense),
            new int[] {0, 1, 2},
            new int[] {1},
            new boolean[] {false, true, false},
            new int[] {4});
    Sparsity sp = w.buildModel().main().tensor(s).sparsity();
    assertThat(sp.traversalOrder()).containsExactly(0, 1, 2);
    assertThat(sp.blockMap()).containsExactly(1);
    assertThat(sp.dimMetadata().get(0).denseSize()).isEqualTo(2);
    assertThat(sp.dimMetadata().get(1).arraySegments()).containsExactly(0, 1, 2);
    assertThat(sp.dimMetadata().get(1).arrayIndices()).containsExactly(1, 0);
    assertThat(sp.dimMetadata().get(2).sparse()).isFalse();
    assertThat(sp.dimMetadata().get(2).denseSize()).isEqualTo(4);
  }

  @Test
  void misuseIsRefusedWithAMessage() {
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, 4);
    int y = w.tensor("y", TensorType.FLOAT32, 4);
    int c = w.constant("c", HostTensor.ofFloats(new int[] {4}, Layout.ANY, new float[4]));
    assertThatThrownBy(
            () -> w.op(BuiltinOp.ADD, new OpOptions.Arithmetic(21, Activation.NONE), new int[] {x, x}, new int[] {y}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ADD takes options of union type 11");
    assertThatThrownBy(() -> w.op(BuiltinOp.RELU, new OpOptions.Softmax(1f), new int[] {x}, new int[] {y}))
        .hasMessageContaining("RELU takes options of union type 0");
    assertThatThrownBy(() -> w.op(BuiltinOp.PAD, new OpOptions.Other(22), new int[] {x}, new int[] {y}))
        .hasMessageContaining("Other");
    assertThatThrownBy(() -> w.op(BuiltinOp.ADD, new OpOptions.None(), new int[] {x, 7}, new int[] {y}))
        .hasMessageContaining("tensor 7");
    assertThatThrownBy(() -> w.op(BuiltinOp.ADD, new OpOptions.None(), new int[] {x, x}, new int[] {-1}))
        .hasMessageContaining("tensor -1");
    assertThatThrownBy(() -> w.op(BuiltinOp.ADD, new OpOptions.None(), new int[] {x, x}, new int[] {c}))
        .hasMessageContaining("is a constant");
    assertThatThrownBy(() -> w.op(BuiltinOp.ADD, new OpOptions.None(), 0, new int[] {x, x}, new int[] {y}))
        .hasMessageContaining("version");
    assertThatThrownBy(() -> w.outputs(99)).hasMessageContaining("tensor 99");
    assertThatThrownBy(() -> w.tensor("bad", TensorType.FLOAT32, 2, -1)).hasMessageContaining("negative");
    assertThatThrownBy(
            () ->
                w.sparseConstant(
                    "s",
                    HostTensor.ofFloats(new int[] {2, 3}, Layout.ANY, new float[] {1, 0, 0, 0, 0, 2}),
                    new int[] {0, 1, 2},
                    new int[] {1},
                    new boolean[] {false, true, false},
                    new int[] {2}))
        .hasMessageContaining("does not divide");
    assertThatThrownBy(
            () ->
                w.sparseConstant(
                    "s",
                    HostTensor.ofFloats(new int[] {2, 2}, Layout.ANY, new float[4]),
                    new int[] {0, 1},
                    new int[0],
                    new boolean[] {false, true},
                    new int[0]))
        .hasMessageContaining("all zeros");
    TfliteWriter order = new TfliteWriter();
    int in = order.input("in", TensorType.FLOAT32, 2);
    int mid = order.tensor("mid", TensorType.FLOAT32, 2);
    int end = order.tensor("end", TensorType.FLOAT32, 2);
    order.op(BuiltinOp.RELU, new OpOptions.None(), new int[] {mid}, new int[] {end});
    order.op(BuiltinOp.RELU, new OpOptions.None(), new int[] {in}, new int[] {mid});
    assertThatThrownBy(order::build).hasMessageContaining("reads tensor 1 ('mid') before any op writes it");
    TfliteWriter twice = new TfliteWriter();
    int i2 = twice.input("in", TensorType.FLOAT32, 2);
    twice.op(BuiltinOp.RELU, new OpOptions.None(), new int[] {i2}, new int[] {i2});
    assertThatThrownBy(twice::build).hasMessageContaining("already a graph input");
    TfliteWriter unwritten = new TfliteWriter();
    unwritten.input("in", TensorType.FLOAT32, 2);
    unwritten.outputs(unwritten.tensor("never", TensorType.FLOAT32, 2));
    assertThatThrownBy(unwritten::build).hasMessageContaining("never written");
    assertThatThrownBy(() -> new TfliteWriter().dynamicInput("d", TensorType.FLOAT32, new int[] {1, 4}, new int[] {2, -1}))
        .hasMessageContaining("must equal shape");
    TfliteWriter dup = new TfliteWriter();
    int a = dup.input("same", TensorType.FLOAT32, 1);
    dup.input("same", TensorType.FLOAT32, 1);
    dup.outputs(a).signature("s");
    assertThatThrownBy(dup::build).hasMessageContaining("used twice");
  }
}
