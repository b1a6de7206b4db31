package dev.crossalign.backend.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.crossalign.CrossalignException;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.CapturedTensor;
import dev.crossalign.backend.Device;
import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.onnx.OnnxModel;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** ONNX Runtime is the oracle for graph building; the expected numbers are computed here in closed form. */
class OrtBackendTest {

  static float[] iota(int n, float scale, float offset) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = i * scale + offset;
    }
    return v;
  }

  static Activations runOnce(OnnxModel m, OrtOptions opts, Map<String, HostTensor> feeds) {
    try (OrtBackend b = OrtBackend.open(m, opts)) {
      return b.run(feeds);
    }
  }

  // ------------------------------------------------------------------ Conv with asymmetric pads

  static Stream<Arguments> convCases() {
    // in channels, out channels, H, W, kernel, stride, pads [top, left, bottom, right]
    return Stream.of(
        Arguments.of(1, 1, 4, 4, 2, 1, new int[] {0, 0, 1, 1}),
        Arguments.of(2, 3, 5, 6, 3, 2, new int[] {0, 0, 1, 1}),
        Arguments.of(2, 3, 6, 6, 3, 2, new int[] {0, 0, 1, 1}),
        Arguments.of(3, 2, 7, 5, 3, 1, new int[] {1, 0, 1, 2}));
  }

  @ParameterizedTest
  @MethodSource("convCases")
  void convWithAsymmetricPadsMatchesHandComputation(int cin, int cout, int h, int w, int k, int s, int[] pads) {
    float[] x = iota(cin * h * w, 0.25f, -3f);
    float[] wt = iota(cout * cin * k * k, 0.1f, -1f);
    float[] bias = iota(cout, 0.5f, -0.5f);
    int oh = (h + pads[0] + pads[2] - k) / s + 1;
    int ow = (w + pads[1] + pads[3] - k) / s + 1;
    OnnxModel m = new OnnxGraphBuilder("conv")
        .addInput("x", DType.FLOAT32, new int[] {1, cin, h, w})
        .addInitializer("w", HostTensor.ofFloats(new int[] {cout, cin, k, k}, Layout.ANY, wt))
        .addInitializer("b", HostTensor.ofFloats(new int[] {cout}, Layout.ANY, bias))
        .addNode("Conv", List.of("x", "w", "b"), List.of("y"), OnnxGraphBuilder.attrs()
            .putInts("kernel_shape", k, k)
            .putInts("strides", s, s)
            // ONNX pads: [x1_begin, x2_begin, x1_end, x2_end] = [top, left, bottom, right]
            .putInts("pads", pads))
        .addOutput("y", DType.FLOAT32, null)
        .build();
    float[] expected = new float[cout * oh * ow];
    for (int co = 0; co < cout; co++) {
      for (int oy = 0; oy < oh; oy++) {
        for (int ox = 0; ox < ow; ox++) {
          double acc = bias[co];
          for (int ci = 0; ci < cin; ci++) {
            for (int ky = 0; ky < k; ky++) {
              for (int kx = 0; kx < k; kx++) {
                int iy = oy * s + ky - pads[0];
                int ix = ox * s + kx - pads[1];
                if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                  acc += (double) x[(ci * h + iy) * w + ix] * wt[((co * cin + ci) * k + ky) * k + kx];
                }
              }
            }
          }
          expected[(co * oh + oy) * ow + ox] = (float) acc;
        }
      }
    }
    Activations a = runOnce(m, OrtOptions.DEFAULT, Map.of("x", HostTensor.ofFloats(new int[] {1, cin, h, w},
        Layout.NCHW, x)));
    HostTensor y = a.tensor("y");
    assertThat(y.shape()).containsExactly(1, cout, oh, ow);
    assertThat(y.layout()).isEqualTo(Layout.NCHW);
    float[] got = y.toFloatArray();
    for (int i = 0; i < expected.length; i++) {
      assertThat(got[i]).as("y[%d]", i).isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1e-4f
          * Math.max(1f, Math.abs(expected[i]))));
    }
  }

  // ------------------------------------------------------------------ Resize coordinate modes

  static Stream<Arguments> resizeCases() {
    return Stream.of(
        Arguments.of("half_pixel", 2, 3, 4, 5),
        Arguments.of("half_pixel", 3, 3, 7, 2),
        Arguments.of("align_corners", 2, 3, 4, 5),
        Arguments.of("align_corners", 3, 4, 7, 9),
        Arguments.of("asymmetric", 2, 3, 4, 5),
        Arguments.of("asymmetric", 3, 4, 7, 9));
  }

  static double source(String mode, int dst, int in, int out) {
    return switch (mode) {
      case "half_pixel" -> (dst + 0.5) * in / out - 0.5;
      case "align_corners" -> out == 1 ? 0 : (double) dst * (in - 1) / (out - 1);
      case "asymmetric" -> (double) dst * in / out;
      default -> throw new IllegalArgumentException(mode);
    };
  }

  @ParameterizedTest
  @MethodSource("resizeCases")
  void resizeBilinearMatchesClosedForm(String mode, int ih, int iw, int oh, int ow) {
    float[] x = new float[ih * iw];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (i * i % 7) - 2.5f + i * 0.3f;
    }
    OnnxModel m = new OnnxGraphBuilder("resize")
        .addInput("x", DType.FLOAT32, new int[] {1, 1, ih, iw})
        .addInitializer("sizes", HostTensor.ofLongs(new int[] {4}, Layout.ANY, new long[] {1, 1, oh, ow}))
        .addNode("Resize", List.of("x", "", "", "sizes"), List.of("y"), OnnxGraphBuilder.attrs()
            .putString("mode", "linear")
            .putString("coordinate_transformation_mode", mode))
        .addOutput("y", DType.FLOAT32, null)
        .build();
    float[] got = runOnce(m, OrtOptions.DEFAULT, Map.of("x", HostTensor.ofFloats(new int[] {1, 1, ih, iw},
        Layout.NCHW, x))).tensor("y").toFloatArray();
    assertThat(got).hasSize(oh * ow);
    for (int oy = 0; oy < oh; oy++) {
      double sy = Math.min(Math.max(source(mode, oy, ih, oh), 0), ih - 1);
      int y0 = (int) Math.floor(sy);
      int y1 = Math.min(y0 + 1, ih - 1);
      double fy = sy - y0;
      for (int ox = 0; ox < ow; ox++) {
        double sx = Math.min(Math.max(source(mode, ox, iw, ow), 0), iw - 1);
        int x0 = (int) Math.floor(sx);
        int x1 = Math.min(x0 + 1, iw - 1);
        double fx = sx - x0;
        double top = x[y0 * iw + x0] * (1 - fx) + x[y0 * iw + x1] * fx;
        double bot = x[y1 * iw + x0] * (1 - fx) + x[y1 * iw + x1] * fx;
        double want = top * (1 - fy) + bot * fy;
        assertThat((double) got[oy * ow + ox]).as("%s y[%d,%d]", mode, oy, ox)
            .isCloseTo(want, org.assertj.core.data.Offset.offset(1e-5));
      }
    }
  }

  // ------------------------------------------------------------------ AveragePool with asymmetric pads

  @ParameterizedTest
  @MethodSource("poolCases")
  void averagePoolAsymmetricPadsMatchesClosedForm(int countIncludePad, int h, int w, int k, int s, int[] pads) {
    float[] x = iota(h * w, 1f, 1f);
    OnnxModel m = new OnnxGraphBuilder("pool")
        .addInput("x", DType.FLOAT32, new int[] {1, 1, h, w})
        .addNode("AveragePool", List.of("x"), List.of("y"), OnnxGraphBuilder.attrs()
            .putInts("kernel_shape", k, k)
            .putInts("strides", s, s)
            .putInts("pads", pads)
            .putInt("count_include_pad", countIncludePad))
        .addOutput("y", DType.FLOAT32, null)
        .build();
    int oh = (h + pads[0] + pads[2] - k) / s + 1;
    int ow = (w + pads[1] + pads[3] - k) / s + 1;
    HostTensor y = runOnce(m, OrtOptions.DEFAULT, Map.of("x", HostTensor.ofFloats(new int[] {1, 1, h, w},
        Layout.NCHW, x))).tensor("y");
    assertThat(y.shape()).containsExactly(1, 1, oh, ow);
    float[] got = y.toFloatArray();
    for (int oy = 0; oy < oh; oy++) {
      for (int ox = 0; ox < ow; ox++) {
        double sum = 0;
        int real = 0;
        for (int ky = 0; ky < k; ky++) {
          for (int kx = 0; kx < k; kx++) {
            int iy = oy * s + ky - pads[0];
            int ix = ox * s + kx - pads[1];
            if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
              sum += x[iy * w + ix];
              real++;
            }
          }
        }
        double want = sum / (countIncludePad == 1 ? k * k : real);
        assertThat((double) got[oy * ow + ox]).as("y[%d,%d]", oy, ox)
            .isCloseTo(want, org.assertj.core.data.Offset.offset(1e-5));
      }
    }
  }

  static Stream<Arguments> poolCases() {
    return Stream.of(
        Arguments.of(0, 4, 4, 3, 2, new int[] {0, 0, 1, 1}),
        Arguments.of(0, 5, 6, 3, 2, new int[] {1, 1, 1, 2}),
        Arguments.of(1, 4, 4, 3, 2, new int[] {0, 0, 1, 1}));
  }

  @Test
  void countIncludePadChangesTheEdgeValue() {
    // guards the closed form above: the two settings must disagree on a padded corner (x = 1..16, 3x3/2, pads end 1)
    // bottom-right window covers rows 2..3, cols 2..3 = {11,12,15,16}: 54/4 = 13.5 vs 54/9 = 6.0
    float[] x = iota(16, 1f, 1f);
    for (int cip : new int[] {0, 1}) {
      OnnxModel m = new OnnxGraphBuilder("pool")
          .addInput("x", DType.FLOAT32, new int[] {1, 1, 4, 4})
          .addNode("AveragePool", List.of("x"), List.of("y"), OnnxGraphBuilder.attrs()
              .putInts("kernel_shape", 3, 3).putInts("strides", 2, 2).putInts("pads", 0, 0, 1, 1)
              .putInt("count_include_pad", cip))
          .addOutput("y", DType.FLOAT32, null)
          .build();
      float[] y = runOnce(m, OrtOptions.DEFAULT, Map.of("x", HostTensor.ofFloats(new int[] {1, 1, 4, 4}, Layout.NCHW,
          x))).tensor("y").toFloatArray();
      assertThat(y[3]).isEqualTo(cip == 0 ? 13.5f : 6.0f);
    }
  }

  // ------------------------------------------------------------------ capture

  static OnnxModel chain() {
    return new OnnxGraphBuilder("chain")
        .addInput("x", DType.FLOAT32, new int[] {1, 2, 3, 3})
        .addInitializer("w", HostTensor.ofFloats(new int[] {2, 2, 1, 1}, Layout.ANY, new float[] {1, 0, 0, -1}))
        .addNode("Conv", List.of("x", "w"), List.of("conv"))
        .addNode("Relu", List.of("conv"), List.of("relu"))
        .addNode("Shape", List.of("relu"), List.of("shape"))
        // opset 17: ReduceMean takes axes as an attribute (an input from 18 on)
        .addNode("ReduceMean", List.of("relu"), List.of("mean"),
            OnnxGraphBuilder.attrs().putInts("axes", 2, 3).putInt("keepdims", 0))
        .addInitializer("zero", HostTensor.ofFloats(new int[] {}, Layout.ANY, new float[] {0f}))
        .addNode("Greater", List.of("mean", "zero"), List.of("positive"))
        .addOutput("mean", DType.FLOAT32, new int[] {1, 2})
        .addOutput("positive", DType.BOOL, null)
        .build();
  }

  @Test
  void capturesEveryIntermediateWithNameOpAndIndexInOneRun() {
    float[] x = iota(18, 1f, -9f); // channel 0: -9..-1, channel 1: 0..8
    try (OrtBackend b = OrtBackend.open(chain(), OrtOptions.DEFAULT)) {
      Activations a = b.run(Map.of("x", HostTensor.ofFloats(new int[] {1, 2, 3, 3}, Layout.NCHW, x)));
      assertThat(a.backend()).isEqualTo("onnxruntime");
      assertThat(a.tensors()).extracting(CapturedTensor::name)
          .containsExactly("x", "conv", "relu", "shape", "mean", "positive");
      assertThat(a.tensors()).extracting(CapturedTensor::op)
          .containsExactly("INPUT", "Conv", "Relu", "Shape", "ReduceMean", "Greater");
      assertThat(a.tensors()).extracting(CapturedTensor::index).containsExactly(-1, 0, 1, 2, 3, 4);
      assertThat(a.outputNames()).containsExactly("mean", "positive");
      // conv: out0 = x0, out1 = -x1 (1x1 weights [[1,0],[0,-1]])
      float[] conv = a.tensor("conv").toFloatArray();
      for (int i = 0; i < 9; i++) {
        assertThat(conv[i]).isEqualTo(x[i]);
        assertThat(conv[9 + i]).isEqualTo(-x[9 + i]);
      }
      assertThat(a.tensor("relu").toFloatArray()).containsOnly(0f);
      assertThat(a.tensor("shape").dtype()).isEqualTo(DType.INT64);
      assertThat(a.tensor("shape").toLongArray()).containsExactly(1, 2, 3, 3);
      assertThat(a.tensor("shape").layout()).isEqualTo(Layout.ANY);
      assertThat(a.tensor("relu").layout()).isEqualTo(Layout.NCHW);
      assertThat(a.tensor("mean").toFloatArray()).containsExactly(0f, 0f);
      assertThat(a.tensor("positive").dtype()).isEqualTo(DType.BOOL);
      assertThat(a.tensor("positive").toFloatArray()).containsExactly(0f, 0f);
      // with positive input the relu passes everything of channel 0
      float[] xp = iota(18, 1f, 1f);
      Activations p = b.run(Map.of("x", HostTensor.ofFloats(new int[] {1, 2, 3, 3}, Layout.NCHW, xp)));
      assertThat(p.tensor("mean").toFloatArray()).containsExactly(5f, 0f);
      assertThat(p.tensor("positive").toFloatArray()).containsExactly(1f, 0f);
      assertThat(b.info()).containsEntry("opt_level", "DISABLE_ALL").containsKey("onnxruntime.version");
    }
  }

  @Test
  void intermediatesWithoutDeclaredTypeBecomeUntypedOutputsThatOnnxRuntimeAccepts() {
    OnnxModel m = chain();
    assertThat(m.proto().getGraph().getValueInfoCount()).isZero();
    var g = OrtSessions.withAllOutputs(m.proto()).getGraph();
    assertThat(g.getOutputList()).extracting(v -> v.getName())
        .containsExactly("mean", "positive", "conv", "relu", "shape");
    assertThat(g.getOutput(2).hasType()).isFalse();
    // and the typed one from value_info when the model declares it
    OnnxModel typed = new OnnxGraphBuilder("t")
        .addInput("x", DType.FLOAT32, new int[] {2})
        .addNode("Relu", List.of("x"), List.of("r"))
        .addValueInfo("r", DType.FLOAT32, new int[] {2})
        .addNode("Neg", List.of("r"), List.of("y"))
        .addOutput("y", DType.FLOAT32, null)
        .build();
    var tg = OrtSessions.withAllOutputs(typed.proto()).getGraph();
    assertThat(tg.getOutput(1).getName()).isEqualTo("r");
    assertThat(tg.getOutput(1).getType().getTensorType().getShape().getDimCount()).isEqualTo(1);
    Activations a = runOnce(typed, OrtOptions.DEFAULT, Map.of("x", HostTensor.ofFloats(new int[] {2}, Layout.ANY,
        new float[] {-1f, 2f})));
    assertThat(a.tensor("r").toFloatArray()).containsExactly(0f, 2f);
    assertThat(a.tensor("y").toFloatArray()).containsExactly(-0f, -2f);
  }

  @Test
  void optionsFromTheDeterminismConfig() {
    OrtOptions o = OrtOptions.from(dev.crossalign.backend.DeterminismConfig.DETERMINISTIC, Device.CPU);
    assertThat(o.optLevel()).isEqualTo(OrtOptions.OptLevel.DISABLE_ALL);
    assertThat(o.cudnnConvAlgoSearch()).isEqualTo(OrtOptions.ConvAlgoSearch.HEURISTIC);
    assertThat(o.deterministicCompute()).isTrue();
    assertThat(o.useTf32()).isFalse();
    assertThat(o.intraOpThreads()).isEqualTo(1);
    assertThatThrownBy(() -> new OrtOptions(-1, 0, OrtOptions.OptLevel.ALL, true, Device.CPU,
        OrtOptions.ConvAlgoSearch.DEFAULT, false, false)).isInstanceOf(CrossalignException.class);
  }

  @Test
  void withoutCaptureOnlyInputsAndOutputsComeBack() {
    Activations a = runOnce(chain(), OrtOptions.DEFAULT.withCaptureIntermediates(false),
        Map.of("x", HostTensor.ofFloats(new int[] {1, 2, 3, 3}, Layout.NCHW, iota(18, 1f, 1f))));
    assertThat(a.tensors()).extracting(CapturedTensor::name).containsExactly("x", "mean", "positive");
    assertThat(a.tensor("mean").toFloatArray()).containsExactly(5f, 0f);
  }

  @Test
  void nativeMemoryFeedsAreReadInPlaceAndGiveTheHeapFeedsValues() {
    float[] x = iota(18, 1f, -9f);
    Activations heap = runOnce(chain(), OrtOptions.DEFAULT,
        Map.of("x", HostTensor.ofFloats(new int[] {1, 2, 3, 3}, Layout.NCHW, x)));
    // a direct buffer whose data starts past its first bytes (a view into a larger mapping, as the spilled reference's)
    java.nio.ByteBuffer whole = java.nio.ByteBuffer.allocateDirect(8 + 18 * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    whole.putLong(-1L);
    for (float v : x) {
      whole.putFloat(v);
    }
    java.nio.ByteBuffer view = whole.position(8).slice().order(java.nio.ByteOrder.LITTLE_ENDIAN);
    HostTensor direct = HostTensor.wrap(DType.FLOAT32, new int[] {1, 2, 3, 3}, Layout.NCHW, view);
    try (OrtBackend b = OrtBackend.open(chain(), OrtOptions.DEFAULT)) {
      Activations a = b.run(Map.of("x", direct));
      for (String name : List.of("conv", "relu", "mean")) {
        assertThat(a.tensor(name).data()).as(name).isEqualTo(heap.tensor(name).data());
      }
      // in place: what is in the buffer when the run starts is what ONNX Runtime reads
      view.putFloat(0, 100f);
      assertThat(b.run(Map.of("x", direct)).tensor("conv").toFloatArray()[0]).isEqualTo(100f);
    }
    assertThat(view.getFloat(4)).isEqualTo(x[1]);
  }

  @Test
  void fullOptimizationGivesTheSameValues() {
    Map<String, HostTensor> feeds =
        Map.of("x", HostTensor.ofFloats(new int[] {1, 2, 3, 3}, Layout.NCHW, iota(18, 0.5f, -2f)));
    Activations plain = runOnce(chain(), OrtOptions.DEFAULT, feeds);
    Activations opt = runOnce(chain(), OrtOptions.DEFAULT.withOptLevel(OrtOptions.OptLevel.ALL).withThreads(2, 1),
        feeds);
    // closed form: channel 0 mean of relu(x0) where x0 = -2, -1.5, ..., 2 -> (0.5+1+1.5+2)/9
    assertThat(plain.tensor("mean").toFloatArray()[0]).isCloseTo(5f / 9f, org.assertj.core.data.Offset.offset(1e-6f));
    assertThat(opt.tensor("mean").toFloatArray()).containsExactly(plain.tensor("mean").toFloatArray());
  }

  @Test
  void layoutMetadataOverridesTheRank4Default() {
    OnnxModel m = new OnnxGraphBuilder("l")
        .metadata(OnnxModel.META_LAYOUT, "NHWC")
        .layout("b", Layout.ANY)
        .addInput("x", DType.FLOAT32, new int[] {1, 2, 2, 1})
        .addNode("Relu", List.of("x"), List.of("a"))
        .addNode("Neg", List.of("a"), List.of("b"))
        .addOutput("b", DType.FLOAT32, null)
        .build();
    Activations a = runOnce(m, OrtOptions.DEFAULT, Map.of("x", HostTensor.ofFloats(new int[] {1, 2, 2, 1}, Layout.ANY,
        new float[] {1, -2, 3, -4})));
    assertThat(a.tensor("x").layout()).isEqualTo(Layout.NHWC);
    assertThat(a.tensor("a").layout()).isEqualTo(Layout.NHWC);
    assertThat(a.tensor("b").layout()).isEqualTo(Layout.ANY);
    assertThat(a.tensor("b").toFloatArray()).containsExactly(-1f, -0f, -3f, -0f); // Neg(0) is -0
  }

  @Test
  void float16AndIntInputsRoundTrip() {
    OnnxModel m = new OnnxGraphBuilder("types")
        .addInput("h", DType.FLOAT16, new int[] {3})
        .addInput("i", DType.INT32, new int[] {-1})
        .addNode("Cast", List.of("h"), List.of("hf"), OnnxGraphBuilder.attrs().putInt("to", 1))
        .addNode("Cast", List.of("i"), List.of("il"), OnnxGraphBuilder.attrs().putInt("to", 7))
        .addOutput("hf", DType.FLOAT32, null)
        .addOutput("il", DType.INT64, null)
        .build();
    java.nio.ByteBuffer hb = java.nio.ByteBuffer.allocate(6).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    hb.putShort((short) 0x3C00).putShort((short) 0xC000).putShort((short) 0x3555); // 1, -2, 0.33325195
    hb.flip();
    Activations a = runOnce(m, OrtOptions.DEFAULT, Map.of(
        "h", HostTensor.of(DType.FLOAT16, new int[] {3}, Layout.ANY, hb),
        "i", HostTensor.ofInts(new int[] {4}, Layout.ANY, new int[] {7, -1, Integer.MAX_VALUE, 0})));
    assertThat(a.tensor("hf").toFloatArray()).containsExactly(1f, -2f, 0.33325195f);
    assertThat(a.tensor("il").toLongArray()).containsExactly(7L, -1L, Integer.MAX_VALUE, 0L);
  }

  @Test
  void tensorFloatAndStringAttributesReachTheRuntime() {
    // y = LeakyRelu(x + c, alpha=0.125), c a Constant node (tensor attribute); Pad with a string mode attribute
    OnnxModel m = new OnnxGraphBuilder("attrs")
        .addInput("x", DType.FLOAT32, new int[] {1, 4})
        .addNode("Constant", List.of(), List.of("c"), OnnxGraphBuilder.attrs()
            .putTensor("value", HostTensor.ofFloats(new int[] {1, 4}, Layout.ANY, new float[] {1, -2, 3, -4})))
        .addNode("Add", List.of("x", "c"), List.of("s"))
        .addNode("LeakyRelu", List.of("s"), List.of("y"), OnnxGraphBuilder.attrs().putFloat("alpha", 0.125f))
        .addInitializer("pads", HostTensor.ofLongs(new int[] {4}, Layout.ANY, new long[] {0, 1, 0, 2}))
        .addNode("Pad", List.of("y", "pads"), List.of("p"), OnnxGraphBuilder.attrs().putString("mode", "reflect"))
        .addOutput("p", DType.FLOAT32, null)
        .build();
    Activations a = runOnce(m, OrtOptions.DEFAULT, Map.of("x", HostTensor.ofFloats(new int[] {1, 4}, Layout.ANY,
        new float[] {0, 0, -4, 8})));
    assertThat(a.tensor("c").toFloatArray()).containsExactly(1, -2, 3, -4);
    assertThat(a.get("c").op()).isEqualTo("Constant");
    // s = 1, -2, -1, 4 -> y = 1, -0.25, -0.125, 4 -> reflect pad 1 left, 2 right
    assertThat(a.tensor("y").toFloatArray()).containsExactly(1f, -0.25f, -0.125f, 4f);
    assertThat(a.tensor("p").toFloatArray()).containsExactly(-0.25f, 1f, -0.25f, -0.125f, 4f, -0.125f, -0.25f);
  }

  @Test
  void modelsWithSubgraphsRunWithCapture() {
    var p = new OnnxGraphBuilder("if")
        .addInput("x", DType.FLOAT32, new int[] {2})
        .addInput("cond", DType.BOOL, new int[] {})
        .addNode("Relu", List.of("x"), List.of("a"))
        .addNode("If", List.of("cond"), List.of("r"))
        .addOutput("r", DType.FLOAT32, null)
        .buildProto();
    var g = p.getGraph().toBuilder();
    g.getNodeBuilder(1)
        .addAttribute(branchAttr("then_branch", "Neg"))
        .addAttribute(branchAttr("else_branch", "Abs"));
    OnnxModel m = dev.crossalign.onnx.OnnxModel.of(p.toBuilder().setGraph(g).build());
    dev.crossalign.onnx.OnnxChecker.checkOrThrow(m);
    java.nio.ByteBuffer t = java.nio.ByteBuffer.allocate(1);
    t.put((byte) 1).flip();
    Activations a = runOnce(m, OrtOptions.DEFAULT, Map.of(
        "x", HostTensor.ofFloats(new int[] {2}, Layout.ANY, new float[] {-3f, 5f}),
        "cond", HostTensor.of(DType.BOOL, new int[] {}, Layout.ANY, t)));
    assertThat(a.tensors()).extracting(CapturedTensor::name).containsExactly("x", "cond", "a", "r");
    assertThat(a.tensor("r").toFloatArray()).containsExactly(-0f, -5f);
  }

  static ai.onnx.proto.OnnxMl.AttributeProto branchAttr(String name, String op) {
    var sub = ai.onnx.proto.OnnxMl.GraphProto.newBuilder().setName(name)
        .addNode(ai.onnx.proto.OnnxMl.NodeProto.newBuilder().setOpType(op).addInput("a").addOutput(name + "_out"))
        .addOutput(ai.onnx.proto.OnnxMl.ValueInfoProto.newBuilder().setName(name + "_out")
            .setType(ai.onnx.proto.OnnxMl.TypeProto.newBuilder().setTensorType(
                ai.onnx.proto.OnnxMl.TypeProto.Tensor.newBuilder().setElemType(1))));
    return ai.onnx.proto.OnnxMl.AttributeProto.newBuilder().setName(name)
        .setType(ai.onnx.proto.OnnxMl.AttributeProto.AttributeType.GRAPH).setG(sub).build();
  }

  // ------------------------------------------------------------------ errors

  @Test
  void inputMistakesAreOneLineInputErrors() {
    try (OrtBackend b = OrtBackend.open(chain(), OrtOptions.DEFAULT)) {
      HostTensor good = HostTensor.ofFloats(new int[] {1, 2, 3, 3}, Layout.NCHW, new float[18]);
      assertThatThrownBy(() -> b.run(Map.of("y", good)))
          .isInstanceOf(CrossalignException.class)
          .hasMessageContaining("unknown input name 'y'").hasMessageContaining("[x]")
          .satisfies(e -> assertThat(((CrossalignException) e).kind()).isEqualTo(CrossalignException.Kind.INPUT));
      assertThatThrownBy(() -> b.run(Map.of())).hasMessageContaining("missing input 'x'");
      assertThatThrownBy(() -> b.run(Map.of("x", HostTensor.ofInts(new int[] {1, 2, 3, 3}, Layout.NCHW,
          new int[18])))).hasMessageContaining("is INT32, the ONNX model expects FLOAT32");
      assertThatThrownBy(() -> b.run(Map.of("x", HostTensor.ofFloats(new int[] {1, 2, 3, 2}, Layout.NCHW,
          new float[12])))).hasMessageContaining("has shape [1, 2, 3, 2]").hasMessageContaining("[1, 2, 3, 3]");
    }
  }

  @Test
  void cudaOnTheCpuOnlyRuntimeIsAnEnvironmentError() {
    org.junit.jupiter.api.Assumptions.assumeFalse(OrtBackend.cudaAvailable(),
        "the onnxruntime on the class path has CUDA: this test is about the CPU-only artifact");
    assertThatThrownBy(() -> OrtBackend.open(chain(), OrtOptions.DEFAULT.withDevice(Device.parse("cuda:0"))))
        .isInstanceOf(CrossalignException.class)
        .satisfies(e -> assertThat(((CrossalignException) e).kind()).isEqualTo(CrossalignException.Kind.ENVIRONMENT))
        .hasMessageContaining("CUDA");
  }

  @Test
  void cudaRunMatchesTheClosedForm() {
    org.junit.jupiter.api.Assumptions.assumeTrue(OrtBackend.cudaAvailable(),
        "needs the onnxruntime_gpu artifact and an NVIDIA GPU (the CPU-only onnxruntime is on the class path)");
    float[] x = iota(18, 1f, 1f);
    Activations a = runOnce(chain(), OrtOptions.DEFAULT.withDevice(Device.parse("cuda:0")),
        Map.of("x", HostTensor.ofFloats(new int[] {1, 2, 3, 3}, Layout.NCHW, x)));
    assertThat(a.tensor("mean").toFloatArray()).containsExactly(5f, 0f);
    assertThat(a.tensor("conv").toFloatArray()[9]).isEqualTo(-10f);
  }

  @Test
  void unknownOpIsUnsupportedOrInputNotACrash() {
    OnnxModel m = new OnnxGraphBuilder("bad")
        .addInput("x", DType.FLOAT32, new int[] {2})
        .addNode("NoSuchOp", List.of("x"), List.of("y"))
        .addOutput("y", DType.FLOAT32, null)
        .build();
    assertThatThrownBy(() -> OrtBackend.open(m, OrtOptions.DEFAULT))
        .isInstanceOf(CrossalignException.class)
        .hasMessageContaining("onnxruntime cannot load the model")
        .hasMessageContaining("NoSuchOp");
  }

  @Test
  void closeIsIdempotentAndRunAfterCloseFails() {
    OrtBackend b = OrtBackend.open(chain(), OrtOptions.DEFAULT);
    b.close();
    b.close();
    assertThatThrownBy(() -> b.run(Map.of())).isInstanceOf(IllegalStateException.class);
  }
}
