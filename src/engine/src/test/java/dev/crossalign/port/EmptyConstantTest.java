package dev.crossalign.port;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.testutil.PortHarness;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteWriter;
import org.junit.jupiter.api.Test;

/** A zero-element constant (an empty axis list) has no buffer bytes and must still count as a constant. */
class EmptyConstantTest {
  @Test
  void reduceOverAnEmptyAxisListIsTheIdentityAsInTheInterpreter() {
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, 1, 4, 5, 3);
    int axes = w.constant("axes", HostTensor.ofInts(new int[] {0}, Layout.ANY, new int[0]));
    int y = w.tensor("y", TensorType.FLOAT32, 1, 4, 5, 3);
    w.op(BuiltinOp.SUM, new OpOptions.Reducer(true), new int[] {x, axes}, new int[] {y});
    w.outputs(y);
    PortHarness.Result r = PortHarness.assertAligned(w.build(), 3, -1, 1, 0.0);
    assertThat(r.chained()).containsKey("y");
  }
}
