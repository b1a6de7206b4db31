package dev.crossalign.onnx.export;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.testutil.TestModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Published MediaPipe models: export, run in ORT, compare every mapped tensor with the TFLite interpreter. */
class RealModelExportTest {
  @ParameterizedTest
  @ValueSource(strings = {
      "face_detection_short_range.tflite",
      "face_detection_full_range.tflite",
      "face_detection_full_range_sparse.tflite",
      "hand_landmark_lite.tflite",
      "pose_landmark_lite.tflite"})
  void exportMatchesInterpreter(String file) throws IOException {
    Path p = TestModels.require(file);
    byte[] bytes = Files.readAllBytes(p);
    ExportHarness.Result r = ExportHarness.run(bytes, 7, -1, 1);
    Map<String, Integer> ops = new TreeMap<>();
    r.export().model().nodes().forEach(n -> ops.merge(n.opType(), 1, Integer::sum));
    ExportHarness.Diff worst = r.worst();
    double worstOutRel = r.outputs().stream().mapToDouble(ExportHarness.Diff::relL2).max().orElse(-1);
    ExportHarness.Diff worstRel = r.diffs().stream().max(Comparator.comparingDouble(ExportHarness.Diff::relL2))
        .orElseThrow();
    System.out.printf("%s: %d tensors compared, outputs %d, worst output rel_l2 %.3g, worst max_abs %.3g (%s), "
        + "worst rel_l2 %.3g (%s); ONNX ops %s%n", file, r.diffs().size(), r.outputs().size(), worstOutRel,
        worst.maxAbs(), worst.name(), worstRel.relL2(), worstRel.name(), ops);
    for (ExportHarness.Diff d : r.outputs()) {
      System.out.printf("  output %s max_abs %.3g rel_l2 %.3g%n", d.name(), d.maxAbs(), d.relL2());
    }
    assertThat(r.outputs()).isNotEmpty();
    for (ExportHarness.Diff d : r.outputs()) {
      assertThat(d.relL2()).as("rel_l2 of output %s", d.name()).isLessThanOrEqualTo(1e-5);
    }
    for (ExportHarness.Diff d : r.diffs()) {
      assertThat(d.relL2()).as("rel_l2 of intermediate %s", d.name()).isLessThanOrEqualTo(1e-5);
    }
  }
}
