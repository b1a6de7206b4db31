package dev.crossalign.port.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.port.PortBackend;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.testutil.PortHarness;
import dev.crossalign.testutil.TfliteOracle;
import dev.crossalign.tflite.TfliteModel;
import org.junit.jupiter.api.Test;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.Activation;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** CONCATENATION, PACK, UNPACK against the interpreter; rank-4 operands arrive NCHW from convs. */
class ConcatPackTest {
  static final double ATOL = 1e-5;

  static int[] with(int[] s, int axis, int v) {
    int[] o = s.clone();
    o[axis] = v;
    return o;
  }

  static Stream<Arguments> concats() {
    return Stream.of(
        // shape of operand 0, axis, sizes along the axis per operand, activation, constant second operand
        Arguments.of(new int[] {1, 3, 4, 2}, 3, new int[] {2, 3}, Activation.NONE, false),
        Arguments.of(new int[] {1, 3, 4, 2}, -1, new int[] {2, 5, 1}, Activation.NONE, false),
        Arguments.of(new int[] {1, 3, 4, 2}, 1, new int[] {3, 2}, Activation.NONE, false),
        Arguments.of(new int[] {1, 3, 4, 2}, 2, new int[] {4, 1}, Activation.NONE, false),
        Arguments.of(new int[] {1, 3, 4, 2}, -3, new int[] {3, 3}, Activation.NONE, false),
        Arguments.of(new int[] {1, 3, 4, 2}, 0, new int[] {1, 2}, Activation.NONE, false),
        Arguments.of(new int[] {1, 3, 4, 2}, 3, new int[] {2, 3}, Activation.NONE, true),
        Arguments.of(new int[] {1, 3, 4, 2}, 2, new int[] {4, 3}, Activation.NONE, true),
        Arguments.of(new int[] {1, 3, 4, 2}, 1, new int[] {3, 2}, Activation.NONE, true),
        Arguments.of(new int[] {2, 3, 4}, 1, new int[] {3, 1}, Activation.NONE, false),
        Arguments.of(new int[] {2, 3, 4}, -1, new int[] {4, 2}, Activation.NONE, true),
        Arguments.of(new int[] {5, 2}, 0, new int[] {5, 1, 2}, Activation.NONE, false),
        Arguments.of(new int[] {5, 2}, -1, new int[] {2, 2}, Activation.NONE, false));
  }

  @ParameterizedTest
  @MethodSource("concats")
  void concatenation(int[] shape, int axis, int[] sizes, Activation act, boolean constSecond) {
    OpModel m = new OpModel();
    int a = shape.length < 0 ? axis : (axis < 0 ? axis + shape.length : axis);
    int[] ins = new int[sizes.length];
    int total = 0;
    for (int i = 0; i < sizes.length; i++) {
      int[] s = with(shape, a, sizes[i]);
      if (i == 1 && constSecond) {
        float[] v = new float[(int) HostTensor.numel(s)];
        for (int k = 0; k < v.length; k++) {
          v[k] = (k % 7) * 0.5f - 1.5f;
        }
        ins[i] = m.w.constant("k", HostTensor.ofFloats(s, Layout.ANY, v));
      } else {
        ins[i] = m.source(s);
      }
      total += sizes[i];
    }
    int y = m.out(with(shape, a, total));
    m.op(BuiltinOp.CONCATENATION, new OpOptions.Concatenation(axis, act), ins, y);
    m.check("CONCATENATION " + Arrays.toString(shape) + " axis " + axis + " " + Arrays.toString(sizes) + " " + act
        + (constSecond ? " const" : ""), ATOL, act == Activation.NONE, y);
  }

  @Test
  void fusedActivationIsRefusedLikeTheInterpreterDoes() {
    OpModel m = new OpModel();
    int a = m.source(2, 3);
    int b = m.source(2, 3);
    int y = m.out(2, 6);
    m.op(BuiltinOp.CONCATENATION, new OpOptions.Concatenation(1, Activation.RELU), new int[] {a, b}, y);
    m.w.outputs(y);
    byte[] bytes = m.w.build();
    assertThatThrownBy(() -> TfliteOracle.run(bytes, PortHarness.randomInputs(TfliteModel.read(bytes, "t"), 1, -1, 1)))
        .isInstanceOf(IllegalStateException.class);
    try (PortBackend port = PortBackend.open(TfliteModel.read(bytes, "t"), Device.CPU, DeterminismConfig.DETERMINISTIC)) {
      assertThat(port.unsupported()).singleElement().satisfies(u -> {
        assertThat(u.op()).isEqualTo("CONCATENATION");
        assertThat(u.reason()).contains("RELU");
      });
    }
  }

  static Stream<Arguments> packs() {
    return Stream.of(
        Arguments.of(new int[] {1, 2, 3, 4}, 0, 2),
        Arguments.of(new int[] {1, 2, 3, 4}, -1, 3),
        Arguments.of(new int[] {1, 2, 3, 4}, 2, 2),
        Arguments.of(new int[] {2, 3, 4}, 1, 2),
        Arguments.of(new int[] {2, 3, 4}, -1, 3),
        Arguments.of(new int[] {3, 4}, 0, 4),
        Arguments.of(new int[] {5}, 1, 2));
  }

  @ParameterizedTest
  @MethodSource("packs")
  void pack(int[] shape, int axis, int n) {
    OpModel m = new OpModel();
    int[] ins = new int[n];
    for (int i = 0; i < n; i++) {
      ins[i] = m.source(shape);
    }
    int a = axis < 0 ? axis + shape.length + 1 : axis;
    int[] out = new int[shape.length + 1];
    for (int i = 0, j = 0; i < out.length; i++) {
      out[i] = i == a ? n : shape[j++];
    }
    int y = m.out(out);
    m.op(BuiltinOp.PACK, new OpOptions.Pack(n, axis), ins, y);
    m.check("PACK " + n + " x " + Arrays.toString(shape) + " axis " + axis, ATOL, true, y);
  }

  static Stream<Arguments> unpacks() {
    return Stream.of(
        Arguments.of(new int[] {1, 2, 3, 4}, 3),
        Arguments.of(new int[] {1, 2, 3, 4}, -3),
        Arguments.of(new int[] {2, 2, 3, 4}, 0),
        Arguments.of(new int[] {1, 2, 3, 4}, 2),
        Arguments.of(new int[] {2, 3, 4}, 1),
        Arguments.of(new int[] {2, 3, 4}, -1),
        Arguments.of(new int[] {3, 2}, 0));
  }

  @ParameterizedTest
  @MethodSource("unpacks")
  void unpack(int[] shape, int axis) {
    OpModel m = new OpModel();
    int x = m.source(shape);
    int a = axis < 0 ? axis + shape.length : axis;
    int n = shape[a];
    int[] out = new int[shape.length - 1];
    for (int i = 0, j = 0; i < shape.length; i++) {
      if (i != a) {
        out[j++] = shape[i];
      }
    }
    int[] ys = new int[n];
    for (int i = 0; i < n; i++) {
      ys[i] = m.out(out);
    }
    m.op(BuiltinOp.UNPACK, new OpOptions.Unpack(n, axis), new int[] {x}, ys);
    m.check("UNPACK " + Arrays.toString(shape) + " axis " + axis, ATOL, true, ys);
  }
}
