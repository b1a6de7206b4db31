package dev.crossalign.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.crossalign.engine.compare.CompareFixtures;
import dev.crossalign.onnx.OnnxModel;
import dev.crossalign.onnx.OnnxNode;
import dev.crossalign.report.JsonReport;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.testutil.TestModels;
import dev.crossalign.tflite.TfliteModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompareCommandTest {
  @TempDir Path dir;

  private static CompareFixtures.Exported exported(TfliteModel m) {
    Optional<CompareFixtures.Exported> e = CompareFixtures.export(m);
    assumeTrue(e.isPresent(), "the ONNX exporter (dev.crossalign.port.onnx) is not on this branch yet");
    return e.get();
  }

  @Test
  void realModelExportedWithEveryNameStrippedIsComparedByStructure() throws Exception {
    Path model = TestModels.require("face_detection_short_range.tflite");
    OnnxModel stripped = CompareFixtures.stripNames(exported(TfliteModel.read(model)).model());
    Path b = dir.resolve("stripped.onnx");
    stripped.write(b);
    Path json = dir.resolve("r.json");

    CliTestSupport.Run r = CliTestSupport.run("compare", model.toString(), b.toString(), "--json", json.toString());

    assertThat(r.status()).as(r.out() + r.err()).isZero();
    JsonNode root = JsonReport.read(json);
    assertThat(root.path("verdict").asText()).isEqualTo("aligned");
    JsonNode m = root.path("matching");
    assertThat(m.path("matched_by_name").asInt()).isZero();
    assertThat(m.path("matched_by_structure").asInt()).isGreaterThan(0);
    // both model outputs of the TFLite model are among the compared tensors
    TfliteModel tm = TfliteModel.read(model);
    for (int o : tm.main().outputs()) {
      String name = tm.main().tensor(o).name();
      boolean found = false;
      for (JsonNode c : root.path("tensors")) {
        found |= c.path("name").asText().equals(name);
      }
      assertThat(found).as("output " + name + " compared").isTrue();
    }
    assertThat(r.out()).contains("by structure");
    System.out.println("face_detection_short_range vs stripped export: " + m.path("matched_by_structure").asInt()
        + " by structure, " + m.path("matched_by_value").asInt() + " by value, " + m.path("unmatched").asInt()
        + " unmatched of " + m.path("reference_tensors").asInt());
  }

  @Test
  void realModelExportWithOneChangedWeightIsMisalignedAtTheConvItFeeds() throws Exception {
    Path model = TestModels.require("face_detection_short_range.tflite");
    CompareFixtures.Exported e = exported(TfliteModel.read(model));
    OnnxModel onnx = e.model();
    OnnxNode conv = onnx.nodes().stream()
        .filter(n -> n.opType().equals("Conv") && n.inputs().size() > 1 && onnx.isInitializer(n.inputs().get(1)))
        .findFirst().orElseThrow();
    String weight = conv.inputs().get(1);
    HostTensor w = onnx.initializer(weight);
    float[] v = w.toFloatArray();
    for (int i = 0; i < v.length; i++) {
      v[i] *= 1.5f;
    }
    Path b = dir.resolve("perturbed.onnx");
    CompareFixtures.replaceInitializer(onnx, weight, HostTensor.ofFloats(w.shape(), Layout.ANY, v)).write(b);
    Path json = dir.resolve("r.json");

    CliTestSupport.Run r = CliTestSupport.run("compare", model.toString(), b.toString(), "--json", json.toString());

    assertThat(r.status()).as(r.out() + r.err()).isEqualTo(1);
    // the first divergent tensor is the TFLite tensor the changed conv computes: its output, or after a fused
    // activation the activation's output (which carries the TFLite name)
    String convOut = conv.outputs().get(0);
    String expected = e.onnxToTflite().get(convOut);
    if (expected == null) {
      String after = onnx.nodes().stream().filter(n -> n.inputs().contains(convOut)).findFirst().orElseThrow()
          .outputs().get(0);
      expected = e.onnxToTflite().get(after);
    }
    assertThat(expected).isNotNull();
    JsonNode root = JsonReport.read(json);
    assertThat(root.path("first_divergence").path("tensor").asText()).as(root.path("first_divergence").toString())
        .isEqualTo(expected);
    assertThat(r.out()).contains(expected);
  }

  @Test
  void handBuiltPairWithStrippedNamesIsAlignedAndReportsTheInputPermutation() throws Exception {
    Path a = dir.resolve("chain.tflite");
    Files.write(a, CompareFixtures.chainTflite());
    Path b = dir.resolve("chain.onnx");
    CompareFixtures.stripNames(CompareFixtures.chainOnnx(dev.crossalign.engine.compare.CompareFixturesAccess.w2()))
        .write(b);
    Path json = dir.resolve("r.json");
    CliTestSupport.Run r = CliTestSupport.run("compare", a.toString(), b.toString(), "--json", json.toString());
    assertThat(r.status()).as(r.out() + r.err()).isZero();
    JsonNode m = JsonReport.read(json).path("matching");
    assertThat(m.path("matched_by_structure").asInt()).isEqualTo(5);
    assertThat(m.path("inputs").get(0).path("permutation").toString()).isEqualTo("[0,3,1,2]");
    assertThat(r.out()).contains("permuted [0, 3, 1, 2] (NHWC->NCHW)");
  }

  @Test
  void sameTfliteTwiceIsAligned() {
    Path model = TestModels.require("face_detection_short_range.tflite");
    CliTestSupport.Run r = CliTestSupport.run("compare", model.toString(), model.toString(), "-q");
    assertThat(r.status()).as(r.out() + r.err()).isZero();
  }

  @Test
  void malformedSecondModelIsExitTwo() throws Exception {
    Path model = TestModels.require("face_detection_short_range.tflite");
    Path bad = dir.resolve("bad.onnx");
    Files.write(bad, new byte[] {0x08, 0x07, 0x12, (byte) 0xff, 0x01, 0x02, 0x03});
    CliTestSupport.Run r = CliTestSupport.run("compare", model.toString(), bad.toString());
    assertThat(r.status()).as(r.out() + r.err()).isEqualTo(2);
    assertThat(r.err()).startsWith("crossalign: ").doesNotContain("Exception\n\tat");

    Path badTflite = dir.resolve("bad.tflite");
    Files.write(badTflite, new byte[] {1, 2, 3, 4, 'T', 'F', 'L', '3', 9, 9});
    CliTestSupport.Run r2 = CliTestSupport.run("compare", model.toString(), badTflite.toString());
    assertThat(r2.status()).as(r2.out() + r2.err()).isEqualTo(2);
  }

  @Test
  void argumentErrorsAreExitTwo() throws Exception {
    Path model = TestModels.require("face_detection_short_range.tflite");
    assertThat(CliTestSupport.run("compare", model.toString()).status()).isEqualTo(2);
    assertThat(CliTestSupport.run("compare", model.toString(), dir.resolve("missing.onnx").toString()).status())
        .isEqualTo(2);
    Path notTs = dir.resolve("m.pt");
    Files.write(notTs, new byte[] {1, 2, 3});
    CliTestSupport.Run r = CliTestSupport.run("compare", model.toString(), "--torchscript", notTs.toString());
    assertThat(r.status()).as(r.out() + r.err()).isEqualTo(2);
    assertThat(r.err()).contains("TorchScript");
  }

  @Test
  void sameRunTwiceGivesTheSameJsonExceptTimings() throws Exception {
    Path a = dir.resolve("chain.tflite");
    Files.write(a, CompareFixtures.chainTflite());
    Path b = dir.resolve("chain.onnx");
    CompareFixtures.stripNames(CompareFixtures.chainOnnx(dev.crossalign.engine.compare.CompareFixturesAccess.w2()))
        .write(b);
    Path j1 = dir.resolve("1.json");
    Path j2 = dir.resolve("2.json");
    assertThat(CliTestSupport.run("compare", a.toString(), b.toString(), "--json", j1.toString(), "-q").status())
        .isZero();
    assertThat(CliTestSupport.run("compare", a.toString(), b.toString(), "--json", j2.toString(), "-q").status())
        .isZero();
    com.fasterxml.jackson.databind.node.ObjectNode r1 = (com.fasterxml.jackson.databind.node.ObjectNode)
        JsonReport.read(j1);
    com.fasterxml.jackson.databind.node.ObjectNode r2 = (com.fasterxml.jackson.databind.node.ObjectNode)
        JsonReport.read(j2);
    r1.remove("timing_ms");
    r2.remove("timing_ms");
    assertThat(r1).isEqualTo(r2);
    assertThat(r1.path("matching").path("pairs").size()).isEqualTo(6);
  }

  @Test
  void aTorchScriptModuleNamedAsAOrBGivesTheSameReport() throws Exception {
    Path a = dir.resolve("chain.tflite");
    Files.write(a, CompareFixtures.chainTflite());
    Path pt = dir.resolve("wrong.pt");
    // not the network: the output's shape and range, not its values
    dev.crossalign.engine.compare.TorchScriptFixture.save(pt,
        "return torch.clamp(x[:, :, :, 0:1].repeat(1, 1, 1, 4), 0.0, 6.0)");
    Path j1 = dir.resolve("ab.json");
    Path j2 = dir.resolve("ba.json");
    CliTestSupport.Run ab = CliTestSupport.run("compare", a.toString(), pt.toString(), "--json", j1.toString(), "-q");
    CliTestSupport.Run ba = CliTestSupport.run("compare", pt.toString(), a.toString(), "--json", j2.toString(), "-q");
    assertThat(ab.status()).as(ab.out() + ab.err()).isEqualTo(1);
    assertThat(ba.status()).as(ba.out() + ba.err()).isEqualTo(1);
    JsonNode x = JsonReport.read(j1);
    JsonNode y = JsonReport.read(j2);
    assertThat(y.path("matching").path("pairs")).isEqualTo(x.path("matching").path("pairs"));
    assertThat(y.path("first_divergence")).isEqualTo(x.path("first_divergence"));
    assertThat(x.path("config").path("candidate.intermediates").asText())
        .isEqualTo("every top-level tensor of a frozen copy of forward");
  }

  @Test
  void helpListsCompare() {
    CliTestSupport.Run r = CliTestSupport.run("compare", "--help");
    assertThat(r.status()).isZero();
    assertThat(r.out()).contains("--torchscript").contains("TFLite model is the reference whichever order")
        .contains("--html").contains("--junit").contains("--dump-dir").contains("--expected-range")
        .doesNotContain("--export-onnx");
    assertThat(CliTestSupport.run("--help").out()).contains("compare");
  }

  @Test
  void everyReportOptionWritesItsFileOnCompare() throws Exception {
    Path a = dir.resolve("chain.tflite");
    Files.write(a, CompareFixtures.chainTflite());
    Path b = dir.resolve("chain.onnx");
    CompareFixtures.stripNames(CompareFixtures.chainOnnx(dev.crossalign.engine.compare.CompareFixturesAccess.w2()))
        .write(b);
    // an input in [-1, 1) to a model said to expect [0, 1]: flagged, as validate flags it
    Path x = dir.resolve("x.npy");
    dev.crossalign.tensor.Npy.write(x, dev.crossalign.engine.compare.CompareFixturesAccess.rnd(7, 1, 8, 8, 3));
    Path html = dir.resolve("r.html");
    Path junit = dir.resolve("r.xml");
    Path dumps = dir.resolve("dumps");
    CliTestSupport.Run r = CliTestSupport.run("compare", b.toString(), a.toString(), "--html", html.toString(),
        "--junit", junit.toString(), "--dump-dir", dumps.toString(), "--expected-range", "0,1", "--input",
        "x=" + x);
    assertThat(r.status()).as(r.out() + r.err()).isZero();
    String page = Files.readString(html);
    assertThat(page).contains("id=\"matching\"").contains("id=\"unmatched\"").contains("<td>structure</td>")
        .contains("Matching: 5 of 5 reference tensors paired");
    String xml = Files.readString(junit);
    assertThat(xml).contains("<testsuite").contains("tests=\"6\""); // x (the input) and the five tensors
    assertThat(dumps.resolve("reference.npz")).exists();
    assertThat(dumps.resolve("candidate.npz")).exists();
    assertThat(dev.crossalign.tensor.Npz.read(dumps.resolve("reference.npz"))).containsKeys("t1", "out");
    assertThat(r.out()).contains("but the model expects");
    CompareHtmlInBrowser.check(html, dir);
  }

  @Test
  void npzWithoutTheModelsInputsIsExitTwoSayingSo() throws Exception {
    Path a = dir.resolve("chain.tflite");
    Files.write(a, CompareFixtures.chainTflite());
    Path npz = dir.resolve("outs.npz");
    dev.crossalign.tensor.Npz.write(npz, java.util.Map.of("out",
        dev.crossalign.engine.compare.CompareFixturesAccess.rnd(3, 1, 8, 8, 4)));
    CliTestSupport.Run r = CliTestSupport.run("compare", npz.toString(), a.toString());
    assertThat(r.status()).as(r.out() + r.err()).isEqualTo(2);
    assertThat(r.err()).contains("holds no array for the model input(s) [x[1, 8, 8, 3]]").contains("--input")
        .doesNotContain("\tat ");
  }
}
