package dev.crossalign.engine.truth;

import dev.crossalign.align.TruthTable;
import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.align.Diagnosis;
import dev.crossalign.align.Hypothesis;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.backend.tflite.TfliteBackend;
import dev.crossalign.backend.tflite.TfliteOptions;
import dev.crossalign.engine.Reference;
import dev.crossalign.port.PortBackend;
import dev.crossalign.tensor.Half;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.Activation;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.MagnitudeForm;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.Padding;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteModel;
import dev.crossalign.tflite.TfliteWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.BiConsumer;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Deliberately broken ports (issue 13's must-show): each case is a correct tiny model A (ADD of a constant, then the
 * op under test) and a broken model B that computes the same tensor names with a classic porting mistake (a
 * symmetric pad, reversed input channels, another resize coordinate mode, fp16-rounded weights, an average pool that
 * counts pads, HardSwish through ONNX HardSigmoid's alpha 0.2). B runs in the real TFLite interpreter, so the broken candidate comes from an implementation
 * independent of the diagnosis' own float64 recomputation. Under the derived bounds the correct backends (TFLite,
 * the float32 port) pass, B is MISALIGNED at the op's tensor (the ADD before it passes), and the tested hypothesis for
 * the mistake ranks first and brings the error within the bound.
 */
class BrokenPortDiagnosisTest {
  private static final int H = 8;
  private static final int W = 8;

  /** Builds the op under test after "pre" (ADD of x and a constant): {@code broken} picks the mistake. */
  private record Case(String name, int channels, BiConsumer<Build, Boolean> op, String expected) {
    @Override
    public String toString() {
      return name;
    }
  }

  /** The writer and the "pre" tensor the op reads. */
  private record Build(TfliteWriter wr, int pre, int c) {}

  static Stream<Arguments> cases() {
    return Stream.of(
        new Case("wrong pad", 4, BrokenPortDiagnosisTest::conv3x3s2Pad, "symmetric SAME padding"),
        new Case("swapped channel order", 3, BrokenPortDiagnosisTest::convBgr, "reversed input channel order"),
        new Case("wrong resize mode", 2, BrokenPortDiagnosisTest::resize, "resize coordinate mode align-corners"),
        new Case("fp16-rounded weights", 4, BrokenPortDiagnosisTest::convFp16, "fp16-rounded weights"),
        new Case("avg-pool counting pads", 3, BrokenPortDiagnosisTest::avgPoolPads, "average pool counting pads"),
        new Case("HardSwish variant", 3, BrokenPortDiagnosisTest::hardSwish,
            "HardSwish through ONNX HardSigmoid defaults"))
        .map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void brokenPortIsMisalignedAtItsTensorWithTheRightDiagnosisFirst(Case k) {
    TfliteModel good = model(k, false);
    TfliteModel broken = model(k, true);
    Map<String, HostTensor> inputs = Map.of("x", random(1, -1, 1, 1, H, W, k.channels()));
    TruthLab.Result r = run(good, broken, inputs);

    TruthTable.Auto auto = r.auto();
    assertThat(auto.aligned()).isFalse();
    assertThat(auto.firstFailure().tensor()).isEqualTo("y");
    assertThat(auto.failures()).allSatisfy(f -> {
      assertThat(f.backend()).isEqualTo("broken");
      assertThat(f.tensor()).isEqualTo("y");
      assertThat(f.factor()).isGreaterThan(10);
    });
    // the op before the mistake and every correct backend are within their derived bounds
    assertThat(r.rows()).filteredOn(row -> row.tensor().equals("pre")).singleElement()
        .satisfies(row -> assertThat(row.pass()).isTrue());
    TruthTable.Row y = r.rows().stream().filter(row -> row.tensor().equals("y")).findFirst().orElseThrow();
    assertThat(y.errors()).filteredOn(e -> !e.backend().equals("broken"))
        .extracting(TruthTable.BackendError::backend).containsExactly("tflite", "torch");
    assertThat(y.errors()).filteredOn(e -> !e.backend().equals("broken"))
        .allSatisfy(e -> assertThat(e.boundFactor()).as(e.backend()).isLessThanOrEqualTo(1));

    Diagnosis d = r.diagnoses().stream().filter(x -> x.tensor().equals("y")).findFirst().orElseThrow();
    Hypothesis first = d.hypotheses().get(0);
    assertThat(first.name()).as(d.toString()).isEqualTo(k.expected());
    assertThat(first.explains()).isTrue();
    assertThat(d.diagnosis()).isEqualTo(first);
    assertThat(first.errorAfter()).isLessThan(first.errorBefore() / 1000);
    // no other hypothesis explains it
    assertThat(d.hypotheses().subList(1, d.hypotheses().size())).allSatisfy(h -> assertThat(h.explains())
        .as(h.toString()).isFalse());
  }

  /** The truth lab's result of the case called {@code name} (for the views' tests). */
  static TruthLab.Result result(String name) {
    Case k = byName(name);
    return run(model(k, false), model(k, true), Map.of("x", random(1, -1, 1, 1, H, W, k.channels())));
  }

  /** The correct model of the case called {@code name}. */
  static TfliteModel goodModel(String name) {
    return model(byName(name), false);
  }

  private static Case byName(String name) {
    return cases().map(a -> (Case) a.get()[0]).filter(c -> c.name().equals(name)).findFirst().orElseThrow();
  }

  /** TFLite on A (reference and candidate), the float64 truth and magnitudes, the float32 port, TFLite on B. */
  static TruthLab.Result run(TfliteModel good, TfliteModel broken, Map<String, HostTensor> inputs) {
    Activations reference;
    try (TfliteBackend t = Reference.open(good, TfliteOptions.defaults())) {
      reference = t.run(inputs);
    }
    Activations bad;
    try (TfliteBackend t = Reference.open(broken, TfliteOptions.defaults())) {
      bad = t.run(inputs);
    }
    Activations truth;
    Activations magnitude;
    Activations port;
    try (PortBackend p = PortBackend.openFloat64(good, DeterminismConfig.DETERMINISTIC)) {
      truth = p.runIsolated(reference);
    }
    try (PortBackend p = PortBackend.openFloat64(MagnitudeForm.of(good), DeterminismConfig.DETERMINISTIC)) {
      magnitude = p.runIsolated(TruthLab.absolute(reference));
    }
    try (PortBackend p = PortBackend.open(good, Device.CPU, DeterminismConfig.DETERMINISTIC)) {
      port = p.runIsolated(reference);
    }
    Map<String, Activations> candidates = new LinkedHashMap<>();
    candidates.put("tflite", reference);
    candidates.put("torch", port);
    candidates.put("broken", bad);
    return TruthLab.measure(good, reference, truth, magnitude, candidates, new ArrayList<>());
  }

  private static TfliteModel model(Case k, boolean broken) {
    TfliteWriter wr = new TfliteWriter();
    int x = wr.input("x", TensorType.FLOAT32, 1, H, W, k.channels());
    int c = wr.constant("c", random(2, -0.5, 0.5, k.channels()));
    int pre = wr.tensor("pre", TensorType.FLOAT32, 1, H, W, k.channels());
    wr.op(BuiltinOp.ADD, new OpOptions.Arithmetic(11, Activation.NONE), new int[] {x, c}, new int[] {pre});
    k.op().accept(new Build(wr, pre, k.channels()), broken);
    return TfliteModel.read(wr.build(), k.name() + (broken ? " (broken)" : ""));
  }

  /** 3x3 stride-2 SAME conv on 8x8 (TF pads 0 before, 1 after); broken: PAD 1 on every side, then VALID. */
  private static void conv3x3s2Pad(Build b, boolean broken) {
    int o = 5;
    int w = b.wr().constant("w", random(3, -1, 1, o, 3, 3, b.c()));
    int bias = b.wr().constant("b", random(4, -1, 1, o));
    int y = b.wr().tensor("y", TensorType.FLOAT32, 1, 4, 4, o);
    int in = b.pre();
    Padding p = Padding.SAME;
    if (broken) {
      int pads = b.wr().constant("pads", HostTensor.ofInts(new int[] {4, 2}, Layout.ANY,
          new int[] {0, 0, 1, 1, 1, 1, 0, 0}));
      in = b.wr().tensor("padded", TensorType.FLOAT32, 1, H + 2, W + 2, b.c());
      b.wr().op(BuiltinOp.PAD, new OpOptions.None(), new int[] {b.pre(), pads}, new int[] {in});
      p = Padding.VALID;
    }
    b.wr().op(BuiltinOp.CONV_2D, new OpOptions.Conv2D(p, 2, 2, Activation.NONE, 1, 1), new int[] {in, w, bias},
        new int[] {y});
    b.wr().outputs(y);
  }

  /** 3x3 SAME conv; broken: the filter's input channels reversed (the model fed BGR where it expects RGB). */
  private static void convBgr(Build b, boolean broken) {
    int o = 6;
    HostTensor wv = random(5, -1, 1, o, 3, 3, b.c());
    if (broken) {
      float[] f = wv.toFloatArray();
      float[] r = new float[f.length];
      for (int i = 0; i < f.length; i++) {
        int ic = i % b.c();
        r[i] = f[i - ic + (b.c() - 1 - ic)];
      }
      wv = HostTensor.ofFloats(wv.shape(), Layout.ANY, r);
    }
    conv(b, wv, random(6, -1, 1, o), o);
  }

  /** 3x3 SAME conv with float32 weights; broken: the same weights rounded to float16. */
  private static void convFp16(Build b, boolean broken) {
    int o = 8;
    HostTensor wv = random(7, -1, 1, o, 3, 3, b.c());
    HostTensor bv = random(8, -1, 1, o);
    if (broken) {
      wv = fp16(wv);
      bv = fp16(bv);
    }
    conv(b, wv, bv, o);
  }

  private static void conv(Build b, HostTensor wv, HostTensor bv, int o) {
    int w = b.wr().constant("w", wv);
    int bias = b.wr().constant("b", bv);
    int y = b.wr().tensor("y", TensorType.FLOAT32, 1, H, W, o);
    b.wr().op(BuiltinOp.CONV_2D, new OpOptions.Conv2D(Padding.SAME, 1, 1, Activation.NONE, 1, 1),
        new int[] {b.pre(), w, bias}, new int[] {y});
    b.wr().outputs(y);
  }

  /** 8x8 -> 13x11 bilinear with half-pixel centers; broken: align_corners. */
  private static void resize(Build b, boolean broken) {
    int size = b.wr().constant("size", HostTensor.ofInts(new int[] {2}, Layout.ANY, new int[] {13, 11}));
    int y = b.wr().tensor("y", TensorType.FLOAT32, 1, 13, 11, b.c());
    b.wr().op(BuiltinOp.RESIZE_BILINEAR, new OpOptions.ResizeBilinear(broken, !broken), new int[] {b.pre(), size},
        new int[] {y});
    b.wr().outputs(y);
  }

  /** 3x3 stride-1 SAME average pool; broken: PAD with zeros, then VALID (the pads counted in every border window). */
  private static void avgPoolPads(Build b, boolean broken) {
    int y = b.wr().tensor("y", TensorType.FLOAT32, 1, H, W, b.c());
    int in = b.pre();
    Padding p = Padding.SAME;
    if (broken) {
      int pads = b.wr().constant("pads", HostTensor.ofInts(new int[] {4, 2}, Layout.ANY,
          new int[] {0, 0, 1, 1, 1, 1, 0, 0}));
      in = b.wr().tensor("padded", TensorType.FLOAT32, 1, H + 2, W + 2, b.c());
      b.wr().op(BuiltinOp.PAD, new OpOptions.None(), new int[] {b.pre(), pads}, new int[] {in});
      p = Padding.VALID;
    }
    b.wr().op(BuiltinOp.AVERAGE_POOL_2D, new OpOptions.Pool2D(p, 1, 1, 3, 3, Activation.NONE), new int[] {in},
        new int[] {y});
    b.wr().outputs(y);
  }

  /** HARD_SWISH; broken: x * clamp(0.2 x + 0.5, 0, 1) in five TFLite ops (ONNX HardSigmoid's default alpha). */
  private static void hardSwish(Build b, boolean broken) {
    TfliteWriter wr = b.wr();
    int y = wr.tensor("y", TensorType.FLOAT32, 1, H, W, b.c());
    if (!broken) {
      wr.op(BuiltinOp.HARD_SWISH, new OpOptions.None(), new int[] {b.pre()}, new int[] {y});
    } else {
      int[] s = {1, H, W, b.c()};
      int t1 = wr.tensor("t1", TensorType.FLOAT32, s);
      int t2 = wr.tensor("t2", TensorType.FLOAT32, s);
      int t3 = wr.tensor("t3", TensorType.FLOAT32, s);
      int t4 = wr.tensor("t4", TensorType.FLOAT32, s);
      wr.op(BuiltinOp.MUL, new OpOptions.Arithmetic(21, Activation.NONE), new int[] {b.pre(), scalar(wr, "a", 0.2f)},
          new int[] {t1});
      wr.op(BuiltinOp.ADD, new OpOptions.Arithmetic(11, Activation.NONE), new int[] {t1, scalar(wr, "h", 0.5f)},
          new int[] {t2});
      wr.op(BuiltinOp.MAXIMUM, new OpOptions.None(), new int[] {t2, scalar(wr, "zero", 0f)}, new int[] {t3});
      wr.op(BuiltinOp.MINIMUM, new OpOptions.None(), new int[] {t3, scalar(wr, "one", 1f)}, new int[] {t4});
      wr.op(BuiltinOp.MUL, new OpOptions.Arithmetic(21, Activation.NONE), new int[] {b.pre(), t4}, new int[] {y});
    }
    wr.outputs(y);
  }

  private static int scalar(TfliteWriter wr, String name, float v) {
    return wr.constant(name, HostTensor.ofFloats(new int[] {1}, Layout.ANY, new float[] {v}));
  }

  static HostTensor random(long seed, double lo, double hi, int... shape) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] v = new float[(int) HostTensor.numel(shape)];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (lo + (hi - lo) * r.nextDouble());
    }
    return HostTensor.ofFloats(shape, Layout.ANY, v);
  }

  private static HostTensor fp16(HostTensor t) {
    float[] f = t.toFloatArray();
    for (int i = 0; i < f.length; i++) {
      f[i] = Half.toFloat(Half.fromFloat(f[i]));
    }
    return HostTensor.ofFloats(t.shape(), Layout.ANY, f);
  }

  static List<String> names(List<Hypothesis> hs) {
    return hs.stream().map(Hypothesis::name).toList();
  }
}
