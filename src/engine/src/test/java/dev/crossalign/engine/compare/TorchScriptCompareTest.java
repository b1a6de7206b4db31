package dev.crossalign.engine.compare;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.align.Verdict;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TorchScriptCompareTest {
  @TempDir Path dir;

  private Comparer.Outcome compare(Path a, Path ts) {
    return Comparer.compare(new CompareRequest(a, null, ts, CompareRequest.TorchScriptLayout.AUTO,
        dev.crossalign.engine.RunSpec.DEFAULT, true));
  }

  @Test
  void torchScriptOutputsAreComparedByOrder() throws Exception {
    Path a = dir.resolve("chain.tflite");
    Files.write(a, CompareFixtures.chainTflite());
    // not the network: its output has the shape and (after clamping) the value range, but not the values
    Path ts = dir.resolve("wrong.pt");
    TorchScriptFixture.save(ts, "return torch.clamp(x[:, :, :, 0:1].repeat(1, 1, 1, 4), 0.0, 6.0)");
    Comparer.Outcome o = compare(a, ts);
    assertThat(o.result().verdict()).isEqualTo(Verdict.MISALIGNED);
    assertThat(o.matching().byOutputOrder()).isEqualTo(1);
  }

  private static String literal(dev.crossalign.tensor.HostTensor t, int[] perm, int... shape) {
    float[] v = t.permute(perm, dev.crossalign.tensor.Layout.ANY).toFloatArray();
    StringBuilder b = new StringBuilder("torch.tensor([");
    for (int i = 0; i < v.length; i++) {
      b.append(i == 0 ? "" : ", ").append(Float.toString(v[i]));
    }
    b.append("]).reshape([");
    for (int i = 0; i < shape.length; i++) {
      b.append(i == 0 ? "" : ", ").append(shape[i]);
    }
    return b.append("])").toString();
  }

  /** The chain as an NCHW TorchScript port written in the JVM (variables t1, t2, y named like the TFLite tensors). */
  static void saveNchwChain(Path ts) {
    int[] id = {0};
    String body = String.join("\n",
        "w1 = " + literal(CompareFixtures.W1, new int[] {0, 3, 1, 2}, 4, 3, 3, 3),
        "b1 = " + literal(CompareFixtures.B1, id, 4),
        "w2 = " + literal(CompareFixtures.W2, new int[] {0, 3, 1, 2}, 4, 4, 3, 3),
        "b2 = " + literal(CompareFixtures.B2, id, 4),
        "wd = " + literal(CompareFixtures.WD, new int[] {3, 0, 1, 2}, 4, 1, 3, 3),
        "bd = " + literal(CompareFixtures.BD, id, 4),
        "t1 = torch.relu(torch.conv2d(x, w1, b1, [1, 1], [1, 1]))",
        "t2 = torch.conv2d(t1, w2, b2, [1, 1], [1, 1])",
        "y = torch.relu(t1 + t2)",
        "return torch.clamp(torch.conv2d(y, wd, bd, [1, 1], [1, 1], [1, 1], 4), 0.0, 6.0)");
    TorchScriptFixture.save(ts, body);
  }

  @Test
  void nchwTorchScriptPortOfTheChainAlignsWithInputsPermutedByAuto() throws Exception {
    Path a = dir.resolve("chain.tflite");
    Files.write(a, CompareFixtures.chainTflite());
    Path ts = dir.resolve("chain.pt");
    saveNchwChain(ts);
    Comparer.Outcome o = compare(a, ts);
    assertThat(o.result().verdict()).isEqualTo(Verdict.ALIGNED);
    assertThat(o.result().notes()).anyMatch(n -> n.contains("permuted NHWC->NCHW"));
    var out = o.result().comparisons().stream().filter(c -> c.name().equals("out")).findFirst().orElseThrow();
    assertThat(out.permutation()).containsExactly(0, 2, 3, 1);
    assertThat(out.metrics().maxAbs()).isLessThan(1e-5);
    assertThat(out.pair()).isEqualTo("tflite~torchscript");
  }
}
