package dev.crossalign.engine.truth;

import dev.crossalign.align.TruthTable;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.crossalign.align.Bound;
import dev.crossalign.align.MinTolerance;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.tflite.TfliteBackend;
import dev.crossalign.backend.tflite.TfliteOptions;
import dev.crossalign.engine.Reference;
import dev.crossalign.port.PortBackend;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.Activation;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.MagnitudeForm;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteModel;
import dev.crossalign.tflite.TfliteWriter;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The derived bounds against closed forms: gamma_K, the check, the minimum fixed tolerance, the magnitude form of a
 * FULLY_CONNECTED (sum |w||x| + |b| by hand), and the transcendental rules on a dense sweep of LOGISTIC and TANH,
 * where TFLite and the port stay inside the correctly-rounded bound and ONNX Runtime's MLAS approximations leave it,
 * but not their measured absolute allowance.
 */
class DerivedBoundTest {

  @Test
  void gammaAndCheckClosedForms() {
    assertThat(Bound.gamma(1)).isCloseTo(0x1p-24 / (1 - 0x1p-24), within(1e-30));
    assertThat(Bound.gamma(1000)).isCloseTo(1000 * 0x1p-24 / (1 - 1000 * 0x1p-24), within(1e-22));
    assertThat(Bound.gamma(1L << 24)).isInfinite();
    Bound b = new Bound(Bound.Rule.ROUNDED, 0, 2, new double[] {1e-6, 2e-6, 1e-6});
    HostTensor t = DiagnoserTestSupport.f64(1.0, 2.0, 3.0);
    HostTensor v = HostTensor.ofFloats(new int[] {3}, Layout.ANY, new float[] {1.0f, 2.000004f, 3.0f});
    Bound.Check c = b.check(t, v, 0);
    double d = Math.abs((double) 2.000004f - 2.0);
    assertThat(c.factor()).isCloseTo(d / 2e-6, within(1e-9));
    assertThat(c.worstIndex()).isEqualTo(1);
    assertThat(c.within()).isFalse();
    // an absolute allowance widens every limit
    assertThat(b.check(t, v, 3e-6).factor()).isCloseTo(d / 5e-6, within(1e-9));
    // NaN against a finite truth is an infinite excess
    HostTensor nan = HostTensor.ofFloats(new int[] {3}, Layout.ANY, new float[] {1.0f, Float.NaN, 3.0f});
    assertThat(b.check(t, nan, 0).factor()).isInfinite();
  }

  @Test
  void minimumToleranceClosedForm() {
    HostTensor ref = HostTensor.ofFloats(new int[] {4}, Layout.ANY, new float[] {10f, -0.5f, 0f, 2f});
    HostTensor cand = HostTensor.ofFloats(new int[] {4}, Layout.ANY, new float[] {10.001f, -0.5001f, 0f, 2f});
    MinTolerance m = MinTolerance.of(ref, cand);
    double d0 = Math.abs((double) 10.001f - 10.0);
    double d1 = Math.abs((double) -0.5001f + 0.5);
    assertThat(m.absAtol()).isCloseTo(Math.max(d0, d1), within(1e-12));
    assertThat(m.atol()).isCloseTo(Math.max(d0, d1) / 10, within(1e-12)); // scaled by max(1, max|ref|)
    assertThat(m.rtol()).isCloseTo(Math.max(d0 / 10, d1 / 0.5), within(1e-9));
    // an exact zero missed needs an infinite rtol, never a small one
    HostTensor miss = HostTensor.ofFloats(new int[] {4}, Layout.ANY, new float[] {10f, -0.5f, 1e-7f, 2f});
    assertThat(MinTolerance.of(ref, miss).rtol()).isInfinite();
    assertThat(MinTolerance.of(ref, miss).absAtol()).isCloseTo(1e-7, within(1e-12));
  }

  @Test
  void magnitudeFormOfAFullyConnectedIsSumOfAbsoluteTerms() {
    float[] w = {0.5f, -1.25f, 2f, -0.75f, 0.125f, -3f};
    float[] bias = {-0.5f, 0.25f};
    float[] x = {1.5f, -2f, 0.25f};
    TfliteWriter wr = new TfliteWriter();
    int in = wr.input("x", TensorType.FLOAT32, 1, 3);
    int wt = wr.constant("w", HostTensor.ofFloats(new int[] {2, 3}, Layout.ANY, w));
    int bt = wr.constant("b", HostTensor.ofFloats(new int[] {2}, Layout.ANY, bias));
    int y = wr.tensor("y", TensorType.FLOAT32, 1, 2);
    wr.op(BuiltinOp.FULLY_CONNECTED, new OpOptions.FullyConnected(Activation.RELU6, 0, false), new int[] {in, wt, bt},
        new int[] {y});
    wr.outputs(y);
    TfliteModel model = TfliteModel.read(wr.build(), "fc");
    Activations reference;
    try (TfliteBackend t = Reference.open(model, TfliteOptions.defaults())) {
      reference = t.run(Map.of("x", HostTensor.ofFloats(new int[] {1, 3}, Layout.ANY, x)));
    }
    Activations mag;
    try (PortBackend p = PortBackend.openFloat64(MagnitudeForm.of(model), DeterminismConfig.DETERMINISTIC)) {
      mag = p.runIsolated(TruthLab.absolute(reference));
    }
    HostTensor m = mag.tensor("y");
    for (int j = 0; j < 2; j++) {
      double s = Math.abs(bias[j]);
      for (int i = 0; i < 3; i++) {
        s += Math.abs(w[j * 3 + i]) * Math.abs(x[i]);
      }
      // 0.75+2.5+0.5+0.5 = 4.25 and 0.25+1.125+0.25+0.75 = 2.375: unclamped although the op's RELU6 would clamp
      assertThat(m.getDouble(j)).isCloseTo(s, within(1e-12));
    }
    assertThat(m.getDouble(0)).isEqualTo(4.25);
  }

  @Test
  void sigmoidAndTanhSweepsTfliteAndPortCorrectlyRoundedOnnxRuntimeOnlyWithinItsAllowance() {
    for (BuiltinOp op : new BuiltinOp[] {BuiltinOp.LOGISTIC, BuiltinOp.TANH}) {
      int n = 4001;
      float[] xs = new float[n];
      for (int i = 0; i < n; i++) {
        xs[i] = -20f + 40f * i / (n - 1);
      }
      TfliteWriter wr = new TfliteWriter();
      int x = wr.input("x", TensorType.FLOAT32, 1, n);
      int y = wr.tensor("y", TensorType.FLOAT32, 1, n);
      wr.op(op, new OpOptions.None(), new int[] {x}, new int[] {y});
      wr.outputs(y);
      TfliteModel model = TfliteModel.read(wr.build(), op.name());
      TruthLab.Result r = TruthLab.run(new TruthLab.Request(model,
          Map.of("x", HostTensor.ofFloats(new int[] {1, n}, Layout.ANY, xs)), true, DeterminismConfig.DETERMINISTIC));
      TruthTable.Row row = r.rows().get(0);
      assertThat(row.bound().rule()).isEqualTo(Bound.Rule.TRANSCENDENTAL);
      assertThat(error(row, "tflite").boundFactor()).as(op + " tflite").isLessThanOrEqualTo(1);
      assertThat(error(row, "torch").boundFactor()).as(op + " torch").isLessThanOrEqualTo(1);
      TruthTable.BackendError ort = error(row, "onnxruntime");
      assertThat(ort.allowance()).isNotNull();
      // ORT's largest absolute error on the sweep is inside the allowance the rules grant it
      assertThat(ort.error().maxAbs()).as(op + " onnxruntime max abs").isLessThan(BoundRules.MLAS_ABS);
      assertThat(ort.allowedFactor()).isLessThanOrEqualTo(1);
      assertThat(r.auto().aligned()).isTrue();
      if (op == BuiltinOp.LOGISTIC) {
        // and relative to the result it is far off on the saturated side: named, not hidden
        assertThat(ort.boundFactor()).isGreaterThan(100);
        assertThat(row.furthest()).isEqualTo("onnxruntime");
      }
    }
  }

  private static TruthTable.BackendError error(TruthTable.Row row, String backend) {
    return row.errors().stream().filter(e -> e.backend().equals(backend)).findFirst().orElseThrow();
  }
}
