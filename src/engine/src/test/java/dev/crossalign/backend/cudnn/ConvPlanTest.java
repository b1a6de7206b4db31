package dev.crossalign.backend.cudnn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.crossalign.CrossalignException;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.tflite.TfliteBackend;
import dev.crossalign.backend.tflite.TfliteOptions;
import dev.crossalign.engine.InputGenerator;
import dev.crossalign.engine.gpu.ConvLayers;
import dev.crossalign.testutil.RandomTensors;
import dev.crossalign.testutil.TestModels;
import dev.crossalign.tflite.Padding;
import dev.crossalign.tflite.TfliteModel;
import java.nio.file.Files;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The pure-Java half of the cuDNN backend, against closed forms and the real TFLite interpreter. */
class ConvPlanTest {

  static Stream<Arguments> plans() {
    // padding, in, k, stride, dilation -> begin, end, out (TF: out = ceil(in/s), total = max((out-1)s + (k-1)d + 1 - in, 0))
    return Stream.of(
        Arguments.of(Padding.SAME, 128, 5, 2, 1, 1, 2, 64), // 63*2+5-128 = 3: the odd pixel at the end
        Arguments.of(Padding.SAME, 128, 3, 1, 1, 1, 1, 128),
        Arguments.of(Padding.SAME, 7, 3, 2, 1, 1, 1, 4),
        Arguments.of(Padding.SAME, 8, 3, 2, 1, 0, 1, 4), // total 1: all of it at the end
        Arguments.of(Padding.SAME, 5, 3, 1, 2, 2, 2, 5), // dilation 2: effective kernel 5
        Arguments.of(Padding.SAME, 1, 1, 1, 1, 0, 0, 1),
        Arguments.of(Padding.SAME, 2, 7, 3, 1, 2, 3, 1), // kernel larger than the input
        Arguments.of(Padding.VALID, 10, 3, 2, 1, 0, 0, 4),
        Arguments.of(Padding.VALID, 9, 3, 1, 4, 0, 0, 1));
  }

  @ParameterizedTest
  @MethodSource("plans")
  void tfPaddingClosedForm(Padding pad, int in, int k, int s, int d, int begin, int end, int out) {
    PaddingPlan p = PaddingPlan.of(pad, in, in, k, k, s, s, d, d);
    assertThat(new int[] {p.top(), p.bottom(), p.outH()}).containsExactly(begin, end, out);
    assertThat(new int[] {p.left(), p.right(), p.outW()}).containsExactly(begin, end, out);
    // cuDNN's own output formula on the pre-padded input with the symmetric pad gives the same size:
    // out = (in' + 2 * sym - ((k - 1) * d + 1)) / s + 1
    int padded = in + p.preTop() + p.preBottom();
    assertThat((padded + 2 * p.symH() - ((k - 1) * d + 1)) / s + 1).isEqualTo(out);
    assertThat(p.preTop()).isZero(); // TF never pads more at the beginning
    assertThat(p.symmetric()).isEqualTo(begin == end);
  }

  @Test
  void validWithKernelLargerThanInputIsAnInputError() {
    assertThatThrownBy(() -> PaddingPlan.of(Padding.VALID, 2, 2, 3, 3, 1, 1, 1, 1))
        .isInstanceOf(CrossalignException.class)
        .hasMessageContaining("leaves no output");
    assertThatThrownBy(() -> PaddingPlan.of(Padding.SAME, 2, 2, 3, 3, 0, 1, 1, 1))
        .hasMessageContaining("stride 0");
  }

  @Test
  void layoutsRoundTripAndPrePadPutsZerosAtTheEnd() {
    float[] x = RandomTensors.uniform(3, 2 * 3 * 4 * 5, -1, 1);
    float[] nchw = HostLayouts.nhwcToNchw(x, 2, 3, 4, 5);
    // element (b=1, h=2, w=3, c=4) of NHWC is at ((1*3+2)*4+3)*5+4; in NCHW at ((1*5+4)*3+2)*4+3
    assertThat(nchw[((1 * 5 + 4) * 3 + 2) * 4 + 3]).isEqualTo(x[((1 * 3 + 2) * 4 + 3) * 5 + 4]);
    assertThat(HostLayouts.nchwToNhwc(nchw, 2, 5, 3, 4)).containsExactly(x);
    PaddingPlan p = new PaddingPlan(0, 1, 0, 1, 2, 2);
    float[] padded = HostLayouts.prePad(nchw, 2, 5, 3, 4, p);
    assertThat(padded).hasSize(2 * 5 * 4 * 5);
    assertThat(padded[0]).isEqualTo(nchw[0]);
    assertThat(padded[4]).isZero(); // last column of row 0 is padding
    assertThat(padded[3 * 5]).isZero(); // row 3 is padding
    assertThat(padded[5 + 1]).isEqualTo(nchw[4 + 1]);
    assertThatThrownBy(() -> HostLayouts.nhwcToNchw(new float[5], 1, 2, 2, 2))
        .isInstanceOf(CrossalignException.class)
        .hasMessageContaining("needs 8");
  }

  @Test
  void algorithmAndMathIdsMatchTheCudnnBindings() {
    // compile-time constants of the bytedeco cudnn class: reading them loads no native code
    assertThat(ConvAlgorithm.IMPLICIT_GEMM.id()).isEqualTo(org.bytedeco.cuda.global.cudnn.CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM);
    assertThat(ConvAlgorithm.IMPLICIT_PRECOMP_GEMM.id())
        .isEqualTo(org.bytedeco.cuda.global.cudnn.CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM);
    assertThat(ConvAlgorithm.GEMM.id()).isEqualTo(org.bytedeco.cuda.global.cudnn.CUDNN_CONVOLUTION_FWD_ALGO_GEMM);
    assertThat(ConvAlgorithm.DIRECT.id()).isEqualTo(org.bytedeco.cuda.global.cudnn.CUDNN_CONVOLUTION_FWD_ALGO_DIRECT);
    assertThat(ConvAlgorithm.FFT.id()).isEqualTo(org.bytedeco.cuda.global.cudnn.CUDNN_CONVOLUTION_FWD_ALGO_FFT);
    assertThat(ConvAlgorithm.FFT_TILING.id()).isEqualTo(org.bytedeco.cuda.global.cudnn.CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING);
    assertThat(ConvAlgorithm.WINOGRAD.id()).isEqualTo(org.bytedeco.cuda.global.cudnn.CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD);
    assertThat(ConvAlgorithm.WINOGRAD_NONFUSED.id())
        .isEqualTo(org.bytedeco.cuda.global.cudnn.CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED);
    assertThat(ConvAlgorithm.values()).hasSize(org.bytedeco.cuda.global.cudnn.CUDNN_CONVOLUTION_FWD_ALGO_COUNT);
    assertThat(MathType.DEFAULT.id()).isEqualTo(org.bytedeco.cuda.global.cudnn.CUDNN_DEFAULT_MATH);
    assertThat(MathType.TENSOR_OP.id()).isEqualTo(org.bytedeco.cuda.global.cudnn.CUDNN_TENSOR_OP_MATH);
    assertThat(MathType.TENSOR_OP_ALLOW_CONVERSION.id())
        .isEqualTo(org.bytedeco.cuda.global.cudnn.CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION);
    assertThat(MathType.FMA.id()).isEqualTo(org.bytedeco.cuda.global.cudnn.CUDNN_FMA_MATH);
    assertThat(ConvAlgorithm.fromId(99)).isNull();
  }

  /**
   * Every float conv of real models, run the way the cuDNN backend feeds cuDNN (pre-pad, symmetric pad, NCHW, KCRS,
   * groups) with a host loop standing in for cuDNN, plus bias and activation, against TFLite's own outputs.
   */
  @ParameterizedTest
  @ValueSource(strings = {"face_detection_short_range.tflite", "face_detection_full_range.tflite",
      "hand_landmark_lite.tflite"})
  void planAndLayoutsReproduceTfliteConvs(String file) throws Exception {
    byte[] bytes = Files.readAllBytes(TestModels.require(file));
    TfliteModel m = TfliteModel.read(bytes, file);
    var inputs = InputGenerator.inputs(m, 11, -1, 1, Map.of());
    try (TfliteBackend ref = TfliteBackend.open(bytes, file, TfliteOptions.defaults())) {
      Activations run = ref.run(inputs);
      ConvLayers.Found found = ConvLayers.of(m, ref, run);
      assertThat(found.layers()).hasSizeGreaterThan(10);
      assertThat(found.skipped()).isEmpty();
      int asymmetric = 0;
      int depthwise = 0;
      for (ConvLayers.Layer l : found.layers()) {
        float[] y = HostConv.asCudnnWould(l.geometry(), l.inputNhwc(), l.filterKcrs());
        ConvLayers.biasAndActivation(y, l.bias(), l.activation());
        double maxRef = 0;
        for (float v : l.referenceNhwc()) {
          maxRef = Math.max(maxRef, Math.abs(v));
        }
        // float32 accumulation order differs from TFLite's: 1e-5 relative to the layer's magnitude
        assertThat(ConvLayers.maxAbsDiff(y, l.referenceNhwc()))
            .as("%s %s %s", file, l.output(), l.geometry())
            .isLessThanOrEqualTo(1e-5 * Math.max(1, maxRef));
        asymmetric += l.geometry().plan().symmetric() ? 0 : 1;
        depthwise += l.geometry().kind() == ConvGeometry.Kind.DEPTHWISE ? 1 : 0;
      }
      assertThat(asymmetric).as("layers that need the host pre-pad").isPositive();
      assertThat(depthwise).isPositive();
    }
  }

  @Test
  void withoutCudaNativesTheBackendSaysWhatItNeeds() {
    // The default (CPU) build has the cuda jar without linux-x86_64 natives: loading must fail cleanly. Under -Pgpu on
    // a machine with a GPU this test does not apply.
    org.junit.jupiter.api.Assumptions.assumeFalse(
        getClass().getClassLoader().getResource("org/bytedeco/cuda/linux-x86_64/") != null && hasNvidiaDriver(),
        "CUDA natives and an NVIDIA driver are present");
    assertThatThrownBy(Cudnn::require)
        .isInstanceOf(CrossalignException.class)
        .satisfies(e -> assertThat(((CrossalignException) e).kind()).isEqualTo(CrossalignException.Kind.ENVIRONMENT))
        .hasMessageStartingWith(Cudnn.NEEDS_GPU)
        .hasMessageNotContaining("\n");
    // a second call gives the same answer without retrying the load
    assertThatThrownBy(Cudnn::require).hasMessageStartingWith(Cudnn.NEEDS_GPU);
    ConvGeometry g = new ConvGeometry(ConvGeometry.Kind.CONV, 1, 4, 4, 1, 1, 3, 3, 1, 1, 1, 1, Padding.SAME);
    assertThatThrownBy(() -> CudnnConv.create(g, new float[9], 0)).hasMessageStartingWith(Cudnn.NEEDS_GPU);
  }

  private static boolean hasNvidiaDriver() {
    return Files.exists(java.nio.file.Path.of("/proc/driver/nvidia/version"));
  }
}
