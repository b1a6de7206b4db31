package dev.crossalign.port;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.backend.Activations;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.backend.tflite.TfliteBackend;
import dev.crossalign.backend.tflite.TfliteOptions;
import dev.crossalign.engine.InputGenerator;
import dev.crossalign.engine.Reference;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.testutil.RelL2;
import dev.crossalign.testutil.TestModels;
import dev.crossalign.tflite.TfliteModel;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The torch backend's chained runs through the generated code compiled by TorchScript (whole graph, one native call),
 * against the real TFLite interpreter on real models, and its fall-back to the per-op eager path when an op has no
 * code generation.
 */
class TorchScriptPathTest {
  @ParameterizedTest
  @ValueSource(strings = {"face_detection_short_range.tflite", "hand_landmark_full.tflite"})
  void wholeGraphRunCapturesEveryTensorTheEagerPortDoesAndMatchesTheInterpreter(String name) {
    TfliteModel model = TfliteModel.read(TestModels.require(name));
    Map<String, HostTensor> inputs = InputGenerator.inputs(model, 3, -1, 1, Map.of());
    Activations reference;
    try (TfliteBackend tflite = Reference.open(model, TfliteOptions.defaults())) {
      reference = tflite.run(inputs);
    }
    try (PortBackend port = PortBackend.open(model, Device.CPU, DeterminismConfig.DETERMINISTIC);
        PortBackend eager = PortBackend.openEager(model, Device.CPU, DeterminismConfig.DETERMINISTIC)) {
      assertThat(port.path().describe()).isEqualTo("torchscript");
      assertThat(port.info()).containsEntry("path", "torchscript");
      assertThat(eager.path().kind()).isEqualTo(TorchPath.Kind.EAGER);
      Activations scripted = port.run(inputs);
      Activations oracle = eager.run(inputs);
      assertThat(scripted.tensors().stream().map(t -> t.name()).toList())
          .as("same tensors, same order as the eager port")
          .isEqualTo(oracle.tensors().stream().map(t -> t.name()).toList());
      assertThat(scripted.outputNames()).isEqualTo(oracle.outputNames());
      int compared = 0;
      for (var t : scripted.tensors()) {
        HostTensor want = reference.tensor(t.name());
        assertThat(want).as("interpreter has " + t.name()).isNotNull();
        assertThat(scripted.get(t.name()).op()).isEqualTo(oracle.get(t.name()).op());
        double rel = RelL2.of(want, t.tensor());
        assertThat(rel).as("rel_l2 of '%s' against the interpreter", t.name()).isLessThanOrEqualTo(1e-4);
        compared++;
      }
      assertThat(compared).isGreaterThan(80);
      Activations outputsOnly = port.run(inputs, false);
      assertThat(outputsOnly.size()).as("outputs only").isEqualTo(model.main().outputs().length);
      for (String o : outputsOnly.outputNames()) {
        assertThat(outputsOnly.tensor(o).data()).as(o).isEqualTo(scripted.tensor(o).data());
      }
      // isolated runs: each op's generated code as a TorchScript method of its own, fed the reference's tensors
      Activations isolated = port.runIsolated(reference);
      assertThat(port.info()).containsEntry("isolated_path", "torchscript");
      for (var t : isolated.tensors()) {
        assertThat(RelL2.of(reference.tensor(t.name()), t.tensor())).as("isolated " + t.name()).isLessThanOrEqualTo(1e-5);
      }
    }
  }

  @Test
  void aModelWithAnOpWithoutCodeGenerationRunsEagerAndSaysWhichOp() {
    // a custom op no family lowers (hence no code generation) beside an ADD: the ops after it would be refused only
    // because their inputs are missing and are not named as a cause
    dev.crossalign.tflite.TfliteWriter w = new dev.crossalign.tflite.TfliteWriter();
    int x = w.input("x", dev.crossalign.tflite.TensorType.FLOAT32, 1, 4, 4, 2);
    int c = w.tensor("c", dev.crossalign.tflite.TensorType.FLOAT32, 1, 4, 4, 2);
    int y = w.tensor("y", dev.crossalign.tflite.TensorType.FLOAT32, 1, 4, 4, 2);
    w.custom("NoSuchPortOp", new int[] {x}, new int[] {c}, new byte[0]);
    w.op(dev.crossalign.tflite.BuiltinOp.ADD, new dev.crossalign.tflite.OpOptions.Arithmetic(11,
        dev.crossalign.tflite.Activation.NONE), new int[] {x, x}, new int[] {y});
    w.outputs(c, y);
    TfliteModel model = w.buildModel();
    try (PortBackend port = PortBackend.open(model, Device.CPU, DeterminismConfig.DETERMINISTIC)) {
      assertThat(port.path().kind()).isEqualTo(TorchPath.Kind.EAGER);
      assertThat(port.info().get("path")).isEqualTo("eager (ops NoSuchPortOp without codegen)");
      Activations a = port.run(InputGenerator.inputs(model, 1, 0, 1, Map.of()));
      assertThat(a.tensor("y")).as("the eager port still runs the rest of the graph").isNotNull();
    }
  }

  @Test
  void faceLandmarkWithAttentionRunsWholeAsTorchScriptWithItsMediapipeOps() {
    TfliteModel model = TfliteModel.read(TestModels.require("face_landmark_with_attention.tflite"));
    try (PortBackend port = PortBackend.open(model, Device.CPU, DeterminismConfig.DETERMINISTIC)) {
      assertThat(port.info()).containsEntry("path", "torchscript");
      assertThat(port.unsupported()).isEmpty();
    }
  }

  @Test
  void selfieRunsWholeAsTorchScriptWithItsCustomOp() {
    TfliteModel model = TfliteModel.read(TestModels.require("selfie_segmentation.tflite"));
    try (PortBackend port = PortBackend.open(model, Device.CPU, DeterminismConfig.DETERMINISTIC)) {
      assertThat(port.info()).containsEntry("path", "torchscript");
      assertThat(port.unsupported()).isEmpty();
    }
  }
}
