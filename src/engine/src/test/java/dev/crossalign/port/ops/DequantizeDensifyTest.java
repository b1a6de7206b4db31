package dev.crossalign.port.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.Half;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.Activation;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.Quantization;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteWriter;
import dev.crossalign.testutil.PortHarness;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * DEQUANTIZE and DENSIFY of constants, folded by the port at prepare time, against the interpreter's own outputs of
 * those ops (compared by tensor name; both must be exact) and through one consumer op that runs every time.
 */
class DequantizeDensifyTest {

  private static HostTensor bytes(DType dtype, int[] shape, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    int n = (int) HostTensor.numel(shape);
    ByteBuffer b = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < n; i++) {
      b.put((byte) rnd.nextInt(256)); // the full range, both extremes included over enough draws
    }
    b.flip();
    return HostTensor.of(dtype, shape, Layout.ANY, b);
  }

  private static HostTensor halves(int[] shape, long seed, double zeroFraction) {
    SplittableRandom rnd = new SplittableRandom(seed);
    int n = (int) HostTensor.numel(shape);
    ByteBuffer b = ByteBuffer.allocate(2 * n).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < n; i++) {
      float v = rnd.nextDouble() < zeroFraction ? 0f : (float) (rnd.nextDouble() * 8 - 4);
      b.putShort(Half.fromFloat(v));
    }
    b.flip();
    return HostTensor.of(DType.FLOAT16, shape, Layout.ANY, b);
  }

  private static Quantization quant(float[] scale, long[] zp, int axis) {
    return new Quantization(new float[0], new float[0], scale, zp, axis);
  }

  /** constant -> DEQUANTIZE -> ADD(input): the folded constant and the op that uses it, both compared. */
  private static void assertDequantized(HostTensor raw, Quantization q, int[] inputShape) {
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, inputShape);
    int c = w.constant("c", raw, q);
    int dq = w.tensor("dq", TensorType.FLOAT32, raw.shape());
    int y = w.tensor("y", TensorType.FLOAT32, inputShape);
    w.op(BuiltinOp.DEQUANTIZE, new OpOptions.None(), new int[] {c}, new int[] {dq});
    w.op(BuiltinOp.ADD, new OpOptions.Arithmetic(11, Activation.NONE), new int[] {x, dq}, new int[] {y});
    w.outputs(y);
    PortHarness.Result r = PortHarness.assertAligned(w.build(), 3, -2, 2, 0);
    assertThat(r.chained()).as("the folded DEQUANTIZE output is compared").containsEntry("dq", 0.0);
    assertThat(r.chained()).containsEntry("y", 0.0);
    assertThat(r.isolated()).containsEntry("y", 0.0);
    int scales = q == null ? 0 : q.scale().length;
    System.out.println("worst DEQUANTIZE " + raw.dtype() + " scales " + scales + " = " + r.worst());
  }

  @Test
  void fp16WeightsDequantizeExactly() {
    assertDequantized(halves(new int[] {3, 5}, 1, 0), null, new int[] {3, 5});
  }

  @Test
  void int8PerTensor() {
    assertDequantized(
        bytes(DType.INT8, new int[] {1, 1, 1, 6}, 2), quant(new float[] {0.05f}, new long[] {-3}, 0),
        new int[] {1, 2, 3, 6});
  }

  @Test
  void uint8PerTensor() {
    assertDequantized(
        bytes(DType.UINT8, new int[] {6}, 3), quant(new float[] {0.0123f}, new long[] {128}, 0),
        new int[] {1, 2, 3, 6});
  }

  @Test
  void int8PerChannelAxis0() {
    assertDequantized(
        bytes(DType.INT8, new int[] {4, 3}, 4),
        quant(new float[] {0.01f, 0.2f, 0.003f, 1.7f}, new long[] {0, 1, -2, 5}, 0),
        new int[] {4, 3});
  }

  @Test
  void int8PerChannelAxis3OfRank4() {
    assertDequantized(
        bytes(DType.INT8, new int[] {1, 2, 2, 4}, 5),
        quant(new float[] {0.01f, 0.2f, 0.003f, 1.7f}, new long[] {0, 0, 0, 0}, 3),
        new int[] {1, 2, 2, 4});
  }

  @Test
  void int8PerChannelAxis0OfRank4ConvWeights() {
    assertDequantized(
        bytes(DType.INT8, new int[] {3, 2, 2, 4}, 6),
        quant(new float[] {0.013f, 0.27f, 0.0031f}, new long[] {0, 0, 0}, 0),
        new int[] {3, 2, 2, 4});
  }

  /** Sparse layouts: traversal order, block map, CSR flags per expanded dimension, block sizes. */
  record Layout2(String label, int[] shape, int[] traversal, int[] blockMap, boolean[] sparse, int[] blockSize) {
    @Override
    public String toString() {
      return label;
    }
  }

  static Stream<Arguments> sparseLayouts() {
    return Stream.of(
        new Layout2("CSR rows", new int[] {4, 8}, new int[] {0, 1}, null, new boolean[] {false, true}, null),
        new Layout2("CSR both", new int[] {4, 8}, new int[] {0, 1}, null, new boolean[] {true, true}, null),
        new Layout2("CSR transposed", new int[] {4, 8}, new int[] {1, 0}, null, new boolean[] {false, true}, null),
        new Layout2("1x4 blocks", new int[] {4, 16}, new int[] {0, 1, 2}, new int[] {1},
            new boolean[] {false, true, false}, new int[] {4}),
        new Layout2("4x1 blocks", new int[] {8, 6}, new int[] {0, 1, 2}, new int[] {0},
            new boolean[] {false, true, false}, new int[] {4}),
        new Layout2("2x2 blocks", new int[] {6, 8}, new int[] {0, 1, 2, 3}, new int[] {0, 1},
            new boolean[] {false, true, false, false}, new int[] {2, 2}),
        new Layout2("rank 4 CSR last", new int[] {4, 2, 3, 8}, new int[] {0, 1, 2, 3}, null,
            new boolean[] {false, false, false, true}, null),
        new Layout2("rank 4 1x4 blocks", new int[] {4, 1, 1, 16}, new int[] {0, 1, 2, 3, 4}, new int[] {3},
            new boolean[] {false, false, false, true, false}, new int[] {4}))
        .map(Arguments::of);
  }

  /** Dense values with whole zero blocks (when blocked), zero rows and scattered zeros, so CSR has gaps. */
  private static float[] sparseValues(Layout2 l, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    int n = (int) HostTensor.numel(l.shape());
    float[] v = new float[n];
    int last = l.shape()[l.shape().length - 1];
    int blockW = l.blockMap() != null && l.blockMap()[0] == l.shape().length - 1 ? l.blockSize()[0] : 1;
    for (int i = 0; i < n; i += blockW) {
      boolean zeroBlock = rnd.nextDouble() < 0.5 || (i / last) == 1; // row 1 entirely zero
      for (int j = i; j < i + blockW; j++) {
        v[j] = zeroBlock || rnd.nextDouble() < 0.2 ? 0f : (float) (rnd.nextDouble() * 6 - 3);
      }
    }
    return v;
  }

  @ParameterizedTest(name = "fp32 {0}")
  @MethodSource("sparseLayouts")
  void densifyFloat32MatchesInterpreter(Layout2 l) {
    HostTensor dense = HostTensor.ofFloats(l.shape(), Layout.ANY, sparseValues(l, 21));
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, l.shape());
    int s = w.sparseConstant("s", dense, l.traversal(), l.blockMap(), l.sparse(), l.blockSize());
    int d = w.tensor("d", TensorType.FLOAT32, l.shape());
    int y = w.tensor("y", TensorType.FLOAT32, l.shape());
    w.op(BuiltinOp.DENSIFY, new OpOptions.None(), new int[] {s}, new int[] {d});
    w.op(BuiltinOp.ADD, new OpOptions.Arithmetic(11, Activation.NONE), new int[] {x, d}, new int[] {y});
    w.outputs(y);
    PortHarness.Result r = PortHarness.assertAligned(w.build(), 4, -1, 1, 0);
    assertThat(r.chained()).as("the folded DENSIFY output is compared").containsEntry("d", 0.0);
    assertThat(r.chained()).containsEntry("y", 0.0);
    // Independent of the interpreter too: the densified value is the dense tensor the writer encoded.
    assertThat(r.reference().get("d").toFloatArray()).containsExactly(dense.toFloatArray());
  }

  @ParameterizedTest(name = "fp16 {0}")
  @MethodSource("sparseLayouts")
  void densifyFloat16ThenDequantizeMatchesInterpreter(Layout2 l) {
    float[] v = sparseValues(l, 22);
    ByteBuffer b = ByteBuffer.allocate(2 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : v) {
      b.putShort(Half.fromFloat(f));
    }
    b.flip();
    HostTensor dense = HostTensor.of(DType.FLOAT16, l.shape(), Layout.ANY, b);
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, l.shape());
    int s = w.sparseConstant("s", dense, l.traversal(), l.blockMap(), l.sparse(), l.blockSize());
    int d = w.tensor("d", TensorType.FLOAT16, l.shape());
    int dq = w.tensor("dq", TensorType.FLOAT32, l.shape());
    int y = w.tensor("y", TensorType.FLOAT32, l.shape());
    w.op(BuiltinOp.DENSIFY, new OpOptions.None(), new int[] {s}, new int[] {d});
    w.op(BuiltinOp.DEQUANTIZE, new OpOptions.None(), new int[] {d}, new int[] {dq});
    w.op(BuiltinOp.MUL, new OpOptions.Arithmetic(21, Activation.NONE), new int[] {x, dq}, new int[] {y});
    w.outputs(y);
    PortHarness.Result r = PortHarness.assertAligned(w.build(), 4, -1, 1, 0);
    assertThat(r.chained()).containsEntry("d", 0.0).containsEntry("dq", 0.0).containsEntry("y", 0.0);
  }

  @ParameterizedTest(name = "int8 {0}")
  @MethodSource("sparseLayouts")
  void densifyInt8MatchesInterpreter(Layout2 l) {
    float[] v = sparseValues(l, 23);
    ByteBuffer b = ByteBuffer.allocate(v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : v) {
      b.put((byte) Math.round(f * 40));
    }
    b.flip();
    HostTensor dense = HostTensor.of(DType.INT8, l.shape(), Layout.ANY, b);
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, l.shape());
    int s = w.sparseConstant("s", dense, l.traversal(), l.blockMap(), l.sparse(), l.blockSize());
    int d = w.tensor("d", TensorType.INT8, l.shape());
    w.op(BuiltinOp.DENSIFY, new OpOptions.None(), new int[] {s}, new int[] {d});
    // A graph output that runs every time, so the model has a live input; the DENSIFY output is what is checked.
    int y = w.tensor("y", TensorType.FLOAT32, l.shape());
    w.op(BuiltinOp.RELU, new OpOptions.None(), new int[] {x}, new int[] {y});
    w.outputs(y, d);
    PortHarness.Result r = PortHarness.assertAligned(w.build(), 4, -1, 1, 0);
    assertThat(r.chained()).containsEntry("d", 0.0);
  }
}
