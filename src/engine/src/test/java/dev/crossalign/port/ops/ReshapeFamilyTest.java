package dev.crossalign.port.ops;

import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** RESHAPE, SQUEEZE, EXPAND_DIMS, TRANSPOSE against the interpreter; rank-4 sources arrive NCHW from a conv. */
class ReshapeFamilyTest {
  static final double ATOL = 1e-5;

  static Stream<Arguments> reshapes() {
    return Stream.of(
        // in shape, shape input (null = none), options new_shape (null = none), out shape
        Arguments.of(new int[] {1, 2, 3, 4}, new int[] {1, 24}, null, new int[] {1, 24}),
        Arguments.of(new int[] {1, 2, 3, 4}, new int[] {1, -1}, null, new int[] {1, 24}),
        Arguments.of(new int[] {1, 2, 3, 4}, new int[] {1, 6, 4}, null, new int[] {1, 6, 4}),
        Arguments.of(new int[] {1, 2, 3, 4}, new int[] {1, 3, 2, 4}, null, new int[] {1, 3, 2, 4}),
        Arguments.of(new int[] {1, 2, 3, 4}, new int[] {2, -1, 2, 2}, null, new int[] {2, 3, 2, 2}),
        Arguments.of(new int[] {2, 12}, new int[] {1, 2, 3, 4}, null, new int[] {1, 2, 3, 4}),
        Arguments.of(new int[] {2, 3, 4}, null, new int[] {4, 6}, new int[] {4, 6}),
        Arguments.of(new int[] {6, 4}, new int[] {-1}, null, new int[] {24}));
  }

  @ParameterizedTest
  @MethodSource("reshapes")
  void reshape(int[] in, int[] shapeInput, int[] newShape, int[] outShape) {
    OpModel m = new OpModel();
    int x = m.source(in);
    int y = m.out(outShape);
    int[] ins = shapeInput == null ? new int[] {x} : new int[] {x, m.ints(shapeInput)};
    OpOptions o = newShape == null ? new OpOptions.None() : new OpOptions.Reshape(newShape);
    m.op(BuiltinOp.RESHAPE, o, ins, y);
    m.check("RESHAPE " + Arrays.toString(in) + " -> " + Arrays.toString(shapeInput) + "/"
        + Arrays.toString(newShape), ATOL, true, y);
  }

  static Stream<Arguments> squeezes() {
    return Stream.of(
        Arguments.of(new int[] {1, 1, 1, 8}, new int[] {1, 2}, new int[] {1, 8}),
        Arguments.of(new int[] {1, 1, 1, 8}, new int[] {}, new int[] {8}),
        Arguments.of(new int[] {1, 1, 1, 8}, new int[] {-2, -3}, new int[] {1, 8}),
        Arguments.of(new int[] {2, 1, 3, 1}, new int[] {-1}, new int[] {2, 1, 3}),
        Arguments.of(new int[] {2, 1, 3, 1}, new int[] {}, new int[] {2, 3}),
        Arguments.of(new int[] {3, 1, 4}, new int[] {1}, new int[] {3, 4}),
        Arguments.of(new int[] {2, 3, 4, 5}, new int[] {}, new int[] {2, 3, 4, 5}),
        Arguments.of(new int[] {1, 5}, new int[] {0}, new int[] {5}));
  }

  @ParameterizedTest
  @MethodSource("squeezes")
  void squeeze(int[] in, int[] dims, int[] outShape) {
    OpModel m = new OpModel();
    int x = m.source(in);
    int y = m.out(outShape);
    m.op(BuiltinOp.SQUEEZE, new OpOptions.Squeeze(dims), new int[] {x}, y);
    m.check("SQUEEZE " + Arrays.toString(in) + " dims " + Arrays.toString(dims), ATOL, true, y);
  }

  static Stream<Arguments> expands() {
    return Stream.of(
        Arguments.of(new int[] {1, 2, 3, 4}, 0, new int[] {1, 1, 2, 3, 4}),
        Arguments.of(new int[] {1, 2, 3, 4}, -1, new int[] {1, 2, 3, 4, 1}),
        Arguments.of(new int[] {1, 2, 3, 4}, 3, new int[] {1, 2, 3, 1, 4}),
        Arguments.of(new int[] {2, 3, 4}, 1, new int[] {2, 1, 3, 4}),
        Arguments.of(new int[] {2, 3, 4}, -1, new int[] {2, 3, 4, 1}),
        Arguments.of(new int[] {2, 3, 4}, -4, new int[] {1, 2, 3, 4}),
        Arguments.of(new int[] {5, 6}, 2, new int[] {5, 6, 1}));
  }

  @ParameterizedTest
  @MethodSource("expands")
  void expandDims(int[] in, int axis, int[] outShape) {
    OpModel m = new OpModel();
    int x = m.source(in);
    int y = m.out(outShape);
    m.op(BuiltinOp.EXPAND_DIMS, new OpOptions.None(), new int[] {x, m.ints(axis)}, y);
    m.check("EXPAND_DIMS " + Arrays.toString(in) + " axis " + axis, ATOL, true, y);
  }

  static Stream<Arguments> transposes() {
    return Stream.of(
        Arguments.of(new int[] {1, 2, 3, 4}, new int[] {0, 3, 1, 2}),
        Arguments.of(new int[] {1, 2, 3, 4}, new int[] {0, 2, 1, 3}),
        Arguments.of(new int[] {2, 3, 4, 5}, new int[] {3, 2, 1, 0}),
        Arguments.of(new int[] {1, 2, 3, 4}, new int[] {0, 1, 2, 3}),
        Arguments.of(new int[] {2, 3, 4}, new int[] {2, 0, 1}),
        Arguments.of(new int[] {3, 5}, new int[] {1, 0}));
  }

  @ParameterizedTest
  @MethodSource("transposes")
  void transpose(int[] in, int[] perm) {
    OpModel m = new OpModel();
    int x = m.source(in);
    int[] out = new int[in.length];
    for (int i = 0; i < perm.length; i++) {
      out[i] = in[perm[i]];
    }
    int y = m.out(out);
    m.op(BuiltinOp.TRANSPOSE, new OpOptions.None(), new int[] {x, m.ints(perm)}, y);
    m.check("TRANSPOSE " + Arrays.toString(in) + " perm " + Arrays.toString(perm), ATOL, true, y);
  }
}
