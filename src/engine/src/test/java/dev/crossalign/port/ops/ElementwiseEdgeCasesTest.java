package dev.crossalign.port.ops;

import dev.crossalign.tflite.SparseDecoder;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.port.PortBackend;
import dev.crossalign.UnsupportedOp;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.Activation;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.Quantization;
import dev.crossalign.tflite.Sparsity;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteModel;
import dev.crossalign.tflite.TfliteWriter;
import dev.crossalign.testutil.PortHarness;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** int32 arithmetic, refusals at prepare time, and the TACO decoder against hand-decoded tensors. */
class ElementwiseEdgeCasesTest {

  static Stream<Arguments> int32Ops() {
    return Stream.of(
            BuiltinOp.ADD, BuiltinOp.SUB, BuiltinOp.MUL, BuiltinOp.MAXIMUM, BuiltinOp.MINIMUM,
            BuiltinOp.SQUARED_DIFFERENCE)
        .flatMap(op -> Stream.of(Arguments.of(op, new int[] {1, 3, 4, 2}), Arguments.of(op, new int[] {5, 3})));
  }

  @ParameterizedTest(name = "int32 {0} {1}")
  @MethodSource("int32Ops")
  void int32BinaryIsExact(BuiltinOp op, int[] shape) {
    TfliteWriter w = new TfliteWriter();
    int a = w.input("a", TensorType.INT32, shape);
    int b = w.input("b", TensorType.INT32, shape);
    int y = w.tensor("y", TensorType.INT32, shape);
    w.op(op, ElementwiseBinaryTest.options(op, Activation.NONE), new int[] {a, b}, new int[] {y});
    w.outputs(y);
    PortHarness.Result r = PortHarness.assertAligned(w.build(), 17, 0, 1, 0);
    assertThat(r.chained()).containsEntry("y", 0.0);
  }

  @ParameterizedTest(name = "int32 {0}")
  @MethodSource("int32Unary")
  void int32AbsNegAreExact(BuiltinOp op) {
    TfliteWriter w = new TfliteWriter();
    int a = w.input("a", TensorType.INT32, 2, 6);
    int b = w.tensor("b", TensorType.INT32, 2, 6);
    int y = w.tensor("y", TensorType.INT32, 2, 6);
    // a - 2 gives negatives from the harness's [0, 4) integer inputs.
    int two = w.constant("two", HostTensor.ofInts(new int[] {}, Layout.ANY, new int[] {2}));
    w.op(BuiltinOp.SUB, new OpOptions.Arithmetic(28, Activation.NONE), new int[] {a, two}, new int[] {b});
    w.op(op, new OpOptions.None(), new int[] {b}, new int[] {y});
    w.outputs(y);
    PortHarness.Result r = PortHarness.assertAligned(w.build(), 19, 0, 1, 0);
    assertThat(r.chained()).containsEntry("y", 0.0);
  }

  static Stream<BuiltinOp> int32Unary() {
    return Stream.of(BuiltinOp.ABS, BuiltinOp.NEG);
  }

  private static List<UnsupportedOp> unsupportedOf(byte[] model) {
    try (PortBackend port =
        PortBackend.open(TfliteModel.read(model, "test"), Device.CPU, DeterminismConfig.DETERMINISTIC)) {
      return port.unsupported();
    }
  }

  @Test
  void quantizedAddIsRefusedWithAReason() {
    Quantization q = new Quantization(new float[0], new float[0], new float[] {0.1f}, new long[] {128}, 0);
    TfliteWriter w = new TfliteWriter();
    int a = w.input("a", TensorType.UINT8, q, 1, 2, 2, 3);
    int b = w.input("b", TensorType.UINT8, q, 1, 2, 2, 3);
    int y = w.tensor("y", TensorType.UINT8, q, 1, 2, 2, 3);
    w.op(BuiltinOp.ADD, new OpOptions.Arithmetic(11, Activation.NONE), new int[] {a, b}, new int[] {y});
    w.outputs(y);
    assertThat(unsupportedOf(w.build()))
        .singleElement()
        .satisfies(u -> {
          assertThat(u.op()).isEqualTo("ADD");
          assertThat(u.reason()).contains("quantized");
        });
  }

  @Test
  void int32DivIsRefused() {
    TfliteWriter w = new TfliteWriter();
    int a = w.input("a", TensorType.INT32, 4);
    int b = w.input("b", TensorType.INT32, 4);
    int y = w.tensor("y", TensorType.INT32, 4);
    w.op(BuiltinOp.DIV, new OpOptions.Arithmetic(29, Activation.NONE), new int[] {a, b}, new int[] {y});
    w.outputs(y);
    assertThat(unsupportedOf(w.build())).singleElement().satisfies(u -> assertThat(u.reason()).contains("int32"));
  }

  private static Sparsity.DimensionMetadata dense(int size) {
    return new Sparsity.DimensionMetadata(false, size, null, null);
  }

  private static Sparsity.DimensionMetadata csr(int[] segments, int[] indices) {
    return new Sparsity.DimensionMetadata(true, 0, segments, indices);
  }

  /**
   * Hand-decoded 3x4 CSR matrix: rows {[_, a, _, b], [_, _, _, _], [c, _, _, _]} with values a, b, c stored in that
   * order: segments [0, 2, 2, 3], indices [1, 3, 0].
   */
  @Test
  void decodesCsrByHand() {
    Sparsity s =
        new Sparsity(
            new int[] {0, 1}, new int[0], List.of(dense(3), csr(new int[] {0, 2, 2, 3}, new int[] {1, 3, 0})));
    int[] src = SparseDecoder.decode(new int[] {3, 4}, s, 3);
    assertThat(src).containsExactly(-1, 0, -1, 1, -1, -1, -1, -1, 2, -1, -1, -1);
  }

  /**
   * Hand-decoded 2x8 matrix in 1x4 blocks: block row 0 keeps block column 1, block row 1 keeps block column 0; each
   * kept block stores its 4 values densely: elements (0, 4..7) = values 0..3, (1, 0..3) = values 4..7.
   */
  @Test
  void decodesOneByFourBlocksByHand() {
    Sparsity s =
        new Sparsity(
            new int[] {0, 1, 2},
            new int[] {1},
            List.of(dense(2), csr(new int[] {0, 1, 2}, new int[] {1, 0}), dense(4)));
    int[] src = SparseDecoder.decode(new int[] {2, 8}, s, 8);
    assertThat(src).containsExactly(-1, -1, -1, -1, 0, 1, 2, 3, 4, 5, 6, 7, -1, -1, -1, -1);
  }

  @Test
  void refusesMetadataThatWouldWriteOutsideTheTensor() {
    Sparsity s =
        new Sparsity(new int[] {0, 1}, new int[0], List.of(dense(3), csr(new int[] {0, 1, 1, 1}, new int[] {9})));
    assertThatThrownBy(() -> SparseDecoder.decode(new int[] {3, 4}, s, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("outside shape");
  }

  @Test
  void refusesMetadataNamingMoreElementsThanStored() {
    Sparsity s = new Sparsity(new int[] {0, 1}, new int[0], List.of(dense(3), dense(4)));
    assertThatThrownBy(() -> SparseDecoder.decode(new int[] {3, 4}, s, 5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("stored values");
  }

  @Test
  void refusesATraversalOrderThatDoesNotListOriginalDimsFirst() {
    Sparsity s = new Sparsity(new int[] {2, 0, 1}, new int[] {1}, List.of(dense(4), dense(2), dense(2)));
    assertThatThrownBy(() -> SparseDecoder.decode(new int[] {2, 8}, s, 16))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("traversal_order");
  }
}
