package dev.crossalign.port.onnx;

import dev.crossalign.UnsupportedOp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.crossalign.CrossalignException;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.onnx.OrtBackend;
import dev.crossalign.backend.onnx.OrtOptions;
import dev.crossalign.onnx.OnnxChecker;
import dev.crossalign.onnx.OnnxModel;
import dev.crossalign.onnx.OnnxNode;
import dev.crossalign.onnx.OnnxValueInfo;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.testutil.TfliteOracle;
import dev.crossalign.tflite.Activation;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.Padding;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteModel;
import dev.crossalign.tflite.TfliteWriter;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Names, layouts, signature, input layout option, refusal of unsupported ops, serialization. */
class ExporterApiTest {
  private static HostTensor rnd(long seed, int... shape) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] v = new float[(int) HostTensor.numel(shape)];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) r.nextDouble(-1, 1);
    }
    return HostTensor.ofFloats(shape, Layout.ANY, v);
  }

  /** x [1,6,6,3] -> conv (relu) "features" [1,3,3,4] -> reshape "flat" [1,36] ; conv is also a graph output. */
  private static byte[] convReshape() {
    TfliteWriter w = new TfliteWriter();
    int x = w.input("image", TensorType.FLOAT32, 1, 6, 6, 3);
    int wt = w.constant("filter", rnd(1, 4, 3, 3, 3));
    int b = w.constant("bias", rnd(2, 4));
    int y = w.tensor("features", TensorType.FLOAT32, 1, 3, 3, 4);
    w.op(BuiltinOp.CONV_2D, new OpOptions.Conv2D(Padding.SAME, 2, 2, Activation.RELU, 1, 1), new int[] {x, wt, b},
        new int[] {y});
    int z = w.tensor("flat", TensorType.FLOAT32, 1, 36);
    int shape = w.constant("shape", HostTensor.ofInts(new int[] {2}, Layout.ANY, new int[] {1, 36}));
    w.op(BuiltinOp.RESHAPE, new OpOptions.None(), new int[] {y, shape}, new int[] {z});
    w.outputs(z, y);
    return w.build();
  }

  @Test
  void onnxTensorsCarryTfliteNamesAndLayouts() {
    Export ex = Exporter.export(TfliteModel.read(convReshape(), "m"), ExportOptions.DEFAULT);
    OnnxModel m = ex.model();
    assertThat(OnnxChecker.check(m)).isEmpty();
    assertThat(ex.unsupported()).isEmpty();
    assertThat(m.opset()).isEqualTo(17);
    // signature: TFLite names, TFLite (NHWC) shapes
    assertThat(m.inputs()).extracting(OnnxValueInfo::name).containsExactly("image");
    assertThat(m.inputs().get(0).shape()).containsExactly(1L, 6L, 6L, 3L);
    assertThat(m.outputs()).extracting(OnnxValueInfo::name).containsExactly("flat", "features");
    assertThat(m.outputs().get(1).shape()).containsExactly(1L, 3L, 3L, 4L);
    assertThat(ex.onnxToTflite()).containsEntry("image", "image").containsEntry("flat", "flat")
        .containsEntry("features", "features");
    assertThat(m.layoutOf("image", 4)).isEqualTo(Layout.NHWC);
    assertThat(m.layoutOf("features", 4)).isEqualTo(Layout.NHWC);
    assertThat(m.layoutOf("flat", 2)).isEqualTo(Layout.ANY);
    // every mapped name is something ORT can hand back: a graph input or a node output
    Set<String> produced = new HashSet<>();
    m.nodes().forEach(n -> produced.addAll(n.outputs()));
    m.inputs().forEach(i -> produced.add(i.name()));
    assertThat(produced).containsAll(ex.onnxToTflite().keySet());
    // the conv weights are OIHW initializers, no Pad node: SAME is in the Conv's pads
    assertThat(m.nodes()).extracting(OnnxNode::opType).doesNotContain("Pad").contains("Conv", "Relu");
    assertThat(m.initializer("filter/oihw").shape()).containsExactly(4, 3, 3, 3);
  }

  @Test
  void rank4GraphOutputAlsoConsumedDownstreamMatchesInterpreter() {
    ExportHarness.Result r = ExportHarness.run(convReshape(), 9, -1, 1);
    assertThat(r.outputs()).extracting(ExportHarness.Diff::name).containsExactlyInAnyOrder("flat", "features");
    assertThat(r.worst().maxAbs()).isLessThanOrEqualTo(1e-5);
  }

  @Test
  void graphInputThatIsAlsoAnOutputPassesThrough() {
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, 1, 3, 3, 2);
    int y = w.tensor("y", TensorType.FLOAT32, 1, 3, 3, 2);
    w.op(BuiltinOp.RELU, new OpOptions.None(), new int[] {x}, new int[] {y});
    w.outputs(y, x);
    ExportHarness.Result r = ExportHarness.run(w.build(), 3, -1, 1);
    assertThat(r.export().model().outputs()).extracting(OnnxValueInfo::name).containsExactly("y", "x");
    assertThat(r.outputs()).extracting(ExportHarness.Diff::name).containsExactlyInAnyOrder("y", "x");
    assertThat(r.worst().maxAbs()).isEqualTo(0.0);
  }

  @Test
  void intermediateRank4TensorsAreTaggedNchw() {
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, 1, 4, 4, 2);
    int y = w.tensor("mid", TensorType.FLOAT32, 1, 4, 4, 2);
    int z = w.tensor("out", TensorType.FLOAT32, 1, 4, 4, 2);
    w.op(BuiltinOp.RELU, new OpOptions.None(), new int[] {x}, new int[] {y});
    w.op(BuiltinOp.LOGISTIC, new OpOptions.None(), new int[] {y}, new int[] {z});
    w.outputs(z);
    Export ex = Exporter.export(TfliteModel.read(w.build(), "m"), ExportOptions.DEFAULT);
    assertThat(ex.onnxToTflite()).containsEntry("mid", "mid");
    assertThat(ex.model().metadata()).containsEntry(OnnxModel.META_LAYOUT_PREFIX + "mid", "NCHW")
        .containsEntry(OnnxModel.META_LAYOUT_PREFIX + "out", "NHWC");
    try (OrtBackend ort = OrtBackend.open(ex.model(), OrtOptions.DEFAULT)) {
      HostTensor in = rnd(3, 1, 4, 4, 2).withLayout(Layout.NHWC);
      Activations a = ort.run(Map.of("x", in));
      assertThat(a.tensor("mid").layout()).isEqualTo(Layout.NCHW);
      assertThat(a.tensor("mid").shape()).containsExactly(1, 2, 4, 4);
      assertThat(a.tensor("out").layout()).isEqualTo(Layout.NHWC);
    }
  }

  @Test
  void nchwInputOptionTakesAnNchwInputAndGivesTheSameOutputs() {
    byte[] bytes = convReshape();
    TfliteModel model = TfliteModel.read(bytes, "m");
    Export ex = Exporter.export(model, new ExportOptions(ExportOptions.InputLayout.NCHW));
    assertThat(ex.model().inputs().get(0).shape()).containsExactly(1L, 3L, 6L, 6L);
    assertThat(ex.model().layoutOf("image", 4)).isEqualTo(Layout.NCHW);
    HostTensor nhwc = rnd(4, 1, 6, 6, 3).withLayout(Layout.NHWC);
    Map<Integer, HostTensor> ref = TfliteOracle.run(bytes, Map.of(model.main().inputs()[0], nhwc));
    float[] want = ref.get(model.main().outputs()[0]).toFloatArray();
    try (OrtBackend ort = OrtBackend.open(ex.model(), OrtOptions.DEFAULT)) {
      Activations a = ort.run(Map.of("image", nhwc.permute(OnnxOp.TO_NCHW, Layout.NCHW)));
      float[] got = a.tensor("flat").toFloatArray();
      assertThat(got).hasSameSizeAs(want);
      for (int i = 0; i < want.length; i++) {
        assertThat((double) got[i]).isCloseTo(want[i], org.assertj.core.data.Offset.offset(1e-5));
      }
    }
  }

  @Test
  void unsupportedOpsAreListedAndRefusedWithExit3() {
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, 1, 4);
    int a = w.tensor("a", TensorType.FLOAT32, 1, 4);
    int b = w.tensor("b", TensorType.FLOAT32, 1, 4);
    int c = w.tensor("c", TensorType.FLOAT32, 1, 4);
    w.custom("MyCustomOp", new int[] {x}, new int[] {a}, null);
    w.op(BuiltinOp.RELU, new OpOptions.None(), new int[] {a}, new int[] {b});
    w.custom("MyCustomOp", new int[] {b}, new int[] {c}, null);
    w.outputs(c);
    TfliteModel model = TfliteModel.read(w.build(), "custom.tflite");
    List<UnsupportedOp> list = Exporter.check(model, ExportOptions.DEFAULT);
    assertThat(list).hasSize(1);
    assertThat(list.get(0).op()).isEqualTo("MyCustomOp");
    assertThat(list.get(0).count()).isEqualTo(2);
    assertThat(list.get(0).reason()).contains("no ONNX export");
    assertThatThrownBy(() -> Exporter.export(model, ExportOptions.DEFAULT))
        .isInstanceOfSatisfying(CrossalignException.class, e -> {
          assertThat(e.kind()).isEqualTo(CrossalignException.Kind.UNSUPPORTED);
          assertThat(e.kind().exitStatus()).isEqualTo(3);
        })
        .hasMessageContaining("MyCustomOp x2");
  }

  @Test
  void symmetricMirrorPadIsRefusedWithAReason() {
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, 1, 4, 4, 2);
    int p = w.constant("p", HostTensor.ofInts(new int[] {4, 2}, Layout.ANY, new int[] {0, 0, 1, 1, 1, 1, 0, 0}));
    int y = w.tensor("y", TensorType.FLOAT32, 1, 6, 6, 2);
    w.op(BuiltinOp.MIRROR_PAD, new OpOptions.MirrorPad(1), new int[] {x, p}, new int[] {y});
    w.outputs(y);
    List<UnsupportedOp> list = Exporter.check(TfliteModel.read(w.build(), "m"), ExportOptions.DEFAULT);
    assertThat(list).singleElement().satisfies(u -> {
      assertThat(u.op()).isEqualTo("MIRROR_PAD");
      assertThat(u.reason()).contains("SYMMETRIC");
    });
  }

  @Test
  void quantizedActivationsAreRefused() {
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, 1, 4);
    dev.crossalign.tflite.Quantization q =
        new dev.crossalign.tflite.Quantization(new float[0], new float[0], new float[] {0.1f}, new long[] {0}, 0);
    int a = w.tensor("q", TensorType.INT8, q, 1, 4);
    int b = w.tensor("dq", TensorType.FLOAT32, 1, 4);
    w.op(BuiltinOp.QUANTIZE, new OpOptions.None(), new int[] {x}, new int[] {a});
    w.op(BuiltinOp.DEQUANTIZE, new OpOptions.None(), new int[] {a}, new int[] {b});
    w.outputs(b);
    List<UnsupportedOp> list = Exporter.check(TfliteModel.read(w.build(), "m"), ExportOptions.DEFAULT);
    assertThat(list).extracting(UnsupportedOp::op).containsExactly("QUANTIZE", "DEQUANTIZE");
    assertThat(list).allSatisfy(u -> assertThat(u.reason()).contains("quantized (INT8) activation 'q'"));
  }

  @Test
  void serializedModelReadsBackAndRuns() {
    Export ex = Exporter.export(TfliteModel.read(convReshape(), "m"), ExportOptions.DEFAULT);
    OnnxModel back = OnnxModel.read(ex.model().toBytes());
    assertThat(back.nodes()).hasSameSizeAs(ex.model().nodes());
    assertThat(back.metadata()).isEqualTo(ex.model().metadata());
    try (OrtBackend ort = OrtBackend.open(back, OrtOptions.DEFAULT)) {
      Activations a = ort.run(Map.of("image", rnd(5, 1, 6, 6, 3).withLayout(Layout.NHWC)));
      assertThat(a.tensor("flat").shape()).containsExactly(1, 36);
    }
  }
}
