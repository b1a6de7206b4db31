package dev.crossalign.backend.tflite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.crossalign.CrossalignException;
import dev.crossalign.CrossalignException.Kind;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.CapturedTensor;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.testutil.TestModels;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TfliteBackendTest {

  static HostTensor seeded(int[] shape, long seed) {
    float[] v = new float[(int) HostTensor.numel(shape)];
    Random r = new Random(seed);
    for (int i = 0; i < v.length; i++) {
      v[i] = r.nextFloat() * 2f - 1f; // MediaPipe face detectors take [-1, 1]
    }
    return HostTensor.ofFloats(shape, Layout.NHWC, v);
  }

  static Map<String, HostTensor> seededInput(TfliteBackend b, long seed) {
    String in = b.inputNames().get(0);
    return Map.of(in, seeded(b.inputShape(in), seed));
  }

  @Test
  void shortRangeRunsAndCapturesEveryOpOutput() {
    byte[] model = TestModels.bytes(TestModels.SHORT_RANGE);
    try (TfliteBackend b = TfliteBackend.open(model, TestModels.SHORT_RANGE, TfliteOptions.defaults())) {
      assertThat(b.name()).isEqualTo("tflite");
      assertThat(b.inputNames()).containsExactly("input");
      assertThat(b.inputShape("input")).containsExactly(1, 128, 128, 3);
      Activations a = b.run(seededInput(b, 42));

      assertThat(a.backend()).isEqualTo("tflite");
      assertThat(a.outputNames()).containsExactly("regressors", "classificators");
      assertThat(a.tensor("regressors").shape()).containsExactly(1, 896, 16);
      assertThat(a.tensor("classificators").shape()).containsExactly(1, 896, 1);
      // Oracle for the counts: the flatbuffer itself, read without TFLite.
      assertThat(b.executionPlan()).hasSize(FlatCounts.operators(model));
      assertThat(a.size()).isEqualTo(1 + FlatCounts.operatorOutputs(model));
      assertThat(a.tensors().get(0).op()).isEqualTo("INPUT");
      assertThat(a.tensors().get(0).name()).isEqualTo("input");

      for (CapturedTensor c : a.tensors()) {
        assertThat(c.tensor().shape()).as(c.name()).containsExactly(FlatCounts.tensorShape(model, c.index()));
        assertThat(c.tensor().layout()).isEqualTo(c.tensor().rank() == 4 ? Layout.NHWC : Layout.ANY);
        assertThat(c.tensor().dtype()).isEqualTo(DType.FLOAT32);
        float[] v = c.tensor().toFloatArray();
        for (float f : v) {
          assertThat(Float.isFinite(f)).as("finite values in " + c.name()).isTrue();
        }
      }
      long convs = a.tensors().stream().filter(c -> c.op().equals("CONV_2D")).count();
      assertThat(convs).isGreaterThan(10);
      assertThat(b.info())
          .containsEntry("tflite.version", TfliteBackend.tfliteVersion())
          .containsEntry("threads", "1")
          .containsEntry("delegate", "NONE")
          .containsEntry("intermediates", "all op outputs");
      assertThat(TfliteBackend.tfliteVersion()).startsWith("2.20");

      // Classifier scores are logits; the sigmoid of each must lie in (0, 1) and the regressors must vary.
      HostTensor reg = a.tensor("regressors");
      double min = Double.MAX_VALUE, max = -Double.MAX_VALUE;
      for (long i = 0; i < reg.numel(); i++) {
        min = Math.min(min, reg.getDouble(i));
        max = Math.max(max, reg.getDouble(i));
      }
      assertThat(max - min).isGreaterThan(1.0);
    }
  }

  @Test
  void sameInputGivesIdenticalBytes() {
    byte[] model = TestModels.bytes(TestModels.SHORT_RANGE);
    try (TfliteBackend b = TfliteBackend.open(model, "short", TfliteOptions.defaults())) {
      Activations a1 = b.run(seededInput(b, 7));
      Activations a2 = b.run(seededInput(b, 8));
      Activations a3 = b.run(seededInput(b, 7));
      assertThat(a3.tensor("regressors").data()).isEqualTo(a1.tensor("regressors").data());
      assertThat(a2.tensor("regressors").data()).isNotEqualTo(a1.tensor("regressors").data());
    }
  }

  @Test
  void fullRangeAndSparseRun() {
    for (String name : List.of(TestModels.FULL_RANGE, TestModels.FULL_RANGE_SPARSE)) {
      byte[] model = TestModels.bytes(name);
      try (TfliteBackend b = TfliteBackend.open(model, name, TfliteOptions.defaults())) {
        assertThat(b.inputShape(b.inputNames().get(0))).containsExactly(1, 192, 192, 3);
        Activations a = b.run(seededInput(b, 3));
        StringBuilder sb = new StringBuilder(name + " outputs:");
        for (String o : a.outputNames()) {
          sb.append(' ').append(o).append(Arrays.toString(a.tensor(o).shape()));
        }
        System.out.println(sb);
        assertThat(a.outputNames()).hasSize(2);
        // 2304 anchors (48x48 grid), 16 box+keypoint coordinates and 1 score each.
        List<int[]> shapes = a.outputNames().stream().map(o -> a.tensor(o).shape()).toList();
        assertThat(shapes).anySatisfy(s -> assertThat(s).containsExactly(1, 2304, 16));
        assertThat(shapes).anySatisfy(s -> assertThat(s).containsExactly(1, 2304, 1));
        assertThat(b.executionPlan()).hasSize(FlatCounts.operators(model));
        assertThat(a.size()).isEqualTo(1 + FlatCounts.operatorOutputs(model));
        if (name.equals(TestModels.FULL_RANGE_SPARSE)) {
          assertThat(a.tensors()).anySatisfy(c -> assertThat(c.op()).isEqualTo("DENSIFY"));
        }
      }
    }
  }

  /** First CONV_2D recomputed in plain Java (double accumulation, SAME padding per TF) from the fp16 weights. */
  @Test
  void firstConvMatchesJavaOracle() {
    byte[] model = TestModels.bytes(TestModels.SHORT_RANGE);
    try (TfliteBackend b = TfliteBackend.open(model, "short", TfliteOptions.defaults())) {
      List<OpNode> plan = b.executionPlan();
      OpNode conv = plan.stream().filter(n -> n.op().equals("CONV_2D")).findFirst().orElseThrow();
      int[] in = conv.inputs();
      assertThat(in).hasSize(3);
      float[] w = constant(b, plan, in[1]);
      float[] bias = constant(b, plan, in[2]);
      int[] wShape = b.tensorAt(in[1]).shape(); // [out, kh, kw, in]
      int convOut = conv.outputs()[0];

      // 1) all-zero input: every output pixel is exactly the bias (no fused activation on this conv).
      int[] inShape = b.inputShape("input");
      HostTensor zeros = HostTensor.ofFloats(inShape, Layout.NHWC, new float[(int) HostTensor.numel(inShape)]);
      HostTensor zOut = b.run(Map.of("input", zeros)).tensor(b.tensorName(convOut));
      int oc = wShape[0];
      float[] z = zOut.toFloatArray();
      for (int i = 0; i < z.length; i++) {
        assertThat(z[i]).as("zero-input conv at %d", i).isEqualTo(bias[i % oc]);
      }

      // 2) seeded input: full recomputation.
      HostTensor x = seeded(inShape, 11);
      HostTensor got = b.run(Map.of("input", x)).tensor(b.tensorName(convOut));
      float[] expected = conv2dSame(x.toFloatArray(), inShape, w, wShape, bias, got.shape());
      float[] actual = got.toFloatArray();
      boolean sawNegative = false;
      for (int i = 0; i < actual.length; i++) {
        assertThat((double) actual[i]).as("conv out %d", i).isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1e-4 + 1e-4 * Math.abs(expected[i])));
        sawNegative |= actual[i] < 0;
      }
      assertThat(sawNegative).as("conv output is pre-activation").isTrue();
    }
  }

  /** A weight tensor's values: its fp16 source decoded in Java when a DEQUANTIZE produces it, else read as is. */
  private static float[] constant(TfliteBackend b, List<OpNode> plan, int index) {
    for (OpNode n : plan) {
      if (n.outputs()[0] == index && n.op().equals("DEQUANTIZE")) {
        HostTensor src = b.tensorAt(n.inputs()[0]);
        assertThat(src.dtype()).isEqualTo(DType.FLOAT16);
        float[] v = new float[(int) src.numel()];
        for (int i = 0; i < v.length; i++) {
          v[i] = (float) src.getDouble(i);
        }
        return v;
      }
    }
    return b.tensorAt(index).toFloatArray();
  }

  static float[] conv2dSame(float[] x, int[] xs, float[] w, int[] ws, float[] bias, int[] os) {
    int h = xs[1], wd = xs[2], c = xs[3];
    int o = ws[0], kh = ws[1], kw = ws[2];
    int oh = os[1], ow = os[2];
    int sh = strideFor(h, oh), sw = strideFor(wd, ow);
    int padTop = Math.max((oh - 1) * sh + kh - h, 0) / 2;
    int padLeft = Math.max((ow - 1) * sw + kw - wd, 0) / 2;
    float[] out = new float[oh * ow * o];
    for (int y = 0; y < oh; y++) {
      for (int xx = 0; xx < ow; xx++) {
        for (int oc = 0; oc < o; oc++) {
          double acc = bias[oc];
          for (int ky = 0; ky < kh; ky++) {
            int iy = y * sh + ky - padTop;
            if (iy < 0 || iy >= h) {
              continue;
            }
            for (int kx = 0; kx < kw; kx++) {
              int ix = xx * sw + kx - padLeft;
              if (ix < 0 || ix >= wd) {
                continue;
              }
              for (int ic = 0; ic < c; ic++) {
                acc += (double) x[(iy * wd + ix) * c + ic] * w[((oc * kh + ky) * kw + kx) * c + ic];
              }
            }
          }
          out[(y * ow + xx) * o + oc] = (float) acc;
        }
      }
    }
    return out;
  }

  private static int strideFor(int in, int out) {
    for (int s = 1; s <= 4; s++) {
      if ((in + s - 1) / s == out) {
        return s;
      }
    }
    throw new AssertionError("no SAME stride maps " + in + " to " + out);
  }

  /**
   * Every RELU output equals max(its captured input, 0): holds only if no tensor's memory was reused by a later op
   * (SetPreserveAllTensors must reach the interpreter).
   */
  @Test
  void everyReluOutputIsTheClosedFormOfItsCapturedInput() {
    for (String name : List.of(TestModels.SHORT_RANGE, TestModels.FULL_RANGE)) {
      byte[] model = TestModels.bytes(name);
      try (TfliteBackend b = TfliteBackend.open(model, name, TfliteOptions.defaults())) {
        Activations a = b.run(seededInput(b, 21));
        int checked = 0;
        for (OpNode n : b.executionPlan()) {
          if (!n.op().equals("RELU")) {
            continue;
          }
          float[] in = a.tensor(b.tensorName(n.inputs()[0])).toFloatArray();
          float[] out = a.tensor(b.tensorName(n.outputs()[0])).toFloatArray();
          assertThat(out).hasSameSizeAs(in);
          for (int i = 0; i < in.length; i++) {
            if (out[i] != Math.max(in[i], 0f)) {
              throw new AssertionError(name + " RELU node " + n.nodeIndex() + " at " + i + ": in " + in[i] + " out " + out[i]);
            }
          }
          checked++;
        }
        assertThat(checked).as("RELU nodes in " + name).isGreaterThan(5);
      }
    }
  }

  /** XNNPACK is a second, independent kernel library: outputs must agree with the builtin kernels. */
  @Test
  void xnnpackAgreesOnOutputsAndSaysIntermediatesArePartial() {
    byte[] model = TestModels.bytes(TestModels.SHORT_RANGE);
    try (TfliteBackend ref = TfliteBackend.open(model, "short", TfliteOptions.defaults());
        TfliteBackend x = TfliteBackend.open(model, "short", TfliteOptions.defaults().withDelegate(TfliteOptions.Delegate.XNNPACK))) {
      Activations a = ref.run(seededInput(ref, 5));
      Activations bx = x.run(seededInput(x, 5));
      assertThat(bx.outputNames()).isEqualTo(a.outputNames());
      // Inputs and outputs only: without preserved tensors nothing else is trustworthy after the run.
      assertThat(bx.tensors()).extracting(CapturedTensor::name).containsExactly("input", "classificators", "regressors");
      assertThat(x.executionPlan()).hasSize(1).allSatisfy(n -> assertThat(n.op()).contains("XNNPack"));
      assertThat(x.info().get("delegate")).isEqualTo("XNNPACK");
      assertThat(x.info().get("intermediates")).startsWith("graph inputs and outputs only: 1 of 1");
      for (String o : a.outputNames()) {
        float[] r = a.tensor(o).toFloatArray();
        float[] c = bx.tensor(o).toFloatArray();
        assertThat(c).hasSameSizeAs(r);
        for (int i = 0; i < r.length; i++) {
          assertThat((double) c[i]).as(o + "[" + i + "]").isCloseTo(r[i], org.assertj.core.data.Offset.offset(1e-3 + 1e-3 * Math.abs(r[i])));
        }
      }
    }
  }

  @Test
  void badInputsAreOneLineInputErrors() {
    byte[] model = TestModels.bytes(TestModels.SHORT_RANGE);
    try (TfliteBackend b = TfliteBackend.open(model, "short", TfliteOptions.defaults())) {
      HostTensor good = seeded(new int[] {1, 128, 128, 3}, 1);
      assertInput(() -> b.run(Map.of("image", good)), "unknown input 'image'", "[input]");
      assertInput(() -> b.run(Map.of()), "missing input 'input'", "[input]");
      HostTensor ints = HostTensor.ofInts(new int[] {1, 128, 128, 3}, Layout.NHWC, new int[128 * 128 * 3]);
      assertInput(() -> b.run(Map.of("input", ints)), "is INT32", "expects FLOAT32");
      assertInput(() -> b.run(Map.of("input", seeded(new int[] {1, 64, 64, 3}, 1))), "not resizable", "[1, 128, 128, 3]");
      assertInput(() -> b.run(Map.of("input", seeded(new int[] {128, 128, 3}, 1))), "rank 4");
      // Still usable after the refusals.
      assertThat(b.run(Map.of("input", good)).tensor("regressors").shape()).containsExactly(1, 896, 16);
    }
  }

  @Test
  void resizesAxesTheSignatureLeavesOpen() {
    try (TfliteBackend b = TfliteBackend.open(TinyTflite.reluDynamic(), "relu", TfliteOptions.defaults())) {
      for (int len : new int[] {5, 2, 1, 9}) {
        float[] v = new float[len * 4];
        Random r = new Random(len);
        for (int i = 0; i < v.length; i++) {
          v[i] = r.nextFloat() * 4 - 2;
        }
        Activations a = b.run(Map.of("x", HostTensor.ofFloats(new int[] {1, len, 4}, Layout.ANY, v)));
        HostTensor y = a.tensor("y");
        assertThat(y.shape()).containsExactly(1, len, 4);
        assertThat(a.get("y").op()).isEqualTo("RELU");
        float[] got = y.toFloatArray();
        for (int i = 0; i < v.length; i++) {
          assertThat(got[i]).isEqualTo(Math.max(v[i], 0f));
        }
      }
      assertInput(() -> b.run(Map.of("x", seeded(new int[] {1, 3, 5}, 1).reshape(new int[] {1, 3, 5}))), "axis 2");
    }
  }

  @Test
  void customOpIsUnsupportedAndNamed() {
    byte[] m = TinyTflite.withCustomOp("MaxPoolingWithArgmax2D");
    assertThatThrownBy(() -> TfliteBackend.open(m, "mp.tflite", TfliteOptions.defaults()))
        .isInstanceOfSatisfying(CrossalignException.class, e -> assertThat(e.kind()).isEqualTo(Kind.UNSUPPORTED))
        .hasMessage("custom op 'MaxPoolingWithArgmax2D' is not supported by the TFLite interpreter (model mp.tflite)");
  }

  @Test
  void aMalformedConvolution2DTransposeBiasIsUnsupportedAndNamed() {
    // one input instead of three: TFLite's only kernel for the op, the XNNPACK delegate's, does not take the node
    byte[] m = TinyTflite.withCustomOp("Convolution2DTransposeBias");
    assertThatThrownBy(() -> TfliteBackend.open(m, "mp.tflite", TfliteOptions.defaults()))
        .isInstanceOfSatisfying(CrossalignException.class, e -> assertThat(e.kind()).isEqualTo(Kind.UNSUPPORTED))
        .hasMessageStartingWith("custom op Convolution2DTransposeBias (node 1) of model mp.tflite cannot run on TFLite's"
            + " XNNPACK delegate, TFLite's only kernel for it: TFLite's XNNPACK delegate did not take custom op"
            + " Convolution2DTransposeBias (node 0) of model (its one-op model)");
  }

  @Test
  void everyMissingOpIsNamedOnce() {
    byte[] m = TinyTflite.twoCustomOps("MaxPoolingWithArgmax2D", "MaxUnpooling2D");
    assertThatThrownBy(() -> TfliteBackend.open(m, "seg.tflite", TfliteOptions.defaults()))
        .isInstanceOfSatisfying(CrossalignException.class, e -> assertThat(e.kind()).isEqualTo(Kind.UNSUPPORTED))
        .hasMessage("custom op 'MaxPoolingWithArgmax2D', custom op 'MaxUnpooling2D' are not supported by the TFLite"
            + " interpreter (model seg.tflite)");
    byte[] v = TinyTflite.reluVersion(99);
    assertThatThrownBy(() -> TfliteBackend.open(v, "new.tflite", TfliteOptions.defaults()))
        .isInstanceOfSatisfying(CrossalignException.class, e -> assertThat(e.kind()).isEqualTo(Kind.UNSUPPORTED))
        .hasMessageContaining("builtin op code 19 version 99");
    // The same tiny model at version 1 is fine, so the refusal above is about the version alone.
    try (TfliteBackend ok = TfliteBackend.open(TinyTflite.reluVersion(1), "v1", TfliteOptions.defaults())) {
      float[] got = ok.run(Map.of("x", HostTensor.ofFloats(new int[] {1, 4}, Layout.ANY, new float[] {-1, 2, -3, 4})))
          .tensor("y").toFloatArray();
      assertThat(got).containsExactly(0f, 2f, 0f, 4f);
    }
  }

  @Test
  void closeIsIdempotentAndRunAfterCloseFails() {
    byte[] model = TestModels.bytes(TestModels.SHORT_RANGE);
    TfliteBackend b = TfliteBackend.open(model, "short", TfliteOptions.defaults());
    Map<String, HostTensor> in = seededInput(b, 1);
    b.close();
    b.close();
    assertThatThrownBy(() -> b.run(in)).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
  }

  @Test
  void optionsValidate() {
    assertThatThrownBy(() -> new TfliteOptions(0, TfliteOptions.Delegate.NONE)).isInstanceOf(CrossalignException.class);
    assertThatThrownBy(() -> new TfliteOptions(1, null)).isInstanceOf(CrossalignException.class);
    assertThat(TfliteOptions.defaults()).isEqualTo(new TfliteOptions(1, TfliteOptions.Delegate.NONE));
  }

  @Test
  void threadsDoNotChangeResultsBeyondRounding() {
    byte[] model = TestModels.bytes(TestModels.SHORT_RANGE);
    try (TfliteBackend one = TfliteBackend.open(model, "short", TfliteOptions.defaults());
        TfliteBackend two = TfliteBackend.open(model, "short", TfliteOptions.defaults().withThreads(2))) {
      assertThat(two.info()).containsEntry("threads", "2");
      HostTensor r1 = one.run(seededInput(one, 9)).tensor("classificators");
      HostTensor r2 = two.run(seededInput(two, 9)).tensor("classificators");
      for (long i = 0; i < r1.numel(); i++) {
        assertThat(r2.getDouble(i)).isCloseTo(r1.getDouble(i), org.assertj.core.data.Offset.offset(1e-4 + 1e-4 * Math.abs(r1.getDouble(i))));
      }
    }
  }

  static void assertInput(Runnable r, String... parts) {
    assertThatThrownBy(r::run)
        .isInstanceOfSatisfying(CrossalignException.class, e -> {
          assertThat(e.kind()).isEqualTo(Kind.INPUT);
          assertThat(e.getMessage()).doesNotContain("\n");
          for (String p : parts) {
            assertThat(e.getMessage()).contains(p);
          }
        });
  }

  @SuppressWarnings("unused")
  private static Map<String, HostTensor> copy(Map<String, HostTensor> m) {
    return new HashMap<>(m);
  }
}
