package dev.crossalign.port.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteWriter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The ONNX export of STRIDED_SLICE on the port's whole case table (port/ops SliceTest: masks, negative strides,
 * clamping, empty axes, ellipsis, new axes, offset), judged by the TFLite interpreter through ONNX Runtime. Export and
 * port read the one {@link dev.crossalign.tflite.StridedSlicePlan}; before it the export refused ellipsis and new axes.
 */
class StridedSliceExportTest {
  static int ints(TfliteWriter w, String name, int[] v) {
    return w.constant(name, HostTensor.ofInts(new int[] {v.length}, Layout.ANY, v.clone()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.crossalign.port.ops.SliceTest#strided")
  void exportAgreesWithTheInterpreter(String label, int[] shape, int[] b, int[] e, int[] s, int[] masks,
      boolean offset, int[] out) {
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, shape);
    int y = w.tensor("y", TensorType.FLOAT32, out);
    w.op(BuiltinOp.STRIDED_SLICE, new OpOptions.StridedSlice(masks[0], masks[1], masks[2], masks[3], masks[4], offset),
        new int[] {x, ints(w, "b", b), ints(w, "e", e), ints(w, "s", s)}, new int[] {y});
    w.outputs(y);
    ExportHarness.Result r = ExportHarness.run(w.build(), 11, -1, 1);
    assertThat(r.outputs()).as(label).isNotEmpty();
    // a slice copies values: exactly equal
    assertThat(r.worst().maxAbs()).as(label).isEqualTo(0.0);
  }
}
