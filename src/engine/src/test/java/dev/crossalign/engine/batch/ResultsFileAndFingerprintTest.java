package dev.crossalign.engine.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.crossalign.CrossalignException;
import dev.crossalign.testutil.TestModels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** batch appends only to its own results files, never through a link; its model cache is keyed by content. */
class ResultsFileAndFingerprintTest {
  @TempDir Path dir;

  static final String RESULT_LINE = "{\"row\":1,\"model\":\"demo\",\"seed\":0,\"verdict\":\"aligned\",\"exit_status\":0,"
      + "\"max_rel_l2\":null,\"first_divergence\":null,\"tensors_compared\":3,\"error\":null,\"timing_ms\":{}}";

  @Test
  void aForeignFileIsNeitherTrimmedNorAppendedTo() throws Exception {
    byte[] notes = "my notes\nsecond line without newline".getBytes(StandardCharsets.UTF_8);
    Path f = Files.write(dir.resolve("notes.jsonl"), notes);
    assertThatThrownBy(() -> JsonlSink.open(f)).isInstanceOf(CrossalignException.class)
        .hasMessageContaining("not a crossalign batch results file");
    assertThatThrownBy(() -> JsonlSink.readDone(f)).isInstanceOf(CrossalignException.class)
        .hasMessageContaining("not a crossalign batch results file");
    assertThat(Files.readAllBytes(f)).isEqualTo(notes);
  }

  @Test
  void aLinkIsNotFollowedEvenToAResultsFile() throws Exception {
    byte[] results = (RESULT_LINE + "\n").getBytes(StandardCharsets.UTF_8);
    Path real = Files.write(dir.resolve("real.jsonl"), results);
    Path link = Files.createSymbolicLink(dir.resolve("link.jsonl"), real);
    assertThatThrownBy(() -> JsonlSink.open(link)).isInstanceOf(CrossalignException.class)
        .hasMessageContaining("symbolic link");
    assertThatThrownBy(() -> JsonlSink.readDone(link)).isInstanceOf(CrossalignException.class)
        .hasMessageContaining("symbolic link");
    assertThat(Files.readAllBytes(real)).isEqualTo(results);
  }

  @Test
  void aResultsFileIsResumedAndATornTailCut() throws Exception {
    Path f = Files.write(dir.resolve("r.jsonl"), (RESULT_LINE + "\n{\"row\":2,\"mod").getBytes(StandardCharsets.UTF_8));
    assertThat(JsonlSink.readDone(f)).extracting(RowResult::row).containsExactly(1);
    try (JsonlSink sink = JsonlSink.open(f)) {
      sink.append(RESULT_LINE.replace("\"row\":1", "\"row\":2"));
    }
    assertThat(Files.readAllLines(f)).hasSize(2).allSatisfy(l -> assertThat(l).startsWith("{\"row\":"));
    // a missing file and an empty one are started afresh
    try (JsonlSink sink = JsonlSink.open(dir.resolve("new.jsonl"))) {
      sink.append(RESULT_LINE);
    }
    Files.write(dir.resolve("empty.jsonl"), new byte[0]);
    JsonlSink.open(dir.resolve("empty.jsonl")).close();
  }

  @Test
  void aModelReplacedByADifferentFileOfTheSameSizeAndTimeGetsAnotherKey() throws Exception {
    byte[] orig = Files.readAllBytes(TestModels.require("hand_recrop.tflite"));
    Path m = Files.write(dir.resolve("m.tflite"), orig);
    FileTime t = Files.getLastModifiedTime(m);
    ManifestRow row = new ManifestRow(1, m, 0, null, null, null, null);
    String k1 = ModelFingerprint.of(row);
    assertThat(ModelFingerprint.of(row)).isEqualTo(k1);
    byte[] changed = orig.clone();
    changed[changed.length / 2] ^= 1;
    Files.write(m, changed);
    Files.setLastModifiedTime(m, t);
    assertThat(Files.size(m)).isEqualTo(orig.length);
    assertThat(ModelFingerprint.of(row)).isNotEqualTo(k1);
    Files.write(m, orig);
    Files.setLastModifiedTime(m, t);
    assertThat(ModelFingerprint.of(row)).isEqualTo(k1);
  }

  @Test
  void aModelTruncatedMidBatchIsReadAgainAndRefused() throws Exception {
    byte[] orig = Files.readAllBytes(TestModels.require("hand_recrop.tflite"));
    Path m = Files.write(dir.resolve("m.tflite"), orig);
    List<String> tfliteOnly = List.of("tflite", "torch");
    try (BatchWorker w = new BatchWorker(BatchOptions.defaults())) {
      RowResult first = w.validate(new ManifestRow(1, m, 0, null, null, null, tfliteOnly));
      assertThat(first.exitStatus()).as(first.toJson()).isZero();
      Files.write(m, Arrays.copyOf(orig, orig.length / 2));
      RowResult second = w.validate(new ManifestRow(2, m, 0, null, null, null, tfliteOnly));
      assertThat(second.exitStatus()).as(second.toJson()).isEqualTo(2);
      assertThat(second.toJson()).contains("m.tflite");
    }
  }
}
