package dev.crossalign.engine.compare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.crossalign.align.Verdict;
import dev.crossalign.engine.compare.TensorMatch.Method;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tensor.Npy;
import dev.crossalign.tflite.Activation;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.Padding;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteWriter;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ONNX written by torch.onnx.export (Debian's python3-torch) against the same network as a writer-built TFLite
 * model: conv + BatchNorm (folded into the TFLite conv) + Hardswish (one HardSwish op at opset 14; HardSigmoid and
 * Mul at opset 13) + conv with ReLU6 (Clip) + mean + Linear (Gemm); NHWC input permuted inside the PyTorch module.
 * Skipped when Python PyTorch is missing, except under CI=true (where .ci/run installs it).
 */
class TorchOnnxExportTest {
  static final Path PYTHON = Path.of("/usr/bin/python3");
  @TempDir Path dir;

  @BeforeAll
  static void needsTorch() throws Exception {
    boolean ok = false;
    if (Files.isExecutable(PYTHON)) {
      Process p = new ProcessBuilder(PYTHON.toString(), "-c", "import torch, onnx").redirectErrorStream(true).start();
      ok = p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0;
    }
    if (!ok && "true".equals(System.getenv("CI"))) {
      fail("python3 with torch and onnx is missing: CI installs python3-torch python3-onnx (see .ci/run)");
    }
    assumeTrue(ok, "/usr/bin/python3 cannot import torch and onnx (apt-get install python3-torch python3-onnx)");
  }

  static final HostTensor W1 = CompareFixtures.rnd(11, 8, 3, 3, 3);
  static final HostTensor B1 = CompareFixtures.rnd(12, 8);
  static final HostTensor GAMMA = plus(CompareFixtures.rnd(13, 8), 1.0f);
  static final HostTensor BETA = CompareFixtures.rnd(14, 8);
  static final HostTensor MEAN = CompareFixtures.rnd(15, 8);
  static final HostTensor VAR = plus(CompareFixtures.rnd(16, 8), 1.0f);
  static final HostTensor W2 = CompareFixtures.rnd(17, 8, 3, 3, 8);
  static final HostTensor B2 = CompareFixtures.rnd(18, 8);
  static final HostTensor WF = CompareFixtures.rnd(19, 5, 8);
  static final HostTensor BF = CompareFixtures.rnd(20, 5);

  private static HostTensor plus(HostTensor t, float c) {
    float[] v = t.toFloatArray();
    for (int i = 0; i < v.length; i++) {
      v[i] += c;
    }
    return HostTensor.ofFloats(t.shape(), Layout.ANY, v);
  }

  /** The TFLite side: BatchNorm folded into the first conv, as the TFLite converter does. */
  static byte[] tflite() {
    float[] w = W1.toFloatArray();
    float[] b = B1.toFloatArray();
    float[] g = GAMMA.toFloatArray();
    float[] be = BETA.toFloatArray();
    float[] m = MEAN.toFloatArray();
    float[] v = VAR.toFloatArray();
    int per = w.length / 8;
    float[] wf = new float[w.length];
    float[] bf = new float[8];
    for (int o = 0; o < 8; o++) {
      double s = g[o] / Math.sqrt(v[o] + 1e-5);
      for (int k = 0; k < per; k++) {
        wf[o * per + k] = (float) (w[o * per + k] * s);
      }
      bf[o] = (float) ((b[o] - m[o]) * s + be[o]);
    }
    TfliteWriter t = new TfliteWriter();
    int x = t.input("image", TensorType.FLOAT32, 1, 8, 8, 3);
    int w1 = t.constant("w1", HostTensor.ofFloats(W1.shape(), Layout.ANY, wf));
    int b1 = t.constant("b1", HostTensor.ofFloats(new int[] {8}, Layout.ANY, bf));
    int w2 = t.constant("w2", W2);
    int b2 = t.constant("b2", B2);
    int fw = t.constant("wf", WF);
    int fb = t.constant("bf", BF);
    int axes = t.constant("axes", HostTensor.ofInts(new int[] {2}, Layout.ANY, new int[] {1, 2}));
    int c1 = t.tensor("c1", TensorType.FLOAT32, 1, 8, 8, 8);
    int h = t.tensor("hs", TensorType.FLOAT32, 1, 8, 8, 8);
    int c2 = t.tensor("c2", TensorType.FLOAT32, 1, 8, 8, 8);
    int mean = t.tensor("ReduceMean", TensorType.FLOAT32, 1, 8); // torch.onnx names it /ReduceMean_output_0
    int out = t.tensor("logits", TensorType.FLOAT32, 1, 5);
    t.op(BuiltinOp.CONV_2D, new OpOptions.Conv2D(Padding.SAME, 1, 1, Activation.NONE, 1, 1), new int[] {x, w1, b1},
        new int[] {c1});
    t.op(BuiltinOp.HARD_SWISH, new OpOptions.None(), new int[] {c1}, new int[] {h});
    t.op(BuiltinOp.CONV_2D, new OpOptions.Conv2D(Padding.SAME, 1, 1, Activation.RELU6, 1, 1), new int[] {h, w2, b2},
        new int[] {c2});
    t.op(BuiltinOp.MEAN, new OpOptions.Reducer(false), new int[] {c2, axes}, new int[] {mean});
    t.op(BuiltinOp.FULLY_CONNECTED, new OpOptions.FullyConnected(Activation.NONE, 0, false),
        new int[] {mean, fw, fb}, new int[] {out});
    t.outputs(out);
    return t.build();
  }

  private Path export(int opset, boolean fp16) throws Exception {
    Path w = dir.resolve("weights");
    Files.createDirectories(w);
    Npy.write(w.resolve("w1.npy"), W1);
    Npy.write(w.resolve("b1.npy"), B1);
    Npy.write(w.resolve("gamma.npy"), GAMMA);
    Npy.write(w.resolve("beta.npy"), BETA);
    Npy.write(w.resolve("mean.npy"), MEAN);
    Npy.write(w.resolve("var.npy"), VAR);
    Npy.write(w.resolve("w2.npy"), W2);
    Npy.write(w.resolve("b2.npy"), B2);
    Npy.write(w.resolve("wf.npy"), WF);
    Npy.write(w.resolve("bf.npy"), BF);
    Path script = dir.resolve("torch_export.py");
    try (InputStream in = getClass().getResourceAsStream("/compare/torch_export.py")) {
      Files.write(script, in.readAllBytes());
    }
    Path out = dir.resolve("torch_" + opset + (fp16 ? "_fp16" : "") + ".onnx");
    List<String> cmd = new ArrayList<>(List.of(PYTHON.toString(), script.toString(), w.toString(), out.toString(),
        Integer.toString(opset)));
    if (fp16) {
      cmd.add("fp16");
    }
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(log).isZero();
    return out;
  }

  private Path tflitePath() throws Exception {
    Path p = dir.resolve("net.tflite");
    Files.write(p, tflite());
    return p;
  }

  @ParameterizedTest
  @ValueSource(ints = {13, 14})
  void torchExportIsAlignedWithEveryTensorPairedInBothOrders(int opset) throws Exception {
    Path onnx = export(opset, false);
    Comparer.Outcome o = ThirdPartyConversionTest.bothOrders(CompareRequest.of(tflitePath(), onnx));
    Matching m = o.matching();
    System.out.println("torch.onnx.export opset " + opset + ": " + m.summary() + " " + m.pairs());
    assertThat(o.result().verdict()).as(String.join("\n", o.result().notes())).isEqualTo(Verdict.ALIGNED);
    assertThat(m.unmatched()).as(m.unmatchedReasons().toString()).isZero();
    // torch.onnx's "/ReduceMean_output_0" is TFLite's "ReduceMean" once its spelling is undone
    assertThat(pair(m, "ReduceMean").method()).isEqualTo(Method.NAME);
    assertThat(pair(m, "logits").method()).isEqualTo(Method.NAME);
    // Hardswish: one op at opset 14; HardSigmoid + Mul at 13, found downstream of the paired conv
    assertThat(pair(m, "hs").method()).isEqualTo(opset >= 14 ? Method.STRUCTURE : Method.REGION);
    // BatchNorm folded on the TFLite side: c1 pairs with the normalized tensor
    assertThat(o.result().comparisons()).allSatisfy(c -> assertThat(c.metrics().relL2()).isLessThan(1e-5));
  }

  @Test
  void fp16RoundedWeightInTheTorchModelIsMisalignedAtItsConv() throws Exception {
    Path onnx = export(14, true);
    Comparer.Outcome o = ThirdPartyConversionTest.bothOrders(CompareRequest.of(tflitePath(), onnx));
    assertThat(o.result().verdict()).isEqualTo(Verdict.MISALIGNED);
    assertThat(o.result().firstDivergence().name()).isEqualTo("c2");
    System.out.println("fp16 conv2 weight: rel_l2 " + o.result().firstDivergence().metrics().relL2());
  }

  private static TensorMatch pair(Matching m, String a) {
    return m.pairs().stream().filter(p -> p.a().equals(a)).findFirst().orElseThrow(() -> new AssertionError(a));
  }
}
