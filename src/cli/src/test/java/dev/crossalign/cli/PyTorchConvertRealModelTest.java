package dev.crossalign.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.align.Metrics;
import dev.crossalign.align.Tolerance;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.port.PortBackend;
import dev.crossalign.port.OpRegistry;
import dev.crossalign.port.codegen.GeneratedModel;
import dev.crossalign.port.codegen.PyGenerator;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Npz;
import dev.crossalign.tflite.Subgraph;
import dev.crossalign.tflite.TensorInfo;
import dev.crossalign.tflite.TfliteModel;
import dev.crossalign.testutil.PortHarness;
import dev.crossalign.testutil.PythonTorch;
import dev.crossalign.testutil.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code convert --to pytorch} on every real model the port runs, checked outside the JVM: Debian's Python PyTorch
 * runs the generated model.py eagerly, torch.jit.script-ed, and the model.pt archive through torch.jit.load, on the
 * inputs the real TFLite interpreter ran; each output must be within rel_l2 1e-5 of TFLite's, except where
 * {@link OutputBound} says otherwise and checks why (a sigmoid judged through its logit; an output TFLite itself
 * computes further than 1e-5 from the float64 evaluation of the graph), every captured
 * intermediate within 1e-4 (chained fp32). Then the user's own last hop: torch.onnx.export of the generated module
 * in that Python, onnx.checker full check, and {@code compare MODEL.tflite that.onnx} must say ALIGNED.
 */
class PyTorchConvertRealModelTest {
  static final double INTERMEDIATE_REL_L2 = OutputBound.CHAINED_REL_L2;

  static Stream<String> models() {
    String only = System.getProperty("crossalign.pytorchModels");
    if (only != null && !only.isBlank()) {
      return Stream.of(only.split(","));
    }
    return Stream.of(
        "face_detection_short_range.tflite",
        "face_detection_full_range.tflite",
        "face_detection_full_range_sparse.tflite",
        "face_landmark.tflite",
        "face_landmark_with_attention.tflite",
        "hand_landmark_full.tflite",
        "hand_landmark_lite.tflite",
        "hand_recrop.tflite",
        "object_detection_3d_camera.tflite",
        "palm_detection_lite.tflite",
        "pose_landmark_lite.tflite",
        "selfie_segmentation.tflite",
        "selfie_segmentation_landscape.tflite");
  }

  @ParameterizedTest
  @MethodSource("models")
  void generatedModuleReproducesTfliteInDebianPyTorch(String file, @TempDir Path tmp) throws Exception {
    Path modelPath = TestModels.require(file);
    PythonTorch.require();
    Path dir = tmp.resolve("pkg");
    CliTestSupport.Run conv = CliTestSupport.run("convert", modelPath.toString(), "--to", "pytorch", "-o", dir.toString());
    assertThat(conv.status()).as(conv.err()).isZero();
    for (String f : new String[] {"model.py", "weights.pth", "model.pt", "USAGE.md"}) {
      assertThat(dir.resolve(f)).isRegularFile();
    }

    TfliteModel model = TfliteModel.read(modelPath);
    Subgraph g = model.main();
    GeneratedModel gen = PyGenerator.generate(model, OpRegistry.load(), "Model", PyGenerator.Boundary.NHWC);
    Map<Integer, HostTensor> inputs = PortHarness.randomInputs(model, 7, -1, 1);
    Map<Integer, HostTensor> ref = PortHarness.reference(model.bytes(), inputs); // selfie: its custom op on XNNPACK
    Map<String, HostTensor> npzInputs = new LinkedHashMap<>();
    for (int i = 0; i < g.inputs().length; i++) {
      npzInputs.put(gen.inputs().get(i).pythonName(), inputs.get(g.inputs()[i]));
    }
    Path in = tmp.resolve("inputs.npz");
    Npz.write(in, npzInputs);
    Path out = Files.createDirectories(tmp.resolve("out"));
    PythonTorch.Result py = PythonTorch.script("run_generated.py", 900, dir.toString(), in.toString(), out.toString(),
        "--onnx", "13");
    assertThat(py.status()).as(py.output()).isZero();

    // the JVM's per-op port on the same inputs: what fp32 chained through this graph reaches on another kernel order
    double[] portRel = new double[g.outputs().length];
    Map<String, HostTensor> named = new LinkedHashMap<>();
    inputs.forEach((idx, h) -> named.put(g.tensor(idx).name(), h));
    try (PortBackend port = PortBackend.open(model, Device.CPU, DeterminismConfig.DETERMINISTIC)) {
      var acts = port.run(named, false);
      for (int k = 0; k < g.outputs().length; k++) {
        HostTensor want = ref.get(g.outputs()[k]);
        HostTensor have = acts.tensor(g.tensor(g.outputs()[k]).name());
        if (have.layout() == dev.crossalign.tensor.Layout.NCHW) {
          have = have.permute(new int[] {0, 2, 3, 1}, dev.crossalign.tensor.Layout.NHWC);
        }
        portRel[k] = Metrics.of(want, have.withLayout(want.layout()), Tolerance.DEFAULT).relL2();
      }
    }
    Map<String, HostTensor> eager = Npz.read(out.resolve("eager.npz"));
    // each output within 1e-5 of TFLite's, or judged as OutputBound says (a sigmoid through its logit; an output
    // TFLite itself computes further than 1e-5 from the float64 evaluation of the same graph, against that evaluation)
    Map<String, HostTensor> truth = Npz.read(out.resolve("truth.npz"));
    double[] bounds = new double[g.outputs().length];
    StringBuilder notes = new StringBuilder();
    double worstTfliteVsTruth = 0;
    double worstEagerVsTruth = 0;
    for (int k = 0; k < g.outputs().length; k++) {
      OutputBound ob = OutputBound.of(g, k, ref, eager, truth);
      bounds[k] = ob.bound();
      notes.append(ob.note());
      worstTfliteVsTruth = Math.max(worstTfliteVsTruth, ob.tfliteVsFloat64());
      worstEagerVsTruth = Math.max(worstEagerVsTruth, ob.eagerVsFloat64());
    }
    double[] worst = new double[3];
    String[] runs = {"eager", "scripted", "archive"};
    for (int r = 0; r < runs.length; r++) {
      Map<String, HostTensor> got = r == 0 ? eager : Npz.read(out.resolve(runs[r] + ".npz"));
      for (int k = 0; k < g.outputs().length; k++) {
        HostTensor want = ref.get(g.outputs()[k]);
        HostTensor have = got.get("out:" + k);
        assertThat(have).as(runs[r] + " output " + k).isNotNull();
        assertThat(have.shape()).as(runs[r] + " output " + k + " shape").containsExactly(want.shape());
        double rel = Metrics.of(want, have.withLayout(want.layout()), Tolerance.DEFAULT).relL2();
        assertThat(rel).as(runs[r] + " output '" + g.tensor(g.outputs()[k]).name() + "' rel_l2 (port: " + portRel[k]
            + ";" + notes + ")").isLessThanOrEqualTo(bounds[k]);
        worst[r] = Math.max(worst[r], rel);
      }
    }
    double worstIntermediate = 0;
    int compared = 0;
    for (Map.Entry<Integer, HostTensor> e : ref.entrySet()) {
      TensorInfo t = g.tensor(e.getKey());
      HostTensor have = eager.get(t.name());
      if (have == null || !e.getValue().dtype().isFloating()) {
        continue;
      }
      double rel = Metrics.of(e.getValue(), have.withLayout(e.getValue().layout()), Tolerance.DEFAULT).relL2();
      assertThat(rel).as("captured '" + t.name() + "' rel_l2").isLessThanOrEqualTo(INTERMEDIATE_REL_L2);
      worstIntermediate = Math.max(worstIntermediate, rel);
      compared++;
    }
    assertThat(compared).as("captured intermediates compared").isGreaterThan(g.operators().size() / 3);

    assertThat(py.output()).contains("onnx ok: opset 13");
    CliTestSupport.Run cmp = CliTestSupport.run("compare", modelPath.toString(), out.resolve("model.onnx").toString());
    assertThat(cmp.status()).as(cmp.out() + cmp.err()).isZero();
    String verdict = cmp.out().lines().filter(l -> l.startsWith("ALIGNED")).findFirst().orElse("");
    assertThat(verdict).as(cmp.out()).startsWith("ALIGNED");
    double portWorst = java.util.Arrays.stream(portRel).max().orElse(0);
    System.out.printf(Locale.ROOT,
        "PYTORCH-TABLE | %s | %.2e | %.2e | %.2e | %.2e | %.2e (%d tensors) | %.2e | %.2e | %s |%s%n", file,
        worst[0], worst[1], worst[2], portWorst, worstIntermediate, compared, worstTfliteVsTruth, worstEagerVsTruth,
        verdict.replaceAll("\\(.*?\\)", "").replaceAll("\\(atol.*", "").strip(), notes);
  }
}
