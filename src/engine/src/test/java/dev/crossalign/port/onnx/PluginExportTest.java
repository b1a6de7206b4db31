package dev.crossalign.port.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.crossalign.CrossalignException;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.backend.onnx.OrtBackend;
import dev.crossalign.backend.onnx.OrtOptions;
import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.OpRegistry;
import dev.crossalign.port.PortBackend;
import dev.crossalign.port.PortValue;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteModel;
import dev.crossalign.tflite.TfliteWriter;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The grown SPI end to end: a test-scope plug-in lowers AND exports a custom op the builtin families do not know
 * (SiLU, y = x * sigmoid(x), under a custom code), in a graph where it sits between builtin ops (rank 4, so the
 * export's NCHW layout is exercised). The port's result and ONNX Runtime's run of the export are each checked against
 * the closed form in double; without the plug-in the exporter refuses the op by name.
 */
class PluginExportTest {
  static final String CODE = "CrossalignTestSilu";

  /** A user's plug-in: one file with the custom op's lowering and its ONNX export. */
  public static final class SiluPlugin implements OpLowering {
    @Override
    public Set<String> opNames() {
      return Set.of(CODE);
    }

    @Override
    public int rank() {
      return 100;
    }

    @Override
    public LoweredOp lower(LoweringContext ctx) {
      return in -> new PortValue[] {new PortValue(in[0].tensor().mul(in[0].tensor().sigmoid()), in[0].layout())};
    }

    @Override
    public Set<String> onnxOps() {
      return opNames();
    }

    @Override
    public void exportOnnx(OnnxOp op) {
      String sig = op.tmp("sigmoid");
      op.node("Sigmoid", List.of(op.x(0)), List.of(sig));
      op.node("Mul", List.of(op.x(0), sig), List.of(op.out(0)));
    }
  }

  /** x -> ADD(x, x) -> custom SiLU -> RELU6 -> y: the custom op between two builtin ones. */
  static TfliteModel model() {
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, 1, 5, 4, 3);
    int a = w.tensor("doubled", TensorType.FLOAT32, 1, 5, 4, 3);
    int s = w.tensor("silu", TensorType.FLOAT32, 1, 5, 4, 3);
    int y = w.tensor("y", TensorType.FLOAT32, 1, 5, 4, 3);
    w.op(BuiltinOp.ADD, new OpOptions.Arithmetic(11, dev.crossalign.tflite.Activation.NONE), new int[] {x, x},
        new int[] {a});
    w.custom(CODE, new int[] {a}, new int[] {s}, null);
    w.op(BuiltinOp.RELU6, new OpOptions.None(), new int[] {s}, new int[] {y});
    w.outputs(y);
    return TfliteModel.read(w.build(), "plugin.tflite");
  }

  static HostTensor input() {
    SplittableRandom rnd = new SplittableRandom(7);
    float[] v = new float[60];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (-3 + 6 * rnd.nextDouble());
    }
    return HostTensor.ofFloats(new int[] {1, 5, 4, 3}, Layout.NHWC, v);
  }

  /** The closed form in double: relu6(silu(2x)). */
  static double expected(double x) {
    double d = 2 * x;
    double silu = d / (1 + Math.exp(-d));
    return Math.min(Math.max(silu, 0), 6);
  }

  static void assertClosedForm(HostTensor t, HostTensor x, String what) {
    HostTensor got = t.layout() == Layout.NCHW ? t.permute(OnnxOp.TO_NHWC, Layout.NHWC) : t;
    assertThat(got.shape()).as(what + " shape").containsExactly(1, 5, 4, 3);
    double worst = 0;
    for (long i = 0; i < x.numel(); i++) {
      worst = Math.max(worst, Math.abs(got.getDouble(i) - expected(x.getDouble(i))));
    }
    assertThat(worst).as(what + " max_abs against the closed form").isLessThan(2e-6);
  }

  @Test
  void aPluginLowersAndExportsItsCustomOp() {
    TfliteModel model = model();
    HostTensor x = input();
    OpRegistry ops = OpRegistry.load().with(new SiluPlugin());

    try (PortBackend port = PortBackend.open(model, Device.CPU, DeterminismConfig.DETERMINISTIC, ops)) {
      assertClosedForm(port.run(Map.of("x", x)).tensor("y"), x, "port");
    }

    Export ex = Exporter.export(model, ExportOptions.DEFAULT, ops);
    assertThat(Exporter.supportedOps(ops)).contains(CODE, "ADD", "RELU6");
    Activations ort;
    try (OrtBackend b = OrtBackend.open(ex.model(), OrtOptions.DEFAULT)) {
      ort = b.run(Map.of("x", x));
    }
    assertClosedForm(ort.tensor("y"), x, "ONNX Runtime");
    // the plug-in's output carries the TFLite tensor's name like any builtin op's
    assertThat(ex.onnxToTflite()).containsEntry("silu", "silu");
  }

  @Test
  void withoutThePluginTheExportRefusesTheCustomOpByName() {
    TfliteModel model = model();
    assertThat(Exporter.check(model, ExportOptions.DEFAULT)).singleElement().satisfies(u -> {
      assertThat(u.op()).isEqualTo(CODE);
      assertThat(u.reason()).isEqualTo("no ONNX export for this op");
    });
    assertThatThrownBy(() -> Exporter.export(model, ExportOptions.DEFAULT))
        .isInstanceOf(CrossalignException.class).hasMessageContaining(CODE);
    assertThat(Exporter.supportedOps()).doesNotContain(CODE);
  }

  @Test
  void aPluginThatLowersButDoesNotExportIsRefusedByTheExporter() {
    OpLowering lowerOnly = new OpLowering() {
      @Override
      public Set<String> opNames() {
        return Set.of(CODE);
      }

      @Override
      public LoweredOp lower(LoweringContext ctx) {
        return in -> in;
      }
    };
    OpRegistry ops = OpRegistry.load().with(lowerOnly);
    assertThatThrownBy(() -> Exporter.export(model(), ExportOptions.DEFAULT, ops))
        .isInstanceOf(CrossalignException.class).hasMessageContaining(CODE + " x1 (no ONNX export for this op)");
  }
}
