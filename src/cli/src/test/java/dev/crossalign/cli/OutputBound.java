package dev.crossalign.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.align.Metrics;
import dev.crossalign.align.Tolerance;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tflite.Operator;
import dev.crossalign.tflite.Subgraph;
import java.util.Locale;
import java.util.Map;

/**
 * How far one graph output of the generated module may be from TFLite's (rel_l2), and why. The bound is
 * {@value #OUTPUT_REL_L2}. Two kinds of output are judged otherwise, each checked here:
 * <ul>
 *   <li>written by LOGISTIC (or a reshape of its result): through its logit ({@link LogisticOutput}): the logit within
 *       {@value #OUTPUT_REL_L2}, each sigmoid exact on its own logit, the output within what the logit's difference
 *       carries through the sigmoid;
 *   <li>beyond float32's reach at its depth: TFLite itself is further than {@value #OUTPUT_REL_L2} from the float64
 *       evaluation of the same graph (the generated module run in double, Python side). Then the generated code must
 *       be no more than {@value #AS_ACCURATE} times as far from that evaluation as TFLite is, and within the chained
 *       budget {@value #CHAINED_REL_L2} of TFLite. This tells float32 rounding from a difference in semantics only
 *       above that budget: per op, the generated code's semantics are checked in isolation by the op tests and
 *       IsolatedTorchScriptTest.
 * </ul>
 *
 * @param bound the largest rel_l2 the output may have against TFLite's (eager, scripted and archive alike)
 * @param tfliteVsFloat64 rel_l2 of TFLite's output against the float64 evaluation
 * @param eagerVsFloat64 rel_l2 of the generated module's (eager) output against it
 * @param note what the table line says about this output ("" for the plain bound)
 */
record OutputBound(double bound, double tfliteVsFloat64, double eagerVsFloat64, String note) {
  static final double OUTPUT_REL_L2 = 1e-5;
  static final double CHAINED_REL_L2 = 1e-4;
  static final double AS_ACCURATE = 2.0;

  /**
   * Output {@code k}: {@code ref} TFLite's tensors by index, {@code eager} the Python side's capture (outputs as
   * "out:K", intermediates by TFLite name), {@code truth} the float64 run's outputs.
   */
  static OutputBound of(Subgraph g, int k, Map<Integer, HostTensor> ref, Map<String, HostTensor> eager,
      Map<String, HostTensor> truth) {
    int idx = g.outputs()[k];
    String name = g.tensor(idx).name();
    HostTensor want = ref.get(idx);
    HostTensor have = eager.get("out:" + k).withLayout(want.layout());
    HostTensor exact = truth.get("out:" + k).withLayout(want.layout());
    double tflite = rel(exact, want);
    double gen = rel(exact, have);
    double vsTflite = rel(want, have);
    Operator logistic = LogisticOutput.producer(g, idx);
    if (logistic != null) {
      int z = logistic.inputs()[0];
      String zName = g.tensor(z).name();
      assertThat(eager.get(zName)).as("captured logit '" + zName + "'").isNotNull();
      LogisticOutput lo = LogisticOutput.of(zName, ref.get(z), want, eager.get(zName), have);
      assertThat(lo.logitRel()).as("logit '" + zName + "' rel_l2 " + lo).isLessThanOrEqualTo(OUTPUT_REL_L2);
      assertThat(lo.ownGenerated()).as("generated sigmoid on its own logit " + lo)
          .isLessThanOrEqualTo(LogisticOutput.KERNEL_REL);
      assertThat(lo.ownTflite()).as("TFLite's sigmoid on its own logit " + lo)
          .isLessThanOrEqualTo(LogisticOutput.KERNEL_REL);
      return new OutputBound(Math.max(OUTPUT_REL_L2, lo.bound()), tflite, gen, String.format(Locale.ROOT,
          " %s (sigmoid) %.2e: logit %.2e, condition %.1f, carried %.2e;", name, vsTflite, lo.logitRel(),
          lo.condition(), lo.carried()));
    }
    if (tflite > OUTPUT_REL_L2) {
      assertThat(gen).as("'" + name + "': the generated code at most " + AS_ACCURATE + "x as far from the float64"
          + " evaluation as TFLite (" + tflite + ")").isLessThanOrEqualTo(AS_ACCURATE * tflite);
      return new OutputBound(CHAINED_REL_L2, tflite, gen, String.format(Locale.ROOT,
          " %s (float32 reach) %.2e: TFLite %.2e and the generated code %.2e from the float64 evaluation;", name,
          vsTflite, tflite, gen));
    }
    return new OutputBound(OUTPUT_REL_L2, tflite, gen, "");
  }

  private static double rel(HostTensor ref, HostTensor cand) {
    return Metrics.of(ref, cand, Tolerance.DEFAULT).relL2();
  }
}
