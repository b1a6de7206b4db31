package dev.crossalign.port;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.backend.Activations;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.backend.ReferenceBackend;
import dev.crossalign.engine.InputGenerator;
import dev.crossalign.engine.Reference;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.testutil.TestModels;
import dev.crossalign.tflite.TfliteModel;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.Activation;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.Padding;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteWriter;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * On the TorchScript path the eager port's weights are made only when an eager lowering runs (issue 16): a chained
 * and an isolated run through the generated code leave them unmade; the per-op profile (eager) makes them all, the
 * same bytes the eager port holds from the start, and its outputs equal the eager port's bit for bit. The oracle for
 * "all the weights" is the eager port itself ({@link PortBackend#openEager}), which prepares everything when opened.
 */
class DeferredEagerWeightsTest {
  @Test
  void theTorchScriptPathMakesTheEagerWeightsOnlyWhenAnEagerLoweringRuns() {
    TfliteModel model = TfliteModel.read(TestModels.require(TestModels.SHORT_RANGE));
    Map<String, HostTensor> inputs = InputGenerator.inputs(model, 5, -1, 1, Map.of());
    Activations reference;
    try (ReferenceBackend tflite = Reference.capture(model, DeterminismConfig.DETERMINISTIC, 1)) {
      reference = tflite.run(inputs);
    }
    long all;
    Activations eagerAll;
    try (PortBackend eager = PortBackend.openEager(model, Device.CPU, DeterminismConfig.DETERMINISTIC)) {
      all = eager.eagerPreparedBytes();
      eagerAll = eager.run(inputs);
    }
    // face_detection_short_range's float32 weights are ~0.4 MB, held twice (as read and as lowered)
    assertThat(all).isGreaterThan(400_000);
    try (PortBackend port = PortBackend.open(model, Device.CPU, DeterminismConfig.DETERMINISTIC)) {
      assertThat(port.path().kind()).isEqualTo(TorchPath.Kind.TORCHSCRIPT);
      assertThat(port.unsupported()).isEmpty();
      port.run(inputs);
      port.runIsolated(reference);
      assertThat(port.info()).containsEntry("isolated_path", "torchscript");
      long held = port.eagerPreparedBytes();
      assertThat(held).as("eager bytes held after TorchScript runs, of %d", all).isLessThan(all / 20);
      // an eager run of the deferred graph makes each weight as its op first runs: the eager port's bits
      Activations lazily = port.runEagerGraph(inputs);
      assertThat(lazily.size()).isEqualTo(eagerAll.size()).isGreaterThan(50);
      for (var t : eagerAll.tensors()) {
        assertThat(lazily.tensor(t.name()).data()).as(t.name()).isEqualTo(t.tensor().data());
      }
      assertThat(port.eagerPreparedBytes()).isGreaterThan(held).isLessThanOrEqualTo(all);
      port.profile(inputs, 1); // the eager profile makes whatever is left before it times
      assertThat(port.eagerPreparedBytes()).as("after the eager profile").isEqualTo(all);
    }
  }

  /**
   * Deferring the weights changes no judgement: the TorchScript-path port (weights deferred) reports the same
   * unsupported ops, with the same reasons, as the eager port on models with a custom op (selfie_segmentation),
   * sparse weights (DENSIFY folded at once) and attention, and on a conv whose filter is computed at run time and a
   * depthwise conv with a constant filter and a run-time bias (asked without making the filter).
   */
  @ParameterizedTest
  @ValueSource(strings = {"selfie_segmentation.tflite", "face_detection_full_range_sparse.tflite",
      "face_landmark_with_attention.tflite", "runtime-conv-filter", "runtime-depthwise-bias"})
  void deferredWeightsJudgeEveryOpAsTheEagerPortDoes(String name) {
    TfliteModel model = name.endsWith(".tflite") ? TfliteModel.read(TestModels.require(name)) : built(name);
    try (PortBackend eager = PortBackend.openEager(model, Device.CPU, DeterminismConfig.DETERMINISTIC);
        PortBackend deferred = PortBackend.open(model, Device.CPU, DeterminismConfig.DETERMINISTIC)) {
      assertThat(deferred.unsupported()).isEqualTo(eager.unsupported());
      if (!name.endsWith(".tflite")) {
        assertThat(deferred.unsupported()).singleElement()
            .satisfies(u -> assertThat(u.reason()).contains("computed at run time"));
      }
    }
  }

  private static TfliteModel built(String name) {
    TfliteWriter wr = new TfliteWriter();
    int x = wr.input("x", TensorType.FLOAT32, 1, 4, 4, 2);
    int y = wr.tensor("y", TensorType.FLOAT32, 1, 4, 4, 2);
    if (name.equals("runtime-conv-filter")) {
      int f = wr.input("f", TensorType.FLOAT32, 2, 1, 1, 2);
      wr.op(BuiltinOp.CONV_2D, new OpOptions.Conv2D(Padding.SAME, 1, 1, Activation.NONE, 1, 1), new int[] {x, f, -1},
          new int[] {y});
    } else {
      int f = wr.constant("f", HostTensor.ofFloats(new int[] {1, 3, 3, 2}, Layout.ANY, new float[18]));
      int b = wr.input("b", TensorType.FLOAT32, 2);
      wr.op(BuiltinOp.DEPTHWISE_CONV_2D, new OpOptions.DepthwiseConv2D(Padding.SAME, 1, 1, 1, Activation.NONE, 1, 1),
          new int[] {x, f, b}, new int[] {y});
    }
    wr.outputs(y);
    return TfliteModel.read(wr.build(), name);
  }
}
