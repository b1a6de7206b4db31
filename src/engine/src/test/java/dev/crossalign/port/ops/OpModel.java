package dev.crossalign.port.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.testutil.PortHarness;
import dev.crossalign.tflite.Activation;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.Padding;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteWriter;

/**
 * A writer-built one-op model for the shape-op tests. A rank-4 source goes through a 1x1 CONV_2D first, so the op
 * under test receives a value the port produced as NCHW (the layout path the tests are about); other ranks come
 * straight from the graph input in TFLite axis order.
 */
final class OpModel {
  final TfliteWriter w = new TfliteWriter();
  private int names;

  int source(int... shape) {
    return source(TensorType.FLOAT32, shape);
  }

  int source(TensorType type, int... shape) {
    int x = w.input("x" + names++, type, shape);
    if (shape.length != 4 || type != TensorType.FLOAT32) {
      return x;
    }
    int c = shape[3];
    float[] wv = new float[c * c];
    for (int o = 0; o < c; o++) {
      for (int i = 0; i < c; i++) {
        wv[o * c + i] = (o == i ? 1f : 0f) + 0.125f * (((o * 7 + i * 3) % 5) - 2);
      }
    }
    float[] bv = new float[c];
    for (int i = 0; i < c; i++) {
      bv[i] = 0.0625f * i;
    }
    int wt = w.constant("conv_w" + names, HostTensor.ofFloats(new int[] {c, 1, 1, c}, Layout.ANY, wv));
    int b = w.constant("conv_b" + names, HostTensor.ofFloats(new int[] {c}, Layout.ANY, bv));
    int y = w.tensor("conv" + names++, TensorType.FLOAT32, shape);
    w.op(
        BuiltinOp.CONV_2D,
        new OpOptions.Conv2D(Padding.VALID, 1, 1, Activation.NONE, 1, 1),
        new int[] {x, wt, b},
        new int[] {y});
    return y;
  }

  /** A 1-D int32 constant. */
  int ints(int... v) {
    return w.constant("c" + names++, HostTensor.ofInts(new int[] {v.length}, Layout.ANY, v));
  }

  /** A rank-0 int32 constant. */
  int scalar(int v) {
    return w.constant("c" + names++, HostTensor.ofInts(new int[0], Layout.ANY, new int[] {v}));
  }

  int out(int... shape) {
    return out(TensorType.FLOAT32, shape);
  }

  int out(TensorType type, int... shape) {
    return w.tensor("y" + names++, type, shape);
  }

  String name(int tensor) {
    return w.buildModel().main().tensor(tensor).name();
  }

  int op(BuiltinOp op, OpOptions o, int[] in, int... out) {
    w.op(op, o, in, out);
    return out[0];
  }

  /**
   * Runs the model against the interpreter; every tensor must agree within atol, and the listed outputs of a
   * data-movement op must be bit-identical in isolated mode (fed the interpreter's own inputs, nothing may change).
   */
  PortHarness.Result check(String label, double atol, boolean exactIsolated, int... outputs) {
    w.outputs(outputs);
    byte[] bytes = w.build();
    PortHarness.Result r = PortHarness.assertAligned(bytes, 7, -2, 2, atol);
    var g = dev.crossalign.tflite.TfliteModel.read(bytes, "t").main();
    for (int o : outputs) {
      String n = g.tensor(o).name();
      assertThat(r.chained()).as("output " + n + " compared").containsKey(n);
      if (exactIsolated) {
        assertThat(r.isolated().get(n)).as("isolated error of " + n).isEqualTo(0.0);
      }
    }
    System.out.printf("[shape-ops] %-60s worst %.3g  chained %s  isolated %s%n", label, r.worst(), r.chained(),
        r.isolated());
    return r;
  }
}
