package dev.crossalign.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.crossalign.align.Comparison;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.BackendKind;
import dev.crossalign.backend.NativeLoads;
import dev.crossalign.backend.tflite.TfliteBackend;
import dev.crossalign.backend.tflite.TfliteOptions;
import dev.crossalign.port.onnx.Export;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.testutil.TestModels;
import dev.crossalign.tflite.TfliteModel;
import java.lang.ref.Reference;
import java.lang.ref.WeakReference;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The ONNX export (its protobuf holds every weight: pose_landmark_heavy 52 MB of heap) is let go as soon as nothing
 * needs it (issue 16): the preparation hands it over once and keeps no reference, and the ONNX leg drops it once the
 * chained run's session holds the weights. Each test fails if the released object stays reachable.
 */
class ExportReleaseTest {
  private static final Path FACE = TestModels.require("face_detection_short_range.tflite");

  private static ValidationRequest request(ValidationRequest.RunMode mode) {
    ValidationRequest d = ValidationRequest.defaults(FACE);
    return new ValidationRequest(FACE, List.of(BackendKind.TFLITE, BackendKind.ONNXRUNTIME), mode, d.run(), null);
  }

  @Test
  void thePreparationHandsTheExportOverOnceAndKeepsNoReference() throws InterruptedException {
    ValidationRequest req = request(ValidationRequest.RunMode.BOTH);
    TfliteModel model = TfliteModel.read(FACE);
    try (Preparation prep = Preparation.start(req, model, NativeLoads.start(req.backends()))) {
      OnnxLeg.Exported exported = prep.export();
      assertThat(exported.export()).isNotNull();
      WeakReference<Export> export = new WeakReference<>(exported.export());
      exported = null;
      collect(export);
      assertThat(export.get()).as("the preparation still holds the export").isNull();
      assertThatThrownBy(prep::export).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("already handed over");
    }
  }

  /** An ONNX leg of {@code mode} prepared on face's export, and a weak reference to that export. */
  private record PreparedLeg(OnnxLeg leg, WeakReference<Export> export) {
    static PreparedLeg of(ValidationRequest.RunMode mode) {
      ValidationRequest req = request(mode);
      TfliteModel model = TfliteModel.read(FACE);
      Map<String, HostTensor> inputs = InputGenerator.inputs(model, 0, -1, 1, Map.of());
      Activations ref;
      try (TfliteBackend tflite = TfliteBackend.open(model, TfliteOptions.defaults())) {
        ref = tflite.run(inputs);
      }
      LegContext ctx = new LegContext(req, model, inputs, ref, null,
          new WorstPair(ref.backend(), Set.of(), Set.of(), WeightTensors.of(model), mode.chained()), null);
      OnnxLeg.Exported exported = OnnxLeg.exportStep(model);
      WeakReference<Export> export = new WeakReference<>(exported.export());
      return new PreparedLeg(OnnxLeg.prepare(ctx, exported).leg(), export);
    }
  }

  @Test
  void theOnnxLegLetsTheExportGoOnceItsChainedSessionIsMade() throws InterruptedException {
    PreparedLeg p = PreparedLeg.of(ValidationRequest.RunMode.BOTH);
    OnnxLeg leg = p.leg();
    collect(p.export());
    assertThat(p.export().get()).as("before the chained run the leg needs its export").isNotNull();

    LegResult chained = leg.chained(false);
    collect(p.export());
    assertThat(p.export().get()).as("the leg still holds the export after its chained session").isNull();
    // and the leg still ran: every tensor of the chained run compared, then the isolated run (its own export)
    assertThat(chained.comparisons().get(Slot.ORT_CHAINED)).isNotEmpty()
        .allMatch(c -> c.status() == Comparison.Status.COMPARED);
    assertThat(leg.isolated(false).comparisons()).isNotEmpty();
    Reference.reachabilityFence(leg);
  }

  @Test
  void anIsolatedOnlyValidationKeepsNoChainedExport() throws InterruptedException {
    PreparedLeg p = PreparedLeg.of(ValidationRequest.RunMode.ISOLATED);
    OnnxLeg leg = p.leg();
    collect(p.export());
    assertThat(p.export().get()).as("no chained session will read the export").isNull();
    assertThat(leg.isolated(false).comparisons()).isNotEmpty();
    Reference.reachabilityFence(leg);
  }

  private static void collect(WeakReference<?> ref) throws InterruptedException {
    for (int i = 0; i < 20 && ref.get() != null; i++) {
      System.gc();
      Thread.sleep(10);
    }
  }
}
