package dev.crossalign.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.crossalign.CrossalignException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonReportTest {
  @TempDir Path dir;

  static List<String> fieldNames(JsonNode n) {
    List<String> out = new ArrayList<>();
    n.fieldNames().forEachRemaining(out::add);
    return out;
  }

  @Test
  void schemaFieldsInOrder() throws IOException {
    Path p = dir.resolve("report.json");
    JsonReport.write(ReportFixtures.misaligned(), p);
    JsonNode root = JsonReport.read(p);
    assertThat(fieldNames(root)).containsExactly("verdict", "model", "device", "seed", "tolerance", "backends",
        "first_divergence", "counts", "comparison_counts", "tensors", "unsupported", "notes", "truth", "config",
        "timing_ms");
    assertThat(root.get("truth").isNull()).as("no float64 truth computed: null, the key still present").isTrue();
    // in, conv, mid, nanny, head, out x 2 modes; mid, nanny (NaN both sides, not accepted) and head fail in each
    assertThat(root.get("counts").toString())
        .isEqualTo("{\"comparisons\":12,\"failing\":6,\"nonfinite\":2,\"nonfinite_failing\":2}");
    assertThat(root.get("tolerance").get("accept_nonfinite").asBoolean()).isFalse();
    // 6 tensors x 2 modes, less head's two shape mismatches
    assertThat(root.get("comparison_counts").toString()).isEqualTo("{\"tflite~torch\":{\"chained\":5,\"isolated\":5}}");
    assertThat(root.get("verdict").asText()).isEqualTo("misaligned");
    assertThat(root.get("model").asText()).isEqualTo("face.tflite");
    assertThat(root.get("device").asText()).isEqualTo("cpu");
    assertThat(root.get("seed").asLong()).isEqualTo(42);
    assertThat(root.get("tolerance").get("atol").asDouble()).isEqualTo(1e-5);
    assertThat(root.get("tolerance").get("rtol").asDouble()).isEqualTo(1e-4);
    assertThat(root.get("backends").toString()).isEqualTo("[\"tflite\",\"torch\"]");

    JsonNode fd = root.get("first_divergence");
    assertThat(fieldNames(fd)).containsExactly("tensor", "pair", "mode");
    assertThat(fd.get("tensor").asText()).isEqualTo("mid");
    assertThat(fd.get("pair").asText()).isEqualTo("tflite~torch");
    assertThat(fd.get("mode").asText()).isEqualTo("chained");

    JsonNode tensors = root.get("tensors");
    List<String> names = new ArrayList<>();
    tensors.forEach(t -> names.add(t.get("name").asText()));
    assertThat(names).containsExactly("in", "conv", "mid", "nanny", "head", "out");
    JsonNode mid = tensors.get(2);
    assertThat(fieldNames(mid)).containsExactly("name", "op", "index", "shape", "comparisons");
    assertThat(mid.get("op").asText()).isEqualTo("ADD");
    assertThat(mid.get("index").asInt()).isEqualTo(2);
    assertThat(mid.get("shape").toString()).isEqualTo("[4]");
    assertThat(mid.get("comparisons")).hasSize(2);
    JsonNode c = mid.get("comparisons").get(0);
    assertThat(fieldNames(c)).containsExactly("pair", "mode", "max_abs", "mean_abs", "rel_l2", "cosine", "mean_ref",
        "mean_cand", "mean_diff", "sum_diff", "min_ref", "max_ref", "min_cand", "max_cand", "nan_ref", "nan_cand",
        "inf_ref", "inf_cand", "first_nonfinite_ref", "first_nonfinite_cand", "distinct_ref", "distinct_cand",
        "permutation", "status", "zero_reference", "pass");
    // closed form for a = [1,2,3,4], b = [1,2,3,5]
    assertThat(c.get("mode").asText()).isEqualTo("chained");
    assertThat(c.get("max_abs").asDouble()).isEqualTo(1.0);
    assertThat(c.get("mean_abs").asDouble()).isEqualTo(0.25);
    assertThat(c.get("rel_l2").asDouble()).isEqualTo(1 / Math.sqrt(30));
    assertThat(c.get("mean_ref").asDouble()).isEqualTo(2.5);
    assertThat(c.get("mean_cand").asDouble()).isEqualTo(2.75);
    assertThat(c.get("sum_diff").asDouble()).isEqualTo(1.0);
    assertThat(c.get("max_cand").asDouble()).isEqualTo(5.0);
    assertThat(c.get("distinct_ref").asInt()).isEqualTo(4);
    assertThat(c.get("permutation").isNull()).isTrue();
    assertThat(c.get("status").asText()).isEqualTo("compared");
    assertThat(c.get("pass").asBoolean()).isFalse();
    assertThat(c.get("zero_reference").asBoolean()).isFalse();
    assertThat(mid.get("comparisons").get(1).get("mode").asText()).isEqualTo("isolated");

    JsonNode conv = tensors.get(1).get("comparisons").get(0);
    assertThat(conv.get("permutation").toString()).isEqualTo("[0,2,3,1]");
    assertThat(conv.get("pass").asBoolean()).isTrue();
    assertThat(conv.get("max_abs").asDouble()).isEqualTo(0.0);

    // all-NaN tensors: means and ranges are NaN, written as null; counts stay numbers
    JsonNode nanny = tensors.get(3).get("comparisons").get(0);
    assertThat(nanny.get("mean_ref").isNull()).isTrue();
    assertThat(nanny.get("min_cand").isNull()).isTrue();
    assertThat(nanny.get("nan_ref").asInt()).isEqualTo(2);
    assertThat(nanny.get("first_nonfinite_ref").asInt()).isZero();
    assertThat(nanny.get("first_nonfinite_cand").asInt()).isZero();
    assertThat(nanny.get("rel_l2").isNull()).as("no finite pair: not a rel_l2 of 0").isTrue();
    assertThat(nanny.get("pass").asBoolean()).isFalse();
    assertThat(tensors.get(2).get("comparisons").get(0).get("first_nonfinite_ref").asInt()).isEqualTo(-1);

    JsonNode head = tensors.get(4).get("comparisons").get(0);
    assertThat(head.get("status").asText()).isEqualTo("shape_mismatch");
    assertThat(head.get("max_abs").isNull()).isTrue();
    assertThat(head.get("distinct_cand").isNull()).isTrue();
    assertThat(head.get("pass").asBoolean()).isFalse();

    JsonNode out = tensors.get(5).get("comparisons").get(0);
    assertThat(out.get("status").asText()).isEqualTo("compared");

    JsonNode u = root.get("unsupported").get(0);
    assertThat(fieldNames(u)).containsExactly("op", "count", "reason");
    assertThat(u.get("count").asInt()).isEqualTo(2);
    assertThat(root.get("notes").get(0).asText()).startsWith("naive padding");
    assertThat(fieldNames(root.get("config"))).containsExactly("deterministic", "threads");
    assertThat(fieldNames(root.get("timing_ms"))).containsExactly("compare", "torch");
    assertThat(root.get("timing_ms").get("torch").asDouble()).isEqualTo(12.5);
  }

  @Test
  void alignedVerdictAndNullFirstDivergence() {
    JsonNode root = parse(JsonReport.toJson(ReportFixtures.aligned()));
    assertThat(root.get("verdict").asText()).isEqualTo("aligned");
    assertThat(root.get("first_divergence").isNull()).isTrue();
    assertThat(root.get("device").asText()).isEqualTo("cuda:0");
  }

  @Test
  void sameResultGivesIdenticalBytes() throws IOException {
    Path a = dir.resolve("a.json");
    Path b = dir.resolve("b.json");
    JsonReport.write(ReportFixtures.misaligned(), a);
    JsonReport.write(ReportFixtures.misaligned(), b);
    byte[] ba = Files.readAllBytes(a);
    assertThat(ba).isEqualTo(Files.readAllBytes(b));
    String text = new String(ba, StandardCharsets.UTF_8);
    assertThat(text).doesNotContain("\r").doesNotContain("NaN").endsWith("}\n");
    assertThat(text).contains("\"shape\": [1, 1, 2, 2]");
    // valid JSON to a strict parser
    assertThat(new ObjectMapper().readTree(ba).get("tensors")).hasSize(6);
  }

  @Test
  void failedSerializationLeavesTheOldFileAndNoTemporary() throws IOException {
    Path target = dir.resolve("report.json");
    Files.writeString(target, "old");
    assertThatThrownBy(() -> JsonReport.writeAtomically(target, out -> {
      out.write("{\"partial\":".getBytes(StandardCharsets.UTF_8));
      out.flush();
      throw new IOException("disk full");
    })).isInstanceOf(CrossalignException.class).hasMessageContaining("report.json").hasMessageContaining("disk full");
    assertThat(Files.readString(target)).isEqualTo("old");
    assertThat(listing()).containsExactly("report.json");

    assertThatThrownBy(() -> JsonReport.writeAtomically(target, out -> {
      out.write('{');
      throw new IllegalStateException("serializer bug");
    })).isInstanceOf(IllegalStateException.class);
    assertThat(Files.readString(target)).isEqualTo("old");
    assertThat(listing()).containsExactly("report.json");
  }

  @Test
  void freshTargetIsNotCreatedWhenSerializationFails() {
    Path target = dir.resolve("new.json");
    assertThatThrownBy(() -> JsonReport.writeAtomically(target, out -> {
      out.write('{');
      throw new IOException("boom");
    })).isInstanceOf(CrossalignException.class);
    assertThat(listing()).isEmpty();
  }

  @Test
  void missingDirectoryIsAnInputError() throws IOException {
    Path notADir = dir.resolve("file");
    Files.writeString(notADir, "x");
    assertThatThrownBy(() -> JsonReport.write(ReportFixtures.aligned(), notADir.resolve("r.json")))
        .isInstanceOf(CrossalignException.class)
        .satisfies(e -> assertThat(((CrossalignException) e).kind()).isEqualTo(CrossalignException.Kind.INPUT))
        .hasMessageContaining("r.json");
    assertThatThrownBy(() -> JsonReport.write(ReportFixtures.aligned(), dir.resolve("no/such/r.json")))
        .isInstanceOf(CrossalignException.class).hasMessageContaining("does not exist");
  }

  @Test
  void unwritableDirectoryLeavesNothing() throws IOException {
    // A failure that root cannot bypass (directory permissions do not stop root, and CI runs as root): the target is a
    // non-empty directory, so the temp file is written and synced and only the final rename fails (EISDIR). The temp
    // file must be gone afterwards and the directory as it was.
    Path target = Files.createDirectory(dir.resolve("report.json"));
    Files.writeString(target.resolve("keep"), "old");
    assertThatThrownBy(() -> JsonReport.write(ReportFixtures.aligned(), target))
        .isInstanceOf(CrossalignException.class)
        .satisfies(e -> assertThat(((CrossalignException) e).kind()).isEqualTo(CrossalignException.Kind.INPUT))
        .hasMessageContaining("report.json");
    assertThat(Files.isDirectory(target)).isTrue();
    assertThat(Files.readString(target.resolve("keep"))).isEqualTo("old");
    try (Stream<Path> s = Files.list(target)) {
      assertThat(s.count()).isEqualTo(1);
    }
    assertThat(listing()).containsExactly("report.json");
  }

  @Test
  void writtenFileReplacesTheOldOneAndIsReadableByOthers() throws IOException {
    Path target = dir.resolve("r.json");
    Files.writeString(target, "old");
    JsonReport.write(ReportFixtures.aligned(), target);
    assertThat(JsonReport.read(target).get("verdict").asText()).isEqualTo("aligned");
    assertThat(Files.getPosixFilePermissions(target)).contains(java.nio.file.attribute.PosixFilePermission.OTHERS_READ);
    assertThat(listing()).containsExactly("r.json");
  }

  private List<String> listing() {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static JsonNode parse(String s) {
    try {
      return new ObjectMapper().readTree(s);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
