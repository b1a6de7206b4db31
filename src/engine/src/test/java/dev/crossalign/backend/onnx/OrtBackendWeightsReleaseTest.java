package dev.crossalign.backend.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.crossalign.backend.Activations;
import dev.crossalign.backend.CapturedTensor;
import dev.crossalign.engine.InputGenerator;
import dev.crossalign.onnx.OnnxModel;
import dev.crossalign.onnx.OnnxNode;
import dev.crossalign.port.onnx.ExportOptions;
import dev.crossalign.port.onnx.Exporter;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.testutil.TestModels;
import dev.crossalign.tflite.TfliteModel;
import java.lang.ref.Reference;
import java.lang.ref.WeakReference;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * An open ONNX Runtime backend does not hold the model's weights on the heap a second time (issue 16: its session
 * holds them natively; pose_landmark_heavy's export is 52 MB of protobuf): it keeps the structure-only form, the model
 * it was opened on is collectable, and its runs are byte for byte those of a backend whose model stays reachable.
 */
class OrtBackendWeightsReleaseTest {
  private static final TfliteModel FACE = TfliteModel.read(TestModels.require("face_detection_short_range.tflite"));

  @Test
  void theModelOpenedOnIsLetGoAndTheRunsAreUnchanged() throws InterruptedException {
    Map<String, HostTensor> feeds = InputGenerator.inputs(FACE, 0, -1, 1, Map.of());
    OnnxModel kept = Exporter.export(FACE, ExportOptions.DEFAULT).model();
    OnnxModel given = Exporter.export(FACE, ExportOptions.DEFAULT).model();
    WeakReference<OnnxModel> opened = new WeakReference<>(given);
    try (OrtBackend released = OrtBackend.open(given, OrtOptions.DEFAULT);
        OrtBackend holding = OrtBackend.open(kept, OrtOptions.DEFAULT)) {
      given = null;
      for (int i = 0; i < 20 && opened.get() != null; i++) {
        System.gc();
        Thread.sleep(10);
      }
      assertThat(opened.get()).as("the backend still holds the model it was opened on").isNull();
      Activations a = released.run(feeds);
      Activations b = holding.run(feeds);
      assertThat(a.tensors()).hasSameSizeAs(b.tensors()).hasSizeGreaterThan(90);
      for (CapturedTensor t : b.tensors()) {
        HostTensor x = a.tensor(t.name());
        assertThat(x.shape()).isEqualTo(t.tensor().shape());
        assertThat(x.layout()).isEqualTo(t.tensor().layout());
        assertThat(x.data()).as(t.name()).isEqualTo(t.tensor().data());
      }
      assertThat(a.outputNames()).isEqualTo(b.outputNames());
      Reference.reachabilityFence(kept);
    }
  }

  @Test
  void theStructureOnlyFormKeepsTheGraphAndRefusesTheWeights() {
    OnnxModel full = Exporter.export(FACE, ExportOptions.DEFAULT).model();
    OnnxModel graph = full.structureOnly();
    assertThat(graph.inputs()).isEqualTo(full.inputs());
    assertThat(graph.outputs()).isEqualTo(full.outputs());
    assertThat(graph.nodes()).isEqualTo(full.nodes());
    assertThat(graph.initializerNames()).isEqualTo(full.initializerNames()).isNotEmpty();
    assertThat(graph.opsetImports()).isEqualTo(full.opsetImports());
    assertThat(graph.metadata()).isEqualTo(full.metadata());
    for (OnnxNode n : full.nodes()) {
      for (String o : n.outputs()) {
        assertThat(graph.layoutOf(o, 4)).isEqualTo(full.layoutOf(o, 4));
      }
    }
    String weight = full.initializerNames().get(0);
    assertThat(full.initializer(weight).numel()).isPositive();
    assertThatThrownBy(() -> graph.initializer(weight)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("structureOnly");
    assertThatThrownBy(graph::proto).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(graph::toBytes).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> graph.write(Path.of("/nonexistent/never-written.onnx")))
        .isInstanceOf(IllegalStateException.class);
  }
}
