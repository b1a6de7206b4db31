package dev.crossalign.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.Subgraph;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteModel;
import dev.crossalign.tflite.TfliteWriter;
import org.junit.jupiter.api.Test;

/** The sigmoid-output criterion of PyTorchConvertRealModelTest on closed forms: what it lets through and what not. */
class LogisticOutputTest {
  private static HostTensor one(double v) {
    return HostTensor.ofFloats(new int[] {1, 1}, Layout.ANY, new float[] {(float) v});
  }

  private static double sigmoid(double z) {
    return 1 / (1 + Math.exp(-z));
  }

  @Test
  void aLogitErrorIsCarriedTimesTheCondition() {
    // logit -20 off by 1e-6 relative: the probability (2e-9) is off by about 20 x 1e-6 = 2e-5, all of it carried
    double zt = -20.0;
    double zg = (float) (-20.0 * (1 + 1e-6)); // as the float32 tensor holds it
    LogisticOutput lo = LogisticOutput.of("z", one(zt), one(sigmoid(zt)), one(zg), one(sigmoid(zg)));
    assertThat(lo.condition()).isCloseTo(20.0, within(1e-3));
    assertThat(lo.logitRel()).isCloseTo(1e-6, within(1e-7)); // float32 holds -20.00002 to 9.5e-7 (half an ulp)
    assertThat(lo.carried()).isCloseTo(20 * lo.logitRel(), within(1e-7));
    assertThat(lo.ownGenerated()).isLessThan(1e-7);
    assertThat(lo.ownTflite()).isLessThan(1e-7);
    assertThat(lo.bound()).isGreaterThanOrEqualTo(lo.carried()).isLessThan(lo.carried() + 3e-7);
  }

  @Test
  void aWrongSigmoidShowsAsTheKernelsOwnError() {
    // the old cutoff rule, exp(x) below -9: 7.5e-5 off the exact sigmoid at -9.5, over KERNEL_REL
    double z = -9.5;
    LogisticOutput lo = LogisticOutput.of("z", one(z), one(sigmoid(z)), one(z), one(Math.exp(z)));
    assertThat(lo.logitRel()).isZero();
    assertThat(lo.carried()).isZero();
    assertThat(lo.ownGenerated()).isGreaterThan(LogisticOutput.KERNEL_REL).isCloseTo(Math.exp(z), within(1e-6));
  }

  @Test
  void theProducerIsFoundThroughReshapesOnly() {
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, 1, 1, 1, 1);
    int s = w.tensor("s", TensorType.FLOAT32, 1, 1, 1, 1);
    int r = w.tensor("r", TensorType.FLOAT32, 1, 1);
    int a = w.tensor("a", TensorType.FLOAT32, 1, 1);
    w.op(BuiltinOp.LOGISTIC, new OpOptions.None(), new int[] {x}, new int[] {s});
    w.op(BuiltinOp.RESHAPE, new OpOptions.Reshape(new int[] {1, 1}), new int[] {s}, new int[] {r});
    w.op(BuiltinOp.ABS, new OpOptions.None(), new int[] {r}, new int[] {a});
    w.outputs(r, a);
    Subgraph g = TfliteModel.read(w.build(), "t").main();
    assertThat(LogisticOutput.producer(g, r)).isNotNull().extracting(op -> op.builtin()).isEqualTo(BuiltinOp.LOGISTIC);
    assertThat(LogisticOutput.producer(g, a)).as("ABS of a sigmoid is not a sigmoid output").isNull();
    assertThat(LogisticOutput.producer(g, x)).as("a graph input").isNull();
  }
}
