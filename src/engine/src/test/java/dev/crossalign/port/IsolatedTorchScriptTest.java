package dev.crossalign.port;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.crossalign.backend.Activations;
import dev.crossalign.backend.CapturedTensor;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.backend.ReferenceBackend;
import dev.crossalign.engine.InputGenerator;
import dev.crossalign.engine.Reference;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.testutil.RelL2;
import dev.crossalign.testutil.TestModels;
import dev.crossalign.tflite.Activation;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteModel;
import dev.crossalign.tflite.TfliteWriter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Isolated runs through the per-op TorchScript methods (the generated code, {@link ScriptedOps}) against the per-op
 * eager lowerings they replaced, which stay as this test's oracle: on real models, fed the real TFLite interpreter's
 * tensors, both paths produce the same tensors (names, order, producing op) and agree per tensor; each also stays
 * within the isolated bound of the interpreter. A plug-in op that lowers but has no code generation runs
 * through its eager lowering inside the TorchScript path, and the path names it.
 */
class IsolatedTorchScriptTest {
  /**
   * Per-tensor rel_l2 allowed between the two isolated paths. Over the models below they agree exactly (max 0, printed
   * per model): the same aten calls on the same inputs; the bound leaves room for code generation that computes an op
   * another faithful way.
   */
  static final double PATHS_AGREE = 1e-6;
  /** The bound for isolated tflite~torch. */
  static final double ISOLATED_BOUND = 1e-5;

  @ParameterizedTest
  @ValueSource(strings = {"face_detection_short_range.tflite", "face_detection_full_range_sparse.tflite",
      "hand_landmark_full.tflite", "hand_recrop.tflite", "object_detection_3d_camera.tflite",
      "pose_landmark_lite.tflite", "selfie_segmentation.tflite"})
  void perOpTorchScriptAgreesWithTheEagerLoweringsOnEveryTensor(String name) {
    TfliteModel model = TfliteModel.read(TestModels.require(name));
    Map<String, HostTensor> inputs = InputGenerator.inputs(model, 5, -1, 1, Map.of());
    Activations reference;
    Set<String> placeholders;
    try (ReferenceBackend tflite = Reference.capture(model, DeterminismConfig.DETERMINISTIC, 1)) {
      reference = tflite.run(inputs);
      placeholders = tflite.placeholderOutputs();
    }
    Activations scripted;
    Activations eager;
    try (PortBackend port = PortBackend.open(model, Device.CPU, DeterminismConfig.DETERMINISTIC)) {
      assertThat(port.isolatedPath()).as("no isolated run yet").isNull();
      assertThat(port.info()).doesNotContainKey("isolated_path");
      scripted = port.runIsolated(reference);
      assertThat(port.info()).containsEntry("isolated_path", "torchscript");
      Activations again = port.runIsolated(reference);
      assertThat(again.tensor(again.tensors().get(again.size() - 1).name()).data())
          .as("a second isolated run (methods compiled once) gives the same bytes")
          .isEqualTo(scripted.tensor(again.tensors().get(again.size() - 1).name()).data());
    }
    try (PortBackend oracle = PortBackend.openEager(model, Device.CPU, DeterminismConfig.DETERMINISTIC)) {
      eager = oracle.runIsolated(reference);
      assertThat(oracle.info()).containsEntry("isolated_path", "eager (requested)");
    }
    assertThat(names(scripted)).as("same tensors in the same order as the eager lowerings").isEqualTo(names(eager));
    assertThat(scripted.size()).isGreaterThan(20);
    double worstPaths = 0;
    double worstRef = 0;
    for (CapturedTensor t : scripted.tensors()) {
      CapturedTensor e = eager.get(t.name());
      assertThat(t.op()).as(t.name()).isEqualTo(e.op());
      double paths = RelL2.of(e.tensor(), t.tensor());
      assertThat(paths).as("rel_l2 between the isolated paths on '%s'", t.name()).isLessThanOrEqualTo(PATHS_AGREE);
      worstPaths = Math.max(worstPaths, paths);
      HostTensor ref = reference.tensor(t.name());
      if (ref != null && !placeholders.contains(t.name()) && ref.dtype().isFloating()) {
        double r = RelL2.of(ref, t.tensor());
        assertThat(r).as("isolated rel_l2 against the interpreter on '%s'", t.name()).isLessThanOrEqualTo(ISOLATED_BOUND);
        worstRef = Math.max(worstRef, r);
      }
    }
    System.out.printf(Locale.ROOT, "%s: %d tensors, max rel_l2 torchscript~eager %.3g, torchscript~tflite %.3g%n",
        name, scripted.size(), worstPaths, worstRef);
  }

  static final String CODE = "CrossalignTestCube";

  /** A user's plug-in that lowers a custom op (y = x^3) and writes no PyTorch code for it. */
  static final class CubePlugin implements OpLowering {
    @Override
    public Set<String> opNames() {
      return Set.of(CODE);
    }

    @Override
    public int rank() {
      return 100;
    }

    @Override
    public LoweredOp lower(LoweringContext ctx) {
      return in -> new PortValue[] {new PortValue(in[0].tensor().mul(in[0].tensor()).mul(in[0].tensor()),
          in[0].layout())};
    }
  }

  @Test
  void anOpWithALoweringButNoCodeGenerationRunsEagerInsideTheTorchScriptPathByName() {
    // x -> ADD(x, x) -> custom cube -> RELU6 -> y, rank 4 so that both conventions (NCHW methods, eager layouts) meet
    TfliteWriter w = new TfliteWriter();
    int[] shape = {1, 5, 4, 3};
    int xi = w.input("x", TensorType.FLOAT32, shape);
    int ai = w.tensor("doubled", TensorType.FLOAT32, shape);
    int ci = w.tensor("cube", TensorType.FLOAT32, shape);
    int yi = w.tensor("y", TensorType.FLOAT32, shape);
    w.op(BuiltinOp.ADD, new OpOptions.Arithmetic(11, Activation.NONE), new int[] {xi, xi}, new int[] {ai});
    w.custom(CODE, new int[] {ai}, new int[] {ci}, null);
    w.op(BuiltinOp.RELU6, new OpOptions.None(), new int[] {ci}, new int[] {yi});
    w.outputs(yi);
    TfliteModel model = TfliteModel.read(w.build(), "cube.tflite");
    // the interpreter cannot run the custom op: the reference is the closed form per tensor, in float32, and slightly
    // off the chained values (a reference's own error) so that each op visibly reads the reference's tensor
    SplittableRandom rnd = new SplittableRandom(11);
    float[] x = new float[60];
    float[] doubled = new float[60];
    float[] cube = new float[60];
    float[] y = new float[60];
    for (int i = 0; i < 60; i++) {
      x[i] = (float) (-2 + 4 * rnd.nextDouble());
      doubled[i] = 2 * x[i] + 0.01f;
      cube[i] = doubled[i] * doubled[i] * doubled[i] - 0.02f;
      y[i] = Math.min(Math.max(cube[i], 0f), 6f);
    }
    Activations reference = Activations.builder("closed form")
        .add("x", "INPUT", xi, HostTensor.ofFloats(shape, Layout.NHWC, x))
        .add("doubled", "ADD", ai, HostTensor.ofFloats(shape, Layout.NHWC, doubled))
        .add("cube", CODE, ci, HostTensor.ofFloats(shape, Layout.NHWC, cube))
        .add("y", "RELU6", yi, HostTensor.ofFloats(shape, Layout.NHWC, y))
        .output("y").build();
    OpRegistry ops = OpRegistry.load().with(new CubePlugin());
    try (PortBackend port = PortBackend.open(model, Device.CPU, DeterminismConfig.DETERMINISTIC, ops)) {
      assertThat(port.path().describe()).isEqualTo("eager (ops " + CODE + " without codegen)");
      Activations iso = port.runIsolated(reference);
      assertThat(port.isolatedPath().describe()).isEqualTo("torchscript (eager for ops " + CODE + " without codegen)");
      assertThat(names(iso)).containsExactly("doubled", "cube", "y");
      assertThat(iso.get("cube").op()).isEqualTo(CODE);
      float[] gotDoubled = RelL2.nhwc(iso.tensor("doubled")).toFloatArray();
      float[] gotCube = RelL2.nhwc(iso.tensor("cube")).toFloatArray();
      float[] gotY = RelL2.nhwc(iso.tensor("y")).toFloatArray();
      for (int i = 0; i < 60; i++) {
        assertThat(gotDoubled[i]).as("2x, exact").isEqualTo(2 * x[i]);
        float d = doubled[i];
        assertThat(gotCube[i]).as("cube of the reference's doubled, eager").isCloseTo(d * d * d, within(1e-5f));
        assertThat(gotY[i]).as("relu6 of the reference's cube, exact").isEqualTo(Math.min(Math.max(cube[i], 0f), 6f));
      }
    }
  }

  private static List<String> names(Activations a) {
    return a.tensors().stream().map(CapturedTensor::name).toList();
  }
}
