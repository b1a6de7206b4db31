package dev.crossalign.port.onnx;

import dev.crossalign.UnsupportedOp;
import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.port.PortBackend;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteModel;
import dev.crossalign.tflite.TfliteWriter;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Instances of the long-tail ops that the port cannot reproduce exactly are refused at prepare time with the op's
 * name and a reason (never lowered approximately); where the exporter has no faithful mapping either, it refuses too.
 */
class LongtailRefusalTest {
  record Case(String name, BuiltinOp op, Consumer<TfliteWriter> build, boolean exportRefuses, String reasonPart) {
    @Override
    public String toString() {
      return name;
    }
  }

  static int ints(TfliteWriter w, String name, int[] shape, int... v) {
    return w.constant(name, HostTensor.ofInts(shape, Layout.ANY, v));
  }

  static Stream<Arguments> cases() {
    return Stream.<Case>of(
        new Case("SPACE_TO_BATCH_ND rank 3", BuiltinOp.SPACE_TO_BATCH_ND, w -> {
          int x = w.input("x", TensorType.FLOAT32, 1, 4, 3);
          int b = ints(w, "b", new int[] {1}, 2);
          int p = ints(w, "p", new int[] {1, 2}, 0, 0);
          int y = w.tensor("y", TensorType.FLOAT32, 2, 2, 3);
          w.op(BuiltinOp.SPACE_TO_BATCH_ND, new OpOptions.None(), new int[] {x, b, p}, new int[] {y});
          w.outputs(y);
        }, true, "rank 3"),
        new Case("TOPK_V2 run-time k", BuiltinOp.TOPK_V2, w -> {
          int x = w.input("x", TensorType.FLOAT32, 2, 6);
          int k = w.input("k", TensorType.INT32);
          int v = w.tensor("v", TensorType.FLOAT32, 2, 3);
          int i = w.tensor("i", TensorType.INT32, 2, 3);
          w.op(BuiltinOp.TOPK_V2, new OpOptions.None(), new int[] {x, k}, new int[] {v, i});
          w.outputs(v, i);
        }, true, "k computed at run time"),
        new Case("CUMSUM run-time axis", BuiltinOp.CUMSUM, w -> {
          int x = w.input("x", TensorType.FLOAT32, 2, 6);
          int a = w.input("a", TensorType.INT32);
          int y = w.tensor("y", TensorType.FLOAT32, 2, 6);
          w.op(BuiltinOp.CUMSUM, new OpOptions.Cumsum(false, false), new int[] {x, a}, new int[] {y});
          w.outputs(y);
        }, true, "axis computed at run time")).map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void refusedByPortAndExporter(Case c) {
    TfliteWriter w = new TfliteWriter();
    c.build().accept(w);
    TfliteModel m = TfliteModel.read(w.build(), "t");
    try (PortBackend port = PortBackend.open(m, Device.CPU, DeterminismConfig.DETERMINISTIC)) {
      assertThat(port.unsupported()).singleElement().satisfies(u -> {
        assertThat(u.op()).isEqualTo(c.op().name());
        assertThat(u.reason()).contains(c.reasonPart());
      });
    }
    if (c.exportRefuses()) {
      assertThat(Exporter.check(m, ExportOptions.DEFAULT)).extracting(UnsupportedOp::op)
          .containsExactly(c.op().name());
    }
  }
}
