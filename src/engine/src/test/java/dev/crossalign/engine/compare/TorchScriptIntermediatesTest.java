package dev.crossalign.engine.compare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.crossalign.CrossalignException;
import dev.crossalign.align.Comparison;
import dev.crossalign.align.Verdict;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.CapturedTensor;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.engine.compare.TensorMatch.Method;
import dev.crossalign.port.OpRegistry;
import dev.crossalign.port.codegen.PyGenerator;
import dev.crossalign.port.codegen.PyTorchPackage;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tensor.Npy;
import dev.crossalign.tflite.TfliteModel;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * compare on TorchScript modules with their intermediates: a module written in the JVM (no Python), crossalign's own
 * model.pt of a real model, and torch.jit.trace / torch.jit.script of a hand port in Debian's Python PyTorch, faithful
 * and deliberately broken. Every case in both orders (same verdict, pairs, numbers and worst tensor).
 */
class TorchScriptIntermediatesTest {
  @TempDir Path dir;

  /** The reference's data tensors that are paired, over all of them (inputs left out). */
  private static double pairedFraction(Comparer.Outcome o) {
    Matching m = o.matching();
    return (double) (m.referenceTensors() - m.unmatched()) / m.referenceTensors();
  }

  private static TensorMatch pair(Matching m, String a) {
    return m.pairs().stream().filter(p -> p.a().equals(a)).findFirst()
        .orElseThrow(() -> new AssertionError(a + " unpaired: " + m.unmatchedReasons().get(a)));
  }

  @Test
  void chainWrittenInTheJvmHasEveryIntermediatePairedByNameOrStructure() throws Exception {
    Path a = dir.resolve("chain.tflite");
    Files.write(a, CompareFixtures.chainTflite());
    Path ts = dir.resolve("chain.pt");
    TorchScriptCompareTest.saveNchwChain(ts);
    Comparer.Outcome o = ThirdPartyConversionTest.bothOrders(CompareRequest.of(a, ts));
    Matching m = o.matching();
    System.out.println("chain.pt: " + m.summary() + " " + m.pairs());
    assertThat(o.result().verdict()).as(String.join("\n", o.result().notes())).isEqualTo(Verdict.ALIGNED);
    // TFLite's t1, t2, t3, y, out: the scripted variables t1, t2, y keep their names, the rest pair by structure
    assertThat(m.unmatched()).as(m.unmatchedReasons().toString()).isZero();
    assertThat(o.result().comparisons()).hasSize(6); // and the input
    assertThat(pair(m, "t2").method()).isEqualTo(Method.NAME);
    assertThat(pair(m, "t3").method()).isEqualTo(Method.STRUCTURE);
    assertThat(pair(m, "t3").permutation()).containsExactly(0, 2, 3, 1);
    assertThat(o.result().comparisons()).allSatisfy(c -> assertThat(c.metrics().maxAbs()).isLessThan(1e-5));
    assertThat(o.result().config()).containsEntry("candidate.intermediates",
        "every top-level tensor of a frozen copy of forward");
  }

  @Test
  void everyTopLevelTensorOfAJvmModuleIsCapturedInOrderAndADefaultArgumentIsBound() throws Exception {
    Path ts = dir.resolve("scaled.pt");
    TorchScriptFixture.save(ts, "x, scale: float = 2.0",
        "y = x[:, :, :, 0:1].repeat(1, 1, 1, 4)\nreturn torch.clamp(y * scale, 0.0, 6.0)");
    try (TorchScriptSide side = TorchScriptSide.open(ts, CompareRequest.TorchScriptLayout.AS_IS,
        DeterminismConfig.DETERMINISTIC)) {
      assertThat(side.whyOutputsOnly()).isNull();
      HostTensor in = CompareFixtures.rnd(3, 1, 8, 8, 3);
      Activations r = side.run(Map.of("image", in));
      List<String> ops = r.tensors().stream().map(CapturedTensor::op).toList();
      assertThat(ops.get(0)).isEqualTo("INPUT");
      assertThat(ops).contains("aten::repeat", "aten::mul").endsWith("aten::clamp");
      assertThat(r.tensors().get(0).name()).isEqualTo("x");
      assertThat(r.tensor("y").shape()).containsExactly(1, 8, 8, 4);
      assertThat(r.outputNames()).hasSize(1);
      HostTensor out = r.tensor(r.outputNames().get(0));
      for (int i = 0; i < 64; i++) {
        float v = Math.max(0f, Math.min(6f, (float) in.getDouble(i * 3) * 2f));
        for (int c = 0; c < 4; c++) {
          assertThat((float) out.getDouble(i * 4 + c)).isEqualTo(v);
          assertThat((float) r.tensor("y").getDouble(i * 4 + c)).isEqualTo((float) in.getDouble(i * 3));
        }
      }
    }
  }

  @Test
  void anArgumentWithoutDefaultLeavesOnlyTheOutputsAndTheFailureNamesTheFile() throws Exception {
    Path a = dir.resolve("chain.tflite");
    Files.write(a, CompareFixtures.chainTflite());
    Path ts = dir.resolve("needs_k.pt");
    TorchScriptFixture.save(ts, "x, k: int", "return x * k");
    try (TorchScriptSide side = TorchScriptSide.open(ts, CompareRequest.TorchScriptLayout.AS_IS,
        DeterminismConfig.DETERMINISTIC)) {
      assertThat(side.graph()).isNull();
      assertThat(side.whyOutputsOnly()).isEqualTo("forward's argument 'k' (int) is not a tensor and has no default");
    }
    assertThatThrownBy(() -> Comparer.compare(CompareRequest.of(a, ts)))
        .isInstanceOf(CrossalignException.class)
        .hasMessageStartingWith(ts + ": forward failed on the inputs");
  }

  @Test
  void crossalignsOwnModelPtOfARealModelPairsItsIntermediates() throws Exception {
    Path tflite = Path.of(".cache/models/face_detection_short_range.tflite");
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(tflite), "real models not fetched");
    Path out = dir.resolve("fd");
    PyTorchPackage.write(TfliteModel.read(tflite), OpRegistry.load(), "Model", PyGenerator.Boundary.NHWC, out);
    Comparer.Outcome o = ThirdPartyConversionTest.bothOrders(CompareRequest.of(tflite, out.resolve("model.pt")));
    Matching m = o.matching();
    double worst = o.result().comparisons().stream().mapToDouble(c -> c.metrics().relL2()).max().orElseThrow();
    System.out.println(String.format(Locale.ROOT, "model.pt of face_detection_short_range: %s; %d comparisons,"
        + " paired %.3f, max rel_l2 %.3g", m.summary(), o.result().comparisons().size(), pairedFraction(o), worst));
    assertThat(o.result().verdict()).as(String.join("\n", o.result().notes())).isEqualTo(Verdict.ALIGNED);
    assertThat(pairedFraction(o)).as(m.unmatchedReasons().toString()).isGreaterThanOrEqualTo(0.9);
    assertThat(o.result().comparisons().size()).isGreaterThan(60);
    assertThat(pair(m, "regressors").b()).isNotBlank();
  }

  // --- Debian's Python PyTorch: a hand port traced or scripted ---

  private Path weights() throws Exception {
    Path w = dir.resolve("weights");
    Files.createDirectories(w);
    Npy.write(w.resolve("w1.npy"), TorchOnnxExportTest.W1);
    Npy.write(w.resolve("b1.npy"), TorchOnnxExportTest.B1);
    Npy.write(w.resolve("gamma.npy"), TorchOnnxExportTest.GAMMA);
    Npy.write(w.resolve("beta.npy"), TorchOnnxExportTest.BETA);
    Npy.write(w.resolve("mean.npy"), TorchOnnxExportTest.MEAN);
    Npy.write(w.resolve("var.npy"), TorchOnnxExportTest.VAR);
    Npy.write(w.resolve("w2.npy"), TorchOnnxExportTest.W2);
    Npy.write(w.resolve("b2.npy"), TorchOnnxExportTest.B2);
    Npy.write(w.resolve("wf.npy"), TorchOnnxExportTest.WF);
    Npy.write(w.resolve("bf.npy"), TorchOnnxExportTest.BF);
    return w;
  }

  /** Runs torch_script.py; with {@code input}, also writes eager PyTorch's output on it to {@code eager}. */
  private Path python(String how, String broken, Path input, Path eager) throws Exception {
    TorchOnnxExportTest.needsTorch();
    Path script = dir.resolve("torch_script.py");
    try (InputStream in = getClass().getResourceAsStream("/compare/torch_script.py")) {
      Files.write(script, in.readAllBytes());
    }
    Path out = dir.resolve(how + "_" + broken + ".pt");
    List<String> cmd = new ArrayList<>(List.of(TorchOnnxExportTest.PYTHON.toString(), script.toString(),
        weights().toString(), out.toString(), how, broken));
    if (input != null) {
      cmd.add(input.toString());
      cmd.add(eager.toString());
    }
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(log).isZero();
    return out;
  }

  private Path tflite() throws Exception {
    Path p = dir.resolve("net.tflite");
    Files.write(p, TorchOnnxExportTest.tflite());
    return p;
  }

  @ParameterizedTest
  @ValueSource(strings = {"trace", "script"})
  void handPortInPythonIsAlignedWithEveryIntermediatePaired(String how) throws Exception {
    Path ts = python(how, "none", null, null);
    Comparer.Outcome o = ThirdPartyConversionTest.bothOrders(CompareRequest.of(tflite(), ts));
    Matching m = o.matching();
    System.out.println("torch.jit." + how + ": " + m.summary() + " " + m.pairs());
    assertThat(o.result().verdict()).as(String.join("\n", o.result().notes())).isEqualTo(Verdict.ALIGNED);
    // c1 (BatchNorm folded into the TFLite conv), hs, c2 (ReLU6 as hardtanh), ReduceMean, logits: all five
    assertThat(m.unmatched()).as(m.unmatchedReasons().toString()).isZero();
    assertThat(o.result().comparisons()).hasSize(6); // and the input
    for (String t : List.of("c1", "hs", "c2", "ReduceMean")) { // trace's aten::_convolution too
      assertThat(pair(m, t).method()).as(t).isEqualTo(Method.STRUCTURE);
    }
    assertThat(o.result().comparisons()).allSatisfy(c -> assertThat(c.metrics().relL2()).isLessThan(1e-5));

    // the captured output is what eager PyTorch computes on the same input (Python as the oracle)
    Activations cand = o.activations().get("candidate");
    HostTensor image = o.activations().get("reference").tensor("image");
    Path in = dir.resolve("image.npy");
    Path eager = dir.resolve("eager.npy");
    Npy.write(in, image.withLayout(Layout.ANY));
    python(how, "none", in, eager);
    HostTensor want = Npy.read(eager);
    assertThat(cand.outputNames()).hasSize(1);
    HostTensor got = cand.tensor(cand.outputNames().get(0));
    assertThat(got.shape()).containsExactly(want.shape());
    for (int i = 0; i < want.numel(); i++) {
      assertThat(got.getDouble(i)).isCloseTo(want.getDouble(i), org.assertj.core.data.Offset.offset(1e-5));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"trace", "script"})
  void wrongPadInThePortIsCaughtAtTheSecondConv(String how) throws Exception {
    Comparer.Outcome o = ThirdPartyConversionTest.bothOrders(CompareRequest.of(tflite(), python(how, "pad", null,
        null)));
    Comparison first = o.result().firstDivergence();
    System.out.println("torch.jit." + how + " wrong pad: " + o.matching().summary() + "; first divergence "
        + first.name() + " rel_l2 " + first.metrics().relL2());
    assertThat(o.result().verdict()).isEqualTo(Verdict.MISALIGNED);
    assertThat(first.name()).isEqualTo("c2");
    assertThat(pair(o.matching(), "c2").method()).isEqualTo(Method.STRUCTURE); // the pad looked through
    // everything before it agrees
    assertThat(o.result().comparisons().stream().filter(c -> c.name().equals("c1") || c.name().equals("hs")))
        .hasSize(2).allSatisfy(c -> assertThat(c.passed()).isTrue());
  }

  @ParameterizedTest
  @ValueSource(strings = {"trace", "script"})
  void swappedChannelsInThePortAreCaughtAtTheFirstConv(String how) throws Exception {
    Comparer.Outcome o = ThirdPartyConversionTest.bothOrders(CompareRequest.of(tflite(), python(how, "channels", null,
        null)));
    Comparison first = o.result().firstDivergence();
    System.out.println("torch.jit." + how + " swapped channels: " + o.matching().summary() + "; first divergence "
        + first.name() + " rel_l2 " + first.metrics().relL2());
    assertThat(o.result().verdict()).isEqualTo(Verdict.MISALIGNED);
    assertThat(first.name()).isEqualTo("c1");
  }
}
