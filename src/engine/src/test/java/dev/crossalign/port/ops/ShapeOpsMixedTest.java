package dev.crossalign.port.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.crossalign.CrossalignException;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.port.PortBackend;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.testutil.PortHarness;
import dev.crossalign.tflite.Activation;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteModel;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Shape ops in combination and off the float path: the heads real detectors and classifiers end with (several
 * layout transitions in a row), int32 tensors, a RESHAPE whose shape is a run-time input, and refusals.
 */
class ShapeOpsMixedTest {
  static final double ATOL = 1e-5;

  /** SSD-style head: two conv maps reshaped to [1, anchors, k] and concatenated on the anchor axis. */
  @Test
  void detectorHeadReshapeThenConcat() {
    OpModel m = new OpModel();
    int a = m.source(1, 4, 4, 6);
    int b = m.source(1, 2, 2, 6);
    int ra = m.out(1, 48, 2);
    int rb = m.out(1, 12, 2);
    m.op(BuiltinOp.RESHAPE, new OpOptions.None(), new int[] {a, m.ints(1, -1, 2)}, ra);
    m.op(BuiltinOp.RESHAPE, new OpOptions.None(), new int[] {b, m.ints(1, -1, 2)}, rb);
    int y = m.out(1, 60, 2);
    m.op(BuiltinOp.CONCATENATION, new OpOptions.Concatenation(1, Activation.NONE), new int[] {ra, rb}, y);
    m.check("head: conv -> RESHAPE x2 -> CONCATENATION", ATOL, true, y);
  }

  /** Classifier head: global average pool (MEAN over H,W, keep_dims false), then squeeze-free reshape and argmax. */
  @Test
  void classifierHeadMeanReshapeArgMax() {
    OpModel m = new OpModel();
    int x = m.source(1, 7, 7, 5);
    int gap = m.out(1, 1, 1, 5);
    m.op(BuiltinOp.MEAN, new OpOptions.Reducer(true), new int[] {x, m.ints(1, 2)}, gap);
    int sq = m.out(1, 5);
    m.op(BuiltinOp.SQUEEZE, new OpOptions.Squeeze(new int[] {1, 2}), new int[] {gap}, sq);
    int top = m.out(TensorType.INT32, 1);
    m.op(BuiltinOp.ARG_MAX, new OpOptions.ArgMinMax(40, TensorType.INT32), new int[] {sq, m.ints(-1)}, top);
    m.check("head: conv -> MEAN keep -> SQUEEZE -> ARG_MAX", ATOL, false, sq, top);
  }

  /** Channel shuffle (ShuffleNet): reshape to groups, transpose, reshape back, on an NCHW value. */
  @Test
  void channelShuffle() {
    OpModel m = new OpModel();
    int x = m.source(1, 3, 3, 6);
    int r = m.out(1, 3, 3, 2, 3);
    m.op(BuiltinOp.RESHAPE, new OpOptions.None(), new int[] {x, m.ints(1, 3, 3, 2, 3)}, r);
    int t = m.out(1, 3, 3, 3, 2);
    m.op(BuiltinOp.TRANSPOSE, new OpOptions.None(), new int[] {r, m.ints(0, 1, 2, 4, 3)}, t);
    int y = m.out(1, 3, 3, 6);
    m.op(BuiltinOp.RESHAPE, new OpOptions.None(), new int[] {t, m.ints(1, 3, 3, 6)}, y);
    int s0 = m.out(1, 3, 3, 3);
    int s1 = m.out(1, 3, 3, 3);
    m.op(BuiltinOp.SPLIT, new OpOptions.Split(35, 2), new int[] {m.scalar(3), y}, s0, s1);
    m.check("channel shuffle: RESHAPE -> TRANSPOSE -> RESHAPE -> SPLIT", ATOL, true, y, s0, s1);
  }

  @Test
  void int32Tensors() {
    OpModel m = new OpModel();
    int x = m.source(TensorType.INT32, 2, 3, 4, 5);
    int sum = m.out(TensorType.INT32, 2, 4);
    m.op(BuiltinOp.SUM, new OpOptions.Reducer(false), new int[] {x, m.ints(1, 3)}, sum);
    int max = m.out(TensorType.INT32, 2, 3, 4, 1);
    m.op(BuiltinOp.REDUCE_MAX, new OpOptions.Reducer(true), new int[] {x, m.ints(-1)}, max);
    int sl = m.out(TensorType.INT32, 2, 4);
    m.op(BuiltinOp.STRIDED_SLICE, new OpOptions.StridedSlice(0b1101, 0b1101, 0, 0, 0b1010, false),
        new int[] {x, m.ints(0, 1, 0, 2), m.ints(0, 2, 0, 3), m.ints(1, 1, 1, 1)}, sl);
    int cat = m.out(TensorType.INT32, 2, 3, 4, 10);
    m.op(BuiltinOp.CONCATENATION, new OpOptions.Concatenation(-1, Activation.NONE), new int[] {x, x}, cat);
    int tr = m.out(TensorType.INT32, 5, 2, 3, 4);
    m.op(BuiltinOp.TRANSPOSE, new OpOptions.None(), new int[] {x, m.ints(3, 0, 1, 2)}, tr);
    m.check("int32: SUM, REDUCE_MAX, STRIDED_SLICE shrink, CONCATENATION, TRANSPOSE", 0.0, true, sum, max, sl, cat,
        tr);
  }

  /** RESHAPE whose shape input is a graph input: the port reads it at run time. */
  @Test
  void reshapeWithRunTimeShape() {
    OpModel m = new OpModel();
    int x = m.w.input("x", TensorType.FLOAT32, 2, 3, 4);
    int shape = m.w.input("shape", TensorType.INT32, 3);
    int y = m.out(4, 3, 2);
    m.op(BuiltinOp.RESHAPE, new OpOptions.None(), new int[] {x, shape}, y);
    m.w.outputs(y);
    byte[] bytes = m.w.build();
    float[] v = new float[24];
    for (int i = 0; i < v.length; i++) {
      v[i] = i * 0.25f - 3;
    }
    Map<Integer, HostTensor> in = new LinkedHashMap<>();
    in.put(x, HostTensor.ofFloats(new int[] {2, 3, 4}, Layout.ANY, v));
    in.put(shape, HostTensor.ofInts(new int[] {3}, Layout.ANY, new int[] {4, -1, 2}));
    PortHarness.Result r = PortHarness.run(bytes, in);
    assertThat(r.chained()).containsKey("y0");
    assertThat(r.worst()).isEqualTo(0.0);
  }

  /** Begin/end/strides computed at run time are refused at prepare time with a reason, not mis-run. */
  @Test
  void runTimeStridedSliceBoundsAreRefused() {
    OpModel m = new OpModel();
    int x = m.source(4, 5);
    int begin = m.w.input("begin", TensorType.INT32, 2);
    int y = m.out(2, 5);
    m.op(BuiltinOp.STRIDED_SLICE, new OpOptions.StridedSlice(0, 0, 0, 0, 0, false),
        new int[] {x, begin, m.ints(4, 5), m.ints(1, 1)}, y);
    m.w.outputs(y);
    try (PortBackend port =
        PortBackend.open(TfliteModel.read(m.w.build(), "t"), Device.CPU, DeterminismConfig.DETERMINISTIC)) {
      assertThat(port.unsupported()).singleElement().satisfies(u -> {
        assertThat(u.op()).isEqualTo("STRIDED_SLICE");
        assertThat(u.reason()).contains("begin computed at run time");
      });
    }
  }

  /** Run-time values that TFLite would reject are one-line input errors, not native failures. */
  @Test
  void badRunTimeIndicesAndShapesAreInputErrors() {
    OpModel m = new OpModel();
    int x = m.w.input("x", TensorType.FLOAT32, 3, 4);
    int idx = m.w.input("idx", TensorType.INT32, 2);
    int shape = m.w.input("shape", TensorType.INT32, 2);
    int g = m.out(2, 4);
    m.op(BuiltinOp.GATHER, new OpOptions.Gather(0, 0), new int[] {x, idx}, g);
    int r = m.out(4, 3);
    m.op(BuiltinOp.RESHAPE, new OpOptions.None(), new int[] {x, shape}, r);
    m.w.outputs(g, r);
    HostTensor xv = HostTensor.ofFloats(new int[] {3, 4}, Layout.ANY, new float[12]);
    try (PortBackend port =
        PortBackend.open(TfliteModel.read(m.w.build(), "t"), Device.CPU, DeterminismConfig.DETERMINISTIC)) {
      assertThat(port.unsupported()).isEmpty();
      Map<String, HostTensor> in = new LinkedHashMap<>();
      in.put("x", xv);
      in.put("idx", HostTensor.ofInts(new int[] {2}, Layout.ANY, new int[] {0, 2}));
      in.put("shape", HostTensor.ofInts(new int[] {2}, Layout.ANY, new int[] {4, -1}));
      assertThat(port.run(in).tensor(m.name(r)).shape()).containsExactly(4, 3);
      in.put("shape", HostTensor.ofInts(new int[] {2}, Layout.ANY, new int[] {5, -1}));
      assertThatThrownBy(() -> port.run(in))
          .isInstanceOf(CrossalignException.class)
          .hasMessageContaining("does not divide");
      in.put("shape", HostTensor.ofInts(new int[] {2}, Layout.ANY, new int[] {4, 3}));
      in.put("idx", HostTensor.ofInts(new int[] {2}, Layout.ANY, new int[] {1, -1}));
      assertThatThrownBy(() -> port.run(in))
          .isInstanceOf(CrossalignException.class)
          .hasMessageContaining("GATHER index -1 is outside [0, 3)")
          .satisfies(e -> assertThat(((CrossalignException) e).kind()).isEqualTo(CrossalignException.Kind.INPUT));
    }
  }
}
