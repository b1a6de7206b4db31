package dev.crossalign.port.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.port.PortBackend;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.testutil.PortHarness;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteModel;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** GATHER, TILE, ARG_MAX and ARG_MIN against the interpreter. */
class GatherTileArgTest {
  static final double ATOL = 1e-5;

  static Stream<Arguments> gathers() {
    return Stream.of(
        // params shape, axis, indices shape, indices values (null = run-time int32 input), int64 constant
        Arguments.of(new int[] {1, 4, 5, 6}, 3, new int[] {3}, new int[] {2, 0, 5}, false),
        Arguments.of(new int[] {1, 4, 5, 6}, -1, new int[] {}, new int[] {4}, false),
        Arguments.of(new int[] {1, 4, 5, 6}, 1, new int[] {2, 2}, new int[] {0, 3, 1, 1}, false),
        Arguments.of(new int[] {1, 4, 5, 6}, -2, new int[] {4}, new int[] {4, 4, 0, 2}, true),
        Arguments.of(new int[] {3, 4, 5}, 1, new int[] {2}, new int[] {3, 0}, true),
        Arguments.of(new int[] {10, 4}, 0, new int[] {3}, null, false),
        Arguments.of(new int[] {2, 6, 4}, 1, new int[] {2, 3}, null, false),
        Arguments.of(new int[] {1, 4, 5, 6}, 3, new int[] {5}, null, false),
        Arguments.of(new int[] {8}, 0, new int[] {4}, null, false));
  }

  @ParameterizedTest
  @MethodSource("gathers")
  void gather(int[] shape, int axis, int[] idxShape, int[] idx, boolean int64) {
    OpModel m = new OpModel();
    int x = m.source(shape);
    int ind;
    if (idx == null) {
      ind = m.w.input("indices", TensorType.INT32, idxShape);
    } else if (int64) {
      long[] l = Arrays.stream(idx).asLongStream().toArray();
      ind = m.w.constant("indices", HostTensor.ofLongs(idxShape, Layout.ANY, l));
    } else {
      ind = m.w.constant("indices", HostTensor.ofInts(idxShape, Layout.ANY, idx));
    }
    int a = axis < 0 ? axis + shape.length : axis;
    int[] out = new int[shape.length - 1 + idxShape.length];
    int k = 0;
    for (int i = 0; i < a; i++) {
      out[k++] = shape[i];
    }
    for (int d : idxShape) {
      out[k++] = d;
    }
    for (int i = a + 1; i < shape.length; i++) {
      out[k++] = shape[i];
    }
    int y = m.out(out);
    m.op(BuiltinOp.GATHER, new OpOptions.Gather(axis, 0), new int[] {x, ind}, y);
    m.check("GATHER " + Arrays.toString(shape) + " axis " + axis + " indices " + Arrays.toString(idxShape)
        + (idx == null ? " run-time" : int64 ? " int64" : " int32"), ATOL, true, y);
  }

  static Stream<Arguments> tiles() {
    return Stream.of(
        Arguments.of(new int[] {1, 2, 3, 4}, new int[] {1, 2, 1, 3}, false),
        Arguments.of(new int[] {1, 2, 3, 4}, new int[] {2, 1, 2, 1}, true),
        Arguments.of(new int[] {2, 3, 4}, new int[] {2, 1, 3}, false),
        Arguments.of(new int[] {3, 2}, new int[] {2, 2}, true),
        Arguments.of(new int[] {5}, new int[] {3}, false));
  }

  @ParameterizedTest
  @MethodSource("tiles")
  void tile(int[] shape, int[] mult, boolean int64) {
    OpModel m = new OpModel();
    int x = m.source(shape);
    int mt =
        int64
            ? m.w.constant("mult", HostTensor.ofLongs(new int[] {mult.length}, Layout.ANY,
                Arrays.stream(mult).asLongStream().toArray()))
            : m.ints(mult);
    int[] out = new int[shape.length];
    for (int i = 0; i < shape.length; i++) {
      out[i] = shape[i] * mult[i];
    }
    int y = m.out(out);
    m.op(BuiltinOp.TILE, new OpOptions.None(), new int[] {x, mt}, y);
    m.check("TILE " + Arrays.toString(shape) + " x " + Arrays.toString(mult) + (int64 ? " int64" : ""), ATOL, true,
        y);
  }

  static Stream<Arguments> args() {
    Stream.Builder<Arguments> b = Stream.builder();
    Object[][] table = {
      {new int[] {1, 4, 5, 6}, 3},
      {new int[] {1, 4, 5, 6}, -3},
      {new int[] {2, 4, 5, 6}, 0},
      {new int[] {1, 4, 5, 6}, 2},
      {new int[] {3, 4, 5}, 1},
      {new int[] {6, 7}, -1},
    };
    for (String op : new String[] {"ARG_MAX", "ARG_MIN"}) {
      for (Object[] row : table) {
        for (TensorType t : new TensorType[] {TensorType.INT32, TensorType.INT64}) {
          b.add(Arguments.of(op, row[0], row[1], t));
        }
      }
    }
    return b.build();
  }

  private static int argModel(OpModel m, String op, int x, int[] shape, int axis, TensorType type) {
    int a = axis < 0 ? axis + shape.length : axis;
    int[] out = new int[shape.length - 1];
    for (int i = 0, j = 0; i < shape.length; i++) {
      if (i != a) {
        out[j++] = shape[i];
      }
    }
    int y = m.out(type, out);
    int bu = op.equals("ARG_MAX") ? 40 : 57;
    m.op(BuiltinOp.valueOf(op), new OpOptions.ArgMinMax(bu, type), new int[] {x, m.ints(axis)}, y);
    return y;
  }

  @ParameterizedTest
  @MethodSource("args")
  void argMinMax(String op, int[] shape, int axis, TensorType type) {
    OpModel m = new OpModel();
    int x = m.source(shape);
    int y = argModel(m, op, x, shape, axis, type);
    // The upstream conv may differ by ~1e-7 (ATOL); the indices must agree exactly, chained and isolated.
    PortHarness.Result r = m.check(op + " " + Arrays.toString(shape) + " axis " + axis + " -> " + type, ATOL, true, y);
    assertThat(r.chained().get(m.name(y))).as("chained index error").isEqualTo(0.0);
  }

  /** The index dtype follows output_type (the harness compares values only, so this checks the type itself). */
  @Test
  void argOutputTypeFollowsOptions() {
    for (TensorType type : new TensorType[] {TensorType.INT32, TensorType.INT64}) {
      OpModel m = new OpModel();
      int x = m.w.input("x", TensorType.FLOAT32, 3, 4);
      int y = argModel(m, "ARG_MAX", x, new int[] {3, 4}, 1, type);
      m.w.outputs(y);
      try (PortBackend port = PortBackend.open(
          TfliteModel.read(m.w.build(), "t"), Device.CPU, DeterminismConfig.DETERMINISTIC)) {
        HostTensor out = port.run(Map.of("x", HostTensor.ofFloats(new int[] {3, 4}, Layout.ANY,
            new float[] {0, 3, 1, 2, 5, 4, 4, 0, -1, -2, -3, -1}))).tensor(m.name(y));
        assertThat(out.dtype()).isEqualTo(type.dtype());
        assertThat(out.getDouble(0)).isEqualTo(1.0);
        assertThat(out.getDouble(1)).isEqualTo(0.0);
        assertThat(out.getDouble(2)).isEqualTo(0.0);
      }
    }
  }

  /** Values from {0, 1, 2} make ties everywhere: both sides must pick the first index of the extreme. */
  @ParameterizedTest
  @MethodSource("tieCases")
  void tiesGoToTheFirstIndex(String op, int[] shape, int axis) {
    OpModel m = new OpModel();
    int x = m.w.input("x", TensorType.FLOAT32, shape);
    int y = argModel(m, op, x, shape, axis, TensorType.INT32);
    m.w.outputs(y);
    byte[] bytes = m.w.build();
    float[] v = new float[(int) HostTensor.numel(shape)];
    for (int i = 0; i < v.length; i++) {
      v[i] = (i * 7 + i / 3) % 3;
    }
    Map<Integer, HostTensor> in = new LinkedHashMap<>();
    in.put(x, HostTensor.ofFloats(shape, shape.length == 4 ? Layout.NHWC : Layout.ANY, v));
    PortHarness.Result r = PortHarness.run(bytes, in);
    assertThat(r.chained()).isNotEmpty();
    assertThat(r.worst()).as(op + " with ties " + r.chained() + r.isolated()).isEqualTo(0.0);
    System.out.printf("[shape-ops] %s ties %s axis %d worst %.3g%n", op, Arrays.toString(shape), axis, r.worst());
  }

  static Stream<Arguments> tieCases() {
    return Stream.of(
        Arguments.of("ARG_MAX", new int[] {1, 4, 5, 6}, 3),
        Arguments.of("ARG_MIN", new int[] {1, 4, 5, 6}, 3),
        Arguments.of("ARG_MAX", new int[] {1, 4, 5, 6}, 1),
        Arguments.of("ARG_MIN", new int[] {1, 4, 5, 6}, -2),
        Arguments.of("ARG_MAX", new int[] {6, 9}, 1),
        Arguments.of("ARG_MIN", new int[] {6, 9}, 0));
  }
}
