package dev.crossalign.engine.compare;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.align.Verdict;
import dev.crossalign.engine.compare.TensorMatch.Method;
import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.Activation;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.Padding;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Idioms one converter spells differently from another, by structure alone (value matching off), both orders: the
 * TFLite side folds BatchNorm into its conv, fuses ReLU6, reshapes NHWC to a vector and runs FULLY_CONNECTED; the ONNX
 * side keeps Conv + BatchNormalization + Clip, transposes back to NHWC, Flattens, and does MatMul + Add.
 */
class ConverterIdiomsTest {
  @TempDir Path dir;

  static final HostTensor W = CompareFixtures.rnd(31, 4, 3, 3, 3);
  static final HostTensor B = CompareFixtures.rnd(32, 4);
  static final float[] GAMMA = {1.5f, 0.5f, 2f, 1f};
  static final float[] BETA = {0.1f, -0.2f, 0.3f, 0f};
  static final float[] MEAN = {0.05f, -0.1f, 0.2f, 0.02f};
  static final float[] VAR = {0.5f, 2f, 1f, 0.25f};
  static final HostTensor FC = CompareFixtures.rnd(33, 5, 256);
  static final HostTensor FB = CompareFixtures.rnd(34, 5);

  static byte[] tflite() {
    float[] w = W.toFloatArray();
    float[] b = B.toFloatArray();
    float[] wf = new float[w.length];
    float[] bf = new float[4];
    int per = w.length / 4;
    for (int o = 0; o < 4; o++) {
      double s = GAMMA[o] / Math.sqrt(VAR[o] + 1e-5);
      for (int k = 0; k < per; k++) {
        wf[o * per + k] = (float) (w[o * per + k] * s);
      }
      bf[o] = (float) ((b[o] - MEAN[o]) * s + BETA[o]);
    }
    TfliteWriter t = new TfliteWriter();
    int x = t.input("x", TensorType.FLOAT32, 1, 8, 8, 3);
    int w1 = t.constant("w", HostTensor.ofFloats(W.shape(), Layout.ANY, wf));
    int b1 = t.constant("b", HostTensor.ofFloats(new int[] {4}, Layout.ANY, bf));
    int shape = t.constant("shape", HostTensor.ofInts(new int[] {2}, Layout.ANY, new int[] {1, 256}));
    int fw = t.constant("fw", FC);
    int fb = t.constant("fb", FB);
    int c = t.tensor("c", TensorType.FLOAT32, 1, 8, 8, 4);
    int r = t.tensor("r", TensorType.FLOAT32, 1, 256);
    int out = t.tensor("out", TensorType.FLOAT32, 1, 5);
    t.op(BuiltinOp.CONV_2D, new OpOptions.Conv2D(Padding.SAME, 1, 1, Activation.RELU6, 1, 1), new int[] {x, w1, b1},
        new int[] {c});
    t.op(BuiltinOp.RESHAPE, new OpOptions.Reshape(new int[] {1, 256}), new int[] {c, shape}, new int[] {r});
    t.op(BuiltinOp.FULLY_CONNECTED, new OpOptions.FullyConnected(Activation.NONE, 0, false), new int[] {r, fw, fb},
        new int[] {out});
    t.outputs(out);
    return t.build();
  }

  static dev.crossalign.onnx.OnnxModel onnx() {
    OnnxGraphBuilder g = new OnnxGraphBuilder("idioms");
    g.addInput("in", DType.FLOAT32, new int[] {1, 8, 8, 3});
    g.addInitializer("W", W.permute(new int[] {0, 3, 1, 2}, Layout.ANY));
    g.addInitializer("B", B);
    g.addInitializer("gamma", HostTensor.ofFloats(new int[] {4}, Layout.ANY, GAMMA));
    g.addInitializer("beta", HostTensor.ofFloats(new int[] {4}, Layout.ANY, BETA));
    g.addInitializer("mean", HostTensor.ofFloats(new int[] {4}, Layout.ANY, MEAN));
    g.addInitializer("var", HostTensor.ofFloats(new int[] {4}, Layout.ANY, VAR));
    g.addInitializer("lo", HostTensor.ofFloats(new int[0], Layout.ANY, new float[] {0f}));
    g.addInitializer("hi", HostTensor.ofFloats(new int[0], Layout.ANY, new float[] {6f}));
    g.addInitializer("Wt", FC.permute(new int[] {1, 0}, Layout.ANY));
    g.addInitializer("Fb", FB);
    g.addNode("Transpose", List.of("in"), List.of("n0"), OnnxGraphBuilder.attrs().putInts("perm", 0, 3, 1, 2));
    g.addNode("Conv", List.of("n0", "W", "B"), List.of("n1"),
        OnnxGraphBuilder.attrs().putInts("pads", 1, 1, 1, 1).putInts("kernel_shape", 3, 3));
    g.addNode("BatchNormalization", List.of("n1", "gamma", "beta", "mean", "var"), List.of("n2"));
    g.addNode("Clip", List.of("n2", "lo", "hi"), List.of("n3"));
    g.addNode("Transpose", List.of("n3"), List.of("n4"), OnnxGraphBuilder.attrs().putInts("perm", 0, 2, 3, 1));
    g.addNode("Flatten", List.of("n4"), List.of("n5"), OnnxGraphBuilder.attrs().putInt("axis", 1));
    g.addNode("MatMul", List.of("n5", "Wt"), List.of("n6"));
    g.addNode("Add", List.of("n6", "Fb"), List.of("n7"));
    g.addOutput("n7", DType.FLOAT32, new int[] {1, 5});
    return g.build();
  }

  @Test
  void bnUnfoldedFlattenAndMatMulAddPairByStructureAlone() throws Exception {
    Path a = dir.resolve("idioms.tflite");
    Files.write(a, tflite());
    Path b = dir.resolve("idioms.onnx");
    onnx().write(b);
    Comparer.Outcome o = ThirdPartyConversionTest.bothOrders(CompareRequest.of(a, b).withValueMatching(false));
    Matching m = o.matching();
    assertThat(o.result().verdict()).as(String.join("\n", o.result().notes())).isEqualTo(Verdict.ALIGNED);
    assertThat(m.unmatched()).as(m.unmatchedReasons().toString()).isZero();
    // c (BatchNorm folded, ReLU6 fused) is ONNX's Clip after Conv + BatchNormalization, taken in its NHWC transpose
    TensorMatch c = m.pairs().stream().filter(p -> p.a().equals("c")).findFirst().orElseThrow();
    assertThat(c.b()).isEqualTo("n4");
    assertThat(c.permutation()).isNull();
    assertThat(c.method()).isEqualTo(Method.STRUCTURE);
    // the reshape pairs with ONNX's Flatten of the NHWC transpose, exactly its shape
    assertThat(m.pairs().stream().filter(p -> p.a().equals("r")).findFirst().orElseThrow().b()).isEqualTo("n5");
    // FULLY_CONNECTED is MatMul + Add
    assertThat(m.pairs().stream().filter(p -> p.a().equals("out")).findFirst().orElseThrow().b()).isEqualTo("n7");
    assertThat(o.result().comparisons()).allSatisfy(x -> assertThat(x.metrics().relL2()).isLessThan(1e-5));
  }

  @Test
  void torchOnnxNamesMatchOnceTheirSpellingIsUndone() {
    assertThat(TensorMatcher.normalizedName("/layer1/conv/Conv_output_0")).isEqualTo("layer1/conv/conv");
    assertThat(TensorMatcher.normalizedName("layer1.conv.Conv")).isEqualTo("layer1/conv/conv");
    assertThat(TensorMatcher.normalizedName("model/dense/BiasAdd:0")).isEqualTo("model/dense/biasadd");
  }
}
