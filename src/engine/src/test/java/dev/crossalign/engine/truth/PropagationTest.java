package dev.crossalign.engine.truth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.crossalign.backend.Activations;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.engine.DemoModel;
import dev.crossalign.engine.InputGenerator;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteModel;
import dev.crossalign.tflite.TfliteWriter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Error propagation: the amplification of a saturated sigmoid in closed form, and the chained port on the demo. */
class PropagationTest {

  @Test
  void saturatedSigmoidAmplificationIsItsConditionNumber() {
    TfliteWriter wr = new TfliteWriter();
    int x = wr.input("x", TensorType.FLOAT32, 1, 1);
    int y = wr.tensor("y", TensorType.FLOAT32, 1, 1);
    wr.op(BuiltinOp.LOGISTIC, new OpOptions.None(), new int[] {x}, new int[] {y});
    wr.outputs(y);
    TfliteModel model = TfliteModel.read(wr.build(), "sigmoid");
    double x0 = -12;
    double x1 = x0 * (1 + 1e-4); // the chained run's logit, 1e-4 off
    double s0 = 1 / (1 + Math.exp(-x0));
    double s1 = 1 / (1 + Math.exp(-x1));
    Activations reference = acts("tflite", (float) x0, (float) s0);
    Activations truth = acts64(x0, s0);
    Activations own = acts("torch", (float) x0, (float) s0);
    Activations chained = acts("torch", (float) x1, (float) s1);
    Activations truthOnChained = acts64((float) x1, 1 / (1 + Math.exp(-(double) (float) x1)));
    List<Propagation.Layer> layers = Propagation.measure(model, reference, truth, own, chained, truthOnChained);
    assertThat(layers).hasSize(1);
    Propagation.Layer l = layers.get(0);
    double inErr = Math.abs((double) (float) x1 - (float) x0) / Math.abs((float) x0);
    assertThat(l.inputError()).isCloseTo(inErr, within(1e-12));
    // d ln(sigma) / d ln(x) = x (1 - sigma(x)): about 12 at x = -12 (to first order in the 1e-4 step)
    double condition = Math.abs(x0 * (1 - s0));
    assertThat(l.amplification()).isCloseTo(condition, within(condition * 2e-3));
    assertThat(l.chainedError()).isGreaterThan(1e-3);
    assertThat(l.inheritedError()).isCloseTo(l.chainedError() - l.ownError(), within(1e-15));
    assertThat(Propagation.headline(layers)).contains("'y' (LOGISTIC) amplifies a 1.0e-04 input error 12x");
  }

  @Test
  void chainedPortOnTheDemoHasEveryOpAndNoInputErrorAtTheFirst() {
    TfliteModel model = TfliteModel.read(DemoModel.bytes(), DemoModel.LABEL);
    Map<String, HostTensor> inputs = InputGenerator.inputs(model, 0, -1, 1, Map.of());
    TruthLab.Result r = TruthLab.run(new TruthLab.Request(model, inputs, false, DeterminismConfig.DETERMINISTIC, true));
    assertThat(r.propagation()).hasSize(r.rows().size());
    Propagation.Layer first = r.propagation().get(0);
    assertThat(first.inputError()).isZero(); // the graph input is the same tensor in both runs
    assertThat(first.chainedError()).isCloseTo(first.ownError(), within(first.ownError() + 1e-7));
    assertThat(r.propagation()).allSatisfy(l -> {
      assertThat(l.ownError()).isLessThan(1e-5);
      assertThat(l.chainedError()).isLessThan(1e-5);
    });
  }

  @Test
  void onnxRuntimeGetsItsOwnLayersOnTheDemo() {
    TfliteModel model = TfliteModel.read(DemoModel.bytes(), DemoModel.LABEL);
    Map<String, HostTensor> inputs = InputGenerator.inputs(model, 0, -1, 1, Map.of());
    TruthLab.Result r = TruthLab.run(new TruthLab.Request(model, inputs, true, DeterminismConfig.DETERMINISTIC, true));
    List<Propagation.Layer> ort = r.propagation().stream().filter(l -> l.backend().equals("onnxruntime")).toList();
    List<Propagation.Layer> torch = r.propagation().stream().filter(l -> l.backend().equals("torch")).toList();
    assertThat(ort).extracting(Propagation.Layer::tensor)
        .containsExactlyElementsOf(torch.stream().map(Propagation.Layer::tensor).toList()).hasSize(r.rows().size());
    assertThat(ort.get(0).inputError()).isZero(); // the graph input is fed as is
    // its own error is ONNX Runtime's isolated run against the truth, as the truth table measured it (TruthError)
    for (Propagation.Layer l : ort) {
      double isolated = r.rows().stream().filter(row -> row.tensor().equals(l.tensor())).findFirst().orElseThrow()
          .errors().stream().filter(e -> e.backend().equals("onnxruntime")).findFirst().orElseThrow().error().relL2();
      assertThat(l.ownError()).as(l.tensor()).isCloseTo(isolated, within(isolated * 1e-9 + 1e-300));
      assertThat(l.chainedError()).as(l.tensor()).isLessThan(1e-5);
    }
    // downstream of the first op ONNX Runtime's chained run carries its own rounding: some input error arrives
    assertThat(ort.subList(1, ort.size())).anySatisfy(l -> assertThat(l.inputError()).isPositive());
    String h = Propagation.headline(ort);
    assertThat(h == null || h.contains(" on onnxruntime;")).as(h).isTrue();
  }

  private static Activations acts(String backend, float x, float y) {
    return Activations.builder(backend)
        .add("x", "INPUT", -1, HostTensor.ofFloats(new int[] {1, 1}, Layout.ANY, new float[] {x}))
        .add("y", "LOGISTIC", 0, HostTensor.ofFloats(new int[] {1, 1}, Layout.ANY, new float[] {y}))
        .output("y").build();
  }

  private static Activations acts64(double x, double y) {
    return Activations.builder("truth")
        .add("x", "INPUT", -1, Diagnoser.f64(new int[] {1, 1}, new double[] {x}))
        .add("y", "LOGISTIC", 0, Diagnoser.f64(new int[] {1, 1}, new double[] {y}))
        .output("y").build();
  }
}
