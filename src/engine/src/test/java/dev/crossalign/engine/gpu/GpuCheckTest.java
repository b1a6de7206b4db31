package dev.crossalign.engine.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.crossalign.CrossalignException;
import dev.crossalign.backend.cudnn.Cudnn;
import dev.crossalign.backend.cudnn.PaddingPlan;
import dev.crossalign.testutil.TestModels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The GPU check's legs on CPU, over a bundle exported from the real face detector: the TFLite re-run against the
 * bundled reference, every conv's TFLite output against a float64 host conv fed what cuDNN would be fed, the cuDNN
 * leg's clean refusal without a GPU, the PyTorch leg on Debian's CPU torch against TFLite, and the summary, each
 * through {@link GpuLegs} (the command that parses their options: the cli module's GpuCheckCommandTest).
 */
class GpuCheckTest {
  @TempDir static Path tmp;
  static Path bundle;

  record Run(int exit, String out, String err) {}

  /** The CLI's defaults of cudnn's --device, --repeat, --warmup, --iterations. */
  static CudnnLeg.Options cudnnOptions(boolean truth, boolean planOnly) {
    return new CudnnLeg.Options(0, 5, 3, 20, truth, planOnly);
  }

  @BeforeAll
  static void export() {
    Path model = TestModels.require("face_detection_short_range.tflite");
    bundle = tmp.resolve("bundle");
    GpuLegs.Outcome r = GpuLegs.export(Map.of("face", model), 0, bundle);
    assertThat(r.exitStatus()).isZero();
    assertThat(r.lines()).singleElement().asString().startsWith("export: face: 37 convs, 0 skipped");
  }

  @Test
  void manifestPaddingIsTfSameWithTheExtraPixelAtTheEnd() {
    BundleManifest m = BundleManifest.read(bundle.resolve("models/face"));
    assertThat(m.convs()).hasSize(37);
    assertThat(m.inputs()).hasSize(1);
    ConvSpec first = m.convs().get(0);
    // BlazeFace's stem: 128x128x3 -> 24 channels, 5x5 stride 2 SAME: out 64, total (64-1)*2+5-128 = 3 -> 1 before, 2 after
    assertThat(new int[] {first.inH(), first.kh(), first.strideH(), first.outH(), first.padTop(), first.padBottom()})
        .containsExactly(128, 5, 2, 64, 1, 2);
    assertThat(first.geometry().plan().symmetric()).isFalse();
    // PyTorch's padding=k//2 = 2 on both sides keeps the size (64) but shifts the window by one pixel
    PaddingPlan sym = first.symmetricPlan();
    assertThat(new int[] {sym.top(), sym.bottom(), sym.outH()}).containsExactly(2, 2, 64);
    long depthwise = m.convs().stream().filter(c -> c.kind().equals("DEPTHWISE")).count();
    assertThat(depthwise).isPositive().isLessThan(37);
  }

  @Test
  void cpuLegReproducesTheBundledReferenceAndTheFloat64Convs() throws Exception {
    Path json = tmp.resolve("cpu.json");
    GpuLegs.Outcome r = GpuLegs.cpu(bundle, json, true);
    assertThat(r.exitStatus()).as(r.lines().toString()).isZero();
    JsonNode m = Json.MAPPER.readTree(json.toFile()).get("models").get(0);
    // same machine, same TFLite: every captured tensor bit for bit
    assertThat(m.get("tensors").asInt()).isGreaterThan(37);
    assertThat(m.get("bitwiseEqual").asInt()).isEqualTo(m.get("tensors").asInt());
    assertThat(m.get("missing").asInt()).isZero();
    // TFLite's float32 convs against the float64 host conv fed the KCRS filter and the pre-padded NCHW input
    assertThat(m.get("convs")).hasSize(37);
    for (JsonNode c : m.get("convs")) {
      assertThat(c.get("relL2").asDouble()).as(c.get("output").asText()).isLessThan(1e-5);
    }
    int n = m.get("tensors").asInt();
    assertThat(String.join("\n", r.lines())).contains("cpu: face: TFLite")
        .contains(n + "/" + n + " tensors bitwise equal").doesNotContain("FAILED");
  }

  @Test
  void cudnnLegPlanOnlyChecksEveryLayerOnTheHost() throws Exception {
    Path json = tmp.resolve("plan.json");
    GpuLegs.Outcome r = GpuLegs.cudnn(bundle, json, cudnnOptions(true, true));
    assertThat(r.exitStatus()).as(r.refusal()).isZero();
    JsonNode j = Json.MAPPER.readTree(json.toFile());
    assertThat(j.get("status").asText()).isEqualTo("plan-only");
    assertThat(j.get("layers")).hasSize(37);
    int asymmetric = 0;
    for (JsonNode l : j.get("layers")) {
      assertThat(l.get("tfliteVsFloat64RelL2").asDouble()).as(l.get("output").asText()).isLessThan(1e-5);
      asymmetric += l.get("asymmetricPadding").asBoolean() ? 1 : 0;
    }
    assertThat(asymmetric).isPositive();
  }

  @Test
  void cudnnLegWithoutAGpuSaysWhyInOneLine() throws Exception {
    assumeTrue(!gpuPresent(), "a GPU is present: the refusal cannot be seen here");
    Path json = tmp.resolve("cudnn.json");
    GpuLegs.Outcome r = GpuLegs.cudnn(bundle, json, cudnnOptions(false, false));
    assertThat(r.exitStatus()).isEqualTo(2);
    assertThat(r.refusal()).startsWith(Cudnn.NEEDS_GPU).doesNotContain("\n");
    assertThat(r.lines()).singleElement().asString().startsWith("cudnn: unavailable: " + Cudnn.NEEDS_GPU);
    JsonNode j = Json.MAPPER.readTree(json.toFile());
    assertThat(j.get("status").asText()).isEqualTo("unavailable");
    assertThat(j.get("reason").asText()).startsWith(Cudnn.NEEDS_GPU);
  }

  @Test
  void badArgumentsAreOneLineInputErrors() {
    // the command's parse-time checks and its one-line output: GpuCheckCommandTest in the cli module
    assertThatThrownBy(() -> GpuLegs.cpu(tmp.resolve("nope"), tmp.resolve("x.json"), true))
        .isInstanceOfSatisfying(CrossalignException.class,
            e -> assertThat(e.kind()).isEqualTo(CrossalignException.Kind.INPUT))
        .hasMessageContaining("not a GPU bundle").hasMessageNotContaining("\n");
    assertThatThrownBy(() -> new CudnnLeg.Options(0, 1, 3, 20, true, false))
        .isInstanceOf(CrossalignException.class).hasMessageContaining("--repeat must be at least 2");
  }

  @Test
  void pythonLegOnCpuMatchesTfliteUnderEveryProfile() throws Exception {
    Path python = Paths.get("/usr/bin/python3");
    assumeTrue(Files.isExecutable(python) && exec(List.of(python.toString(), "-c", "import torch"), 120).exit() == 0,
        "needs Debian's python3-torch at /usr/bin/python3");
    Path profiles = Paths.get(System.getProperty("user.dir"), "cuda-config");
    Path json = tmp.resolve("torch.json");
    Run r = exec(List.of(python.toString(), script().toString(), "--bundle", bundle.toString(), "--json",
        json.toString(), "--device", "cpu", "--repeat", "2", "--profiles", profiles.toString()), 300);
    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    JsonNode j = Json.MAPPER.readTree(json.toFile());
    assertThat(j.get("path").asText()).isEqualTo("per-op-reference");
    assertThat(j.get("profiles")).hasSize(3);
    for (JsonNode p : j.get("profiles")) {
      JsonNode m = p.get("models").get(0);
      assertThat(m.get("tensors").asInt()).as(p.get("profile").asText()).isEqualTo(37);
      // PyTorch's CPU conv with TF's padding made explicit against TFLite's conv outputs
      assertThat(m.get("worst_rel_l2").asDouble()).isLessThan(1e-5);
      assertThat(m.get("bitwise_repeatable").asBoolean()).isTrue();
    }
    JsonNode det = j.get("profiles").get(0);
    assertThat(det.get("profile").asText()).isEqualTo("deterministic");
    assertThat(det.get("settings").get("cudnn.deterministic").asBoolean()).isTrue();
    assertThat(det.get("settings").get("use_deterministic_algorithms").asBoolean()).isTrue();
    assertThat(j.get("cross_profile")).hasSize(3);

    Run cuda = exec(List.of(python.toString(), script().toString(), "--bundle", bundle.toString(), "--json",
        tmp.resolve("torch-cuda.json").toString(), "--device", "cuda", "--profiles", profiles.toString()), 300);
    if (cuda.exit() != 0) { // no CUDA in this torch or on this machine: one line, and the JSON says why
      assertThat(cuda.exit()).isEqualTo(2);
      assertThat(cuda.err().strip()).startsWith("torch: unavailable: ").doesNotContain("\n");
      assertThat(Json.MAPPER.readTree(tmp.resolve("torch-cuda.json").toFile()).get("status").asText())
          .isEqualTo("unavailable");
    }
  }

  @Test
  void summaryNamesEveryLegThatDidNotRun() throws Exception {
    Path dir = tmp.resolve("summary");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("steps.tsv"), "gpu\t2\t0.0\tnvidia-smi not found: no NVIDIA driver\n"
        + "cudnn-cuda13\t2\t1.5\tgpu-check cudnn: cuDNN backend needs a GPU\n");
    Files.writeString(dir.resolve("cudnn.json"),
        "{\"leg\":\"cudnn\",\"status\":\"unavailable\",\"reason\":\"no CUDA device visible\",\"models\":[],\"layers\":[]}");
    GpuLegs.Outcome r = GpuLegs.summary(dir);
    assertThat(r.exitStatus()).isZero();
    String md = Files.readString(dir.resolve("summary.md"), StandardCharsets.UTF_8);
    assertThat(md).contains("| gpu | 2 | 0.0 | nvidia-smi not found: no NVIDIA driver |")
        .contains("- cudnn: unavailable: no CUDA device visible")
        .contains("- cpu: no cpu.json")
        .contains("- torch: no torch.json");
    JsonNode check = Json.MAPPER.readTree(dir.resolve("check.json").toFile());
    assertThat(check.get("schema").asText()).isEqualTo(Summary.SCHEMA);
    assertThat(check.get("steps")).hasSize(2);
  }

  static Path script() {
    return Paths.get(System.getProperty("user.dir"), "benchmarks", "gpu", "gpu_check.py");
  }

  static boolean gpuPresent() {
    try {
      Cudnn.require();
      return true;
    } catch (CrossalignException e) {
      return false;
    }
  }

  static Run exec(List<String> cmd, int seconds) throws Exception {
    Path outFile = Files.createTempFile(tmp, "out", ".txt");
    Path errFile = Files.createTempFile(tmp, "err", ".txt");
    Process p = new ProcessBuilder(new ArrayList<>(cmd)).redirectOutput(outFile.toFile())
        .redirectError(errFile.toFile()).start();
    if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(cmd + " took more than " + seconds + " s");
    }
    return new Run(p.exitValue(), Files.readString(outFile), Files.readString(errFile));
  }
}
