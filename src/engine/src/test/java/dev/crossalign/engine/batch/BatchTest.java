package dev.crossalign.engine.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.crossalign.CrossalignException;
import dev.crossalign.engine.DemoModel;
import dev.crossalign.engine.InputGenerator;
import dev.crossalign.engine.ValidationRequest;
import dev.crossalign.engine.Validator;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Npy;
import dev.crossalign.tflite.TfliteModel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BatchTest {
  @TempDir Path dir;

  @Test
  void manifestColumnsQuotingAndDefaults() {
    List<ManifestRow> rows = Manifest.parse(List.of(
        "backends,Model,seed,atol,rtol,input",
        "\"tflite,torch\",m/a.tflite,7,1e-3,,",
        "",
        "tflite|onnxruntime,demo,,,0.5,x=in.npy",
        ",/abs/b.tflite,-3,,,in.npz"), dir, "m.csv");
    assertThat(rows).hasSize(3);
    ManifestRow a = rows.get(0);
    assertThat(a.row()).isEqualTo(1);
    assertThat(a.model()).isEqualTo(dir.resolve("m/a.tflite"));
    assertThat(a.seed()).isEqualTo(7);
    assertThat(a.atol()).isEqualTo(1e-3);
    assertThat(a.rtol()).isNull();
    assertThat(a.backends()).containsExactly("tflite", "torch");
    assertThat(a.input()).isNull();
    ManifestRow b = rows.get(1);
    assertThat(b.row()).isEqualTo(2);
    assertThat(b.model()).isNull();
    assertThat(b.modelLabel()).isEqualTo("demo");
    assertThat(b.seed()).isZero();
    assertThat(b.backends()).containsExactly("tflite", "onnxruntime");
    assertThat(b.input()).isEqualTo("x=" + dir.resolve("in.npy"));
    ManifestRow c = rows.get(2);
    assertThat(c.model()).isEqualTo(Path.of("/abs/b.tflite"));
    assertThat(c.seed()).isEqualTo(-3);
    assertThat(c.input()).isEqualTo(dir.resolve("in.npz").toString());
    assertThat(c.backends()).isNull();
  }

  @Test
  void manifestErrorsNameTheLine() {
    assertThatThrownBy(() -> Manifest.parse(List.of("demo,1"), dir, "m.csv"))
        .isInstanceOf(CrossalignException.class).hasMessageContaining("unknown column 'demo'")
        .hasMessageContaining("header row is required");
    assertThatThrownBy(() -> Manifest.parse(List.of("seed", "1"), dir, "m.csv"))
        .hasMessageContaining("no 'model' column");
    assertThatThrownBy(() -> Manifest.parse(List.of("model,seed", "demo,x"), dir, "m.csv"))
        .hasMessageContaining("line 2").hasMessageContaining("seed must be an integer");
    assertThatThrownBy(() -> Manifest.parse(List.of("model,atol", "demo,-1"), dir, "m.csv"))
        .hasMessageContaining("atol must be a finite number >= 0");
    assertThatThrownBy(() -> Manifest.parse(List.of("model", "\"demo"), dir, "m.csv"))
        .hasMessageContaining("unterminated quote");
    assertThatThrownBy(() -> Manifest.parse(List.of(), dir, "m.csv")).hasMessageContaining("empty manifest");
  }

  @Test
  void sinkCutsATornTailAndResumeIgnoresIt() throws Exception {
    Path out = dir.resolve("o.jsonl");
    String done = new RowResult(1, "demo", 0, "aligned", 0, 1e-7, null, 3, null, new java.util.TreeMap<>()).toJson();
    Files.writeString(out, done + "\n{\"row\":2,\"model\":\"de", StandardCharsets.UTF_8);
    assertThat(JsonlSink.readDone(out)).extracting(RowResult::row).containsExactly(1);
    try (JsonlSink s = JsonlSink.open(out)) {
      s.append("{\"row\":2,\"model\":\"demo\",\"seed\":0,\"exit_status\":1}");
    }
    assertThat(Files.readAllLines(out)).hasSize(2);
    assertThat(JsonlSink.readDone(out)).extracting(RowResult::row).containsExactly(1, 2);
    assertThatThrownBy(() -> {
      try (JsonlSink s = JsonlSink.open(out)) {
        s.append("a\nb");
      }
    }).isInstanceOf(IllegalArgumentException.class);
  }

  /** The cached-backend path gives the same comparisons as a fresh Validator.validate (the engine's own API). */
  @Test
  void workerReusesBackendsAndMatchesTheValidator() {
    try (BatchWorker w = new BatchWorker(BatchOptions.defaults())) {
      RowResult first = w.validate(new ManifestRow(1, null, 11, null, null, null, null));
      RowResult second = w.validate(new ManifestRow(2, null, 12, null, null, null, null));
      assertThat(w.openModels()).isEqualTo(1);
      assertThat(first.timingMs().get("prepare.torch")).isPositive();
      assertThat(second.timingMs().get("prepare.torch")).isZero(); // reused
      assertThat(second.timingMs().get("load")).isZero();
      ValidationRequest req = ValidationRequest.defaults(null);
      req = new ValidationRequest(null, req.backends(), req.mode(),
          req.run().withConfig(req.config().withSeed(12)).withTfliteThreads(1), null);
      var fresh = Validator.validate(req).result();
      assertThat(second.verdict()).isEqualTo("aligned");
      assertThat(second.tensorsCompared()).isEqualTo((int) fresh.comparisons().stream()
          .filter(c -> c.status() == dev.crossalign.align.Comparison.Status.COMPARED).count());
      double maxFresh = fresh.comparisons().stream().filter(c -> c.metrics() != null)
          .mapToDouble(c -> c.metrics().relL2()).max().orElseThrow();
      assertThat(second.maxRelL2()).isEqualTo(maxFresh);
      // a row whose model no later row needs closes it after it runs; the next row of that model opens it again
      RowResult last = w.validate(new ManifestRow(3, null, 13, null, null, null, null), false);
      assertThat(last.verdict()).isEqualTo("aligned");
      assertThat(last.timingMs().get("prepare.torch")).isZero(); // still the cached model for this row
      assertThat(w.openModels()).isZero();
      RowResult again = w.validate(new ManifestRow(4, null, 14, null, null, null, null));
      assertThat(again.timingMs().get("prepare.torch")).isPositive();
      assertThat(w.openModels()).isEqualTo(1);
    }
  }

  @Test
  void aModelIsKeptOnlyWhenOneOfTheNextRowsUsesIt() {
    java.util.function.Function<String, List<ManifestRow>> rows = models -> {
      List<ManifestRow> out = new java.util.ArrayList<>();
      for (char c : models.toCharArray()) {
        out.add(new ManifestRow(out.size() + 1, Path.of(c + ".tflite"), 0, null, null, null, null));
      }
      return out;
    };
    // grouped: every row but the last of its group keeps the model
    assertThat(BatchRunner.keepModels(rows.apply("AAABB"), 4)).containsExactly(true, true, false, true, false);
    // cycling over more models than the window: nothing kept
    assertThat(BatchRunner.keepModels(rows.apply("ABCDEABCDE"), 4)).containsOnly(false);
    // cycling over as many as the window: kept until the last cycle
    assertThat(BatchRunner.keepModels(rows.apply("ABCDABCD"), 4))
        .containsExactly(true, true, true, true, false, false, false, false);
  }

  @Test
  void rowsFailWithTheirStatusAndTheBatchGoesOn() throws Exception {
    Path bad = dir.resolve("bad.tflite");
    Files.write(bad, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
    TfliteModel demo = TfliteModel.read(DemoModel.bytes(), "demo");
    String inName = demo.main().tensor(demo.main().inputs()[0]).name();
    HostTensor in = InputGenerator.inputs(demo, 99, -1, 1, Map.of()).get(inName);
    Npy.write(dir.resolve("in.npy"), in);
    Files.writeString(dir.resolve("m.csv"), String.join("\n",
        "model,seed,atol,rtol,backends,input",
        "demo,1,,,,",
        "bad.tflite,2,,,,",
        "missing.tflite,3,,,,",
        "demo,4,0,0,,",
        "demo,5,,,tflite|onnxruntime,",
        "demo,6,,,,in.npy",
        "demo,7,,,tflite,"));
    Path out = dir.resolve("o.jsonl");
    List<String> printed = Collections.synchronizedList(new ArrayList<>());
    BatchRunner.Summary s =
        BatchRunner.run(Manifest.read(dir.resolve("m.csv")), BatchOptions.defaults(), 2, out, false, printed::add);
    assertThat(s.total()).isEqualTo(7);
    assertThat(s.ran()).isEqualTo(7);
    List<RowResult> rows = new ArrayList<>(JsonlSink.readDone(out));
    rows.sort(java.util.Comparator.comparingInt(RowResult::row));
    assertThat(rows).extracting(RowResult::row).containsExactly(1, 2, 3, 4, 5, 6, 7);
    assertThat(printed).hasSize(7);
    assertThat(rows.get(0).exitStatus()).isZero();
    assertThat(rows.get(1).exitStatus()).isEqualTo(2); // not a flatbuffer
    assertThat(rows.get(1).error()).contains("bad.tflite");
    assertThat(rows.get(2).exitStatus()).isEqualTo(2);
    assertThat(rows.get(3).exitStatus()).isEqualTo(1); // zero tolerance: isolated float32 rounding fails
    assertThat(rows.get(3).verdict()).isEqualTo("misaligned");
    // tflite -> exported ONNX -> ONNX Runtime on the batch worker's thread (big stack, see BigStack)
    assertThat(rows.get(4).exitStatus()).as(rows.get(4).toString()).isZero();
    assertThat(rows.get(4).tensorsCompared()).isPositive();
    assertThat(rows.get(5).exitStatus()).isZero(); // the .npy input
    assertThat(rows.get(6).exitStatus()).isEqualTo(2); // one backend only: a request error, recorded
    assertThat(rows.get(6).error()).contains("at least one candidate");
    assertThat(s.exitStatus()).isEqualTo(rows.stream().mapToInt(RowResult::exitStatus).max().orElseThrow());
    assertThat(s.aligned()).isEqualTo((int) rows.stream().filter(r -> r.exitStatus() == 0).count());
    // threads share this JVM: no row's CPU time is its own, so none is given
    assertThat(rows).allMatch(r -> r.cpuMs() == null);
    double slowest = rows.stream().mapToDouble(RowResult::wallMs).max().orElseThrow();
    assertThat(s.elapsedMs()).isGreaterThanOrEqualTo(slowest);
    assertThat(s.rowsPerMinute()).isCloseTo(7 / (s.elapsedMs() / 60_000), within(1e-9));

    // without --resume an existing OUT is refused rather than appended to
    assertThatThrownBy(() -> BatchRunner.run(Manifest.read(dir.resolve("m.csv")), BatchOptions.defaults(), 1, out,
        false, null)).isInstanceOf(CrossalignException.class).hasMessageContaining("--resume");
  }

  @Test
  void npyInputIsTheSameAsTheSeededOne() throws Exception {
    // a row given the seed-99 input as a file reports the same numbers as a row generating it from seed 99
    TfliteModel demo = TfliteModel.read(DemoModel.bytes(), "demo");
    String inName = demo.main().tensor(demo.main().inputs()[0]).name();
    Npy.write(dir.resolve("in.npy"), InputGenerator.inputs(demo, 99, -1, 1, Map.of()).get(inName));
    try (BatchWorker w = new BatchWorker(BatchOptions.defaults())) {
      RowResult fromFile = w.validate(new ManifestRow(1, null, 0, dir.resolve("in.npy").toString(), null, null, null));
      RowResult fromSeed = w.validate(new ManifestRow(2, null, 99, null, null, null, null));
      RowResult other = w.validate(new ManifestRow(3, null, 0, null, null, null, null));
      assertThat(fromFile.maxRelL2()).isEqualTo(fromSeed.maxRelL2());
      assertThat(other.maxRelL2()).isNotEqualTo(fromSeed.maxRelL2());
    }
  }
}
