package dev.crossalign.backend.tflite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.crossalign.CrossalignException;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.testutil.DeconvModels;
import dev.crossalign.testutil.DeconvModels.Case;
import dev.crossalign.testutil.RandomTensors;
import dev.crossalign.tflite.Padding;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteWriter;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The reference's kernel for MediaPipe's Convolution2DTransposeBias (TFLite's XNNPACK delegate in a one-op
 * interpreter) against an independent oracle: TFLite's builtin TRANSPOSE_CONV then ADD of the bias, same weights,
 * same input, run by the reference interpreter's own kernels.
 */
class DelegateBackedKernelsTest {

  static Stream<Case> cases() {
    return DeconvModels.CASES.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void matchesBuiltinTransposeConvPlusAdd(Case c) {
    HostTensor x = RandomTensors.uniform(42, Layout.NHWC, -2, 2, 1, c.h(), c.w(), c.cin());
    float[] want = run(DeconvModels.builtin(c), TfliteOptions.defaults(), x);
    float[] got;
    try (TfliteBackend b = TfliteBackend.open(DeconvModels.custom(c), "deconv", TfliteOptions.defaults())) {
      // a real kernel, not a placeholder: the node is served by a one-op XNNPACK interpreter
      assertThat(b.placeholderOps()).isEmpty();
      assertThat(b.info().get("xnnpack_kernels")).startsWith("nodes [0] ");
      assertThat(b.delegatePartitions()).isEmpty(); // the main interpreter keeps its own node (and every tensor)
      got = b.run(Map.of("x", x)).tensor("y").toFloatArray();
    }
    assertThat(got).hasSize(c.outH() * c.outW() * c.cout());
    double worst = 0;
    double scale = 0;
    for (int i = 0; i < want.length; i++) {
      worst = Math.max(worst, Math.abs(want[i] - got[i]));
      scale = Math.max(scale, Math.abs(want[i]));
    }
    System.out.printf("WORST deconv-vs-builtin %s %.3g (max |y| %.3g)%n", c, worst, scale);
    assertThat(scale).as("a result that is not all zeros").isGreaterThan(0.1);
    assertThat(worst).isLessThanOrEqualTo(1e-5);
    // the tflite-xnnpack backend: the delegate takes the node in the main interpreter, same numbers
    float[] xnn = run(DeconvModels.custom(c), TfliteOptions.defaults().withDelegate(TfliteOptions.Delegate.XNNPACK), x);
    for (int i = 0; i < want.length; i++) {
      assertThat((double) Math.abs(xnn[i] - got[i])).isLessThanOrEqualTo(1e-5);
    }
  }

  private static float[] run(byte[] model, TfliteOptions opts, HostTensor x) {
    try (TfliteBackend b = TfliteBackend.open(model, "m", opts)) {
      return b.run(Map.of("x", x)).tensor("y").toFloatArray();
    }
  }

  @Test
  void aNodeTheDelegateRefusesIsRefusedNotZeroed() {
    // padding code 0 (kTfLitePaddingUnknown): XNNPACK declines the node, and there is no other kernel to run it
    byte[] model = DeconvModels.custom(new Case(4, 4, 3, 2, 2, 2, Padding.SAME), DeconvModels.options(0, 2, 2));
    for (boolean placeholders : new boolean[] {false, true}) {
      assertThatThrownBy(() -> TfliteBackend.open(model, "bad", TfliteOptions.defaults()
              .withPlaceholderCustomOps(placeholders)).close())
          .isInstanceOf(CrossalignException.class)
          .hasMessageContaining("custom op Convolution2DTransposeBias (node 0) of model bad cannot run on TFLite's"
              + " XNNPACK delegate")
          .hasMessageContaining("did not take custom op Convolution2DTransposeBias (node 0) of model (its one-op model)");
    }
  }

  @Test
  void behindAPlaceholderItComputesOnTheZerosAndIsMarkedDownstream() {
    // x -> MyCustom (a placeholder: zeros) -> Convolution2DTransposeBias -> y: a transposed conv of zeros is its bias
    // at every pixel (closed form), and y is downstream of the placeholder, the deconv no placeholder itself
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, 1, 4, 4, 3);
    int c = w.tensor("c", TensorType.FLOAT32, 1, 4, 4, 3);
    w.custom("MyCustom", new int[] {x}, new int[] {c}, null);
    float[] bias = {0.25f, -1.5f};
    int f = w.constant("weights", RandomTensors.uniform(3, Layout.ANY, -1, 1, 2, 2, 2, 3));
    int b = w.constant("bias", HostTensor.ofFloats(new int[] {2}, Layout.ANY, bias));
    int y = w.tensor("y", TensorType.FLOAT32, 1, 8, 8, 2);
    w.custom(DeconvModels.CODE, new int[] {c, f, b}, new int[] {y}, DeconvModels.options(1, 2, 2));
    w.outputs(y);
    try (TfliteBackend be = TfliteBackend.open(w.build(), "mixed", TfliteOptions.defaults()
        .withPlaceholderCustomOps(true))) {
      assertThat(be.placeholderOps()).extracting(TfliteBackend.PlaceholderOp::customCode).containsExactly("MyCustom");
      assertThat(be.downstreamOfPlaceholders()).containsExactly("y");
      assertThat(be.info().get("xnnpack_kernels")).startsWith("nodes [1] ");
      float[] got = be.run(Map.of("x", RandomTensors.uniform(4, Layout.NHWC, -2, 2, 1, 4, 4, 3))).tensor("y")
          .toFloatArray();
      for (int i = 0; i < got.length; i++) {
        assertThat(got[i]).as("pixel %d channel %d", i / 2, i % 2).isEqualTo(bias[i % 2]);
      }
    }
  }

  @Test
  void manyOpenCloseCyclesKeepServingTheirOwnNodes() {
    // each backend's kernels are found by its own interpreter's context; two open at once must not mix
    Case a = DeconvModels.CASES.get(0);
    Case v = DeconvModels.CASES.get(4);
    HostTensor xa = RandomTensors.uniform(1, Layout.NHWC, -2, 2, 1, a.h(), a.w(), a.cin());
    HostTensor xv = RandomTensors.uniform(2, Layout.NHWC, -2, 2, 1, v.h(), v.w(), v.cin());
    float[] wantA = run(DeconvModels.builtin(a), TfliteOptions.defaults(), xa);
    float[] wantV = run(DeconvModels.builtin(v), TfliteOptions.defaults(), xv);
    for (int i = 0; i < 30; i++) {
      try (TfliteBackend ba = TfliteBackend.open(DeconvModels.custom(a), "a", TfliteOptions.defaults());
          TfliteBackend bv = TfliteBackend.open(DeconvModels.custom(v), "v", TfliteOptions.defaults())) {
        assertThat(bv.run(Map.of("x", xv)).tensor("y").toFloatArray()).containsExactly(wantV,
            org.assertj.core.data.Offset.offset(1e-5f));
        assertThat(ba.run(Map.of("x", xa)).tensor("y").toFloatArray()).containsExactly(wantA,
            org.assertj.core.data.Offset.offset(1e-5f));
      }
    }
  }

  /**
   * Channel counts the XNNPACK kernel would read or write past, hidden from the file's declared shapes: fp16 weights
   * whose DEQUANTIZE output is declared [2, 2, 2, 3] but which TFLite shapes [3, 2, 2, 2] (the constant's shape), and
   * an input that a RESHAPE makes [1, 8, 8, 1] at run time though declared [1, 4, 4, 3]. Each is refused (exit 2)
   * before any one-op interpreter runs: the first from the file (OpInputChecks: XNNPACK's delegate would unpack the
   * weights at the DEQUANTIZE output's declared shape), the second on TFLite's own shapes.
   */
  @Test
  void channelsTheWeightsDoNotHaveAreRefusedAlsoWhenTfliteShapesThemAtRunTime() {
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, 1, 4, 4, 3);
    int half = w.constant("weights_fp16", HostTensor.of(dev.crossalign.tensor.DType.FLOAT16, new int[] {3, 2, 2, 2},
        Layout.ANY, java.nio.ByteBuffer.allocate(48)));
    int f = w.tensor("weights", TensorType.FLOAT32, 2, 2, 2, 3);
    w.op(dev.crossalign.tflite.BuiltinOp.DEQUANTIZE, new dev.crossalign.tflite.OpOptions.None(), new int[] {half}, new int[] {f});
    int b = w.constant("bias", HostTensor.ofFloats(new int[] {2}, Layout.ANY, new float[2]));
    int y = w.tensor("y", TensorType.FLOAT32, 1, 8, 8, 2);
    w.custom(DeconvModels.CODE, new int[] {x, f, b}, new int[] {y}, DeconvModels.options(1, 2, 2));
    w.outputs(y);
    assertThatThrownBy(() -> TfliteBackend.open(w.build(), "fp16.tflite", TfliteOptions.defaults()).close())
        .isInstanceOfSatisfying(CrossalignException.class,
            e -> assertThat(e.kind()).isEqualTo(CrossalignException.Kind.INPUT))
        .hasMessage("model fp16.tflite: op #0 DEQUANTIZE output 0 has shape [2, 2, 2, 3], input 0 (input) [3, 2, 2,"
            + " 2]: expected the same");

    TfliteWriter r = new TfliteWriter();
    int in = r.input("x", TensorType.FLOAT32, 1, 8, 8, 1);
    int shaped = r.tensor("shaped", TensorType.FLOAT32, 1, 4, 4, 3); // declared; RESHAPE makes it [1, 8, 8, 1]
    r.op(dev.crossalign.tflite.BuiltinOp.RESHAPE, new dev.crossalign.tflite.OpOptions.Reshape(new int[] {1, 8, 8, 1}),
        new int[] {in}, new int[] {shaped});
    int rf = r.constant("weights", RandomTensors.uniform(3, Layout.ANY, -1, 1, 2, 2, 2, 3));
    int rb = r.constant("bias", HostTensor.ofFloats(new int[] {2}, Layout.ANY, new float[2]));
    int ry = r.tensor("y", TensorType.FLOAT32, 1, 8, 8, 2);
    r.custom(DeconvModels.CODE, new int[] {shaped, rf, rb}, new int[] {ry}, DeconvModels.options(1, 2, 2));
    r.outputs(ry);
    assertThatThrownBy(() -> TfliteBackend.open(r.build(), "reshaped.tflite", TfliteOptions.defaults()).close())
        .isInstanceOfSatisfying(CrossalignException.class,
            e -> assertThat(e.kind()).isEqualTo(CrossalignException.Kind.INPUT))
        .hasMessage("custom op Convolution2DTransposeBias (node 1) of model reshaped.tflite: input 0 (input) has shape"
            + " [1, 8, 8, 1]: 1 channels, the weights' (input 1, shape [2, 2, 2, 3], [out, kh, kw, in]) in is 3 (as"
            + " TFLite shaped them at run time)");
  }
}
