package dev.crossalign.report;

import dev.crossalign.align.Aligner;
import dev.crossalign.align.AlignmentResult;
import dev.crossalign.align.Comparison;
import dev.crossalign.align.Mode;
import dev.crossalign.align.Tolerance;
import dev.crossalign.backend.Activations;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A model-sized result: 150 tensors x 2 candidates x 2 modes = 600 comparisons, built from real tensors. */
final class HtmlFixtures {
  static final int TENSORS = 150;
  static final int N = 64;
  /** Position of the tensor where the torch candidate diverges: cand[3] = 4.5 where ref[3] = 4. */
  static final int BAD = 97;
  static final String BAD_NAME = "model/block_12/conv/Conv2D";
  /** A tensor name that would run script if it were not escaped. Position 5, passes everywhere. */
  static final String XSS_NAME = "x<script>alert(\"pwned\")</script><img src=x onerror=alert(1)>&amp;'";
  static final String[] OPS = {"CONV_2D", "DEPTHWISE_CONV_2D", "ADD", "HARD_SWISH", "PAD", "RESHAPE"};

  private HtmlFixtures() {}

  static String name(int i) {
    return i == BAD ? BAD_NAME : (i == 5 ? XSS_NAME : "model/layer_" + i + "/" + OPS[i % OPS.length]);
  }

  /** ref[k]: 1..64 for the bad tensor (so its means are closed-form), a smooth pattern elsewhere. */
  static float[] ref(int i) {
    float[] v = new float[N];
    for (int k = 0; k < N; k++) {
      v[k] = i == BAD ? k + 1 : (float) Math.sin(0.37 * i + 0.11 * k) * (1 + i % 7);
    }
    return v;
  }

  static AlignmentResult big() {
    Activations.Builder ref = Activations.builder("tflite");
    Activations.Builder torchChained = Activations.builder("torch");
    Activations.Builder torchIsolated = Activations.builder("torch");
    Activations.Builder onnx = Activations.builder("onnx");
    for (int i = 0; i < TENSORS; i++) {
      float[] r = ref(i);
      float[] chained = r.clone();
      float[] isolated = r.clone();
      float[] o = r.clone();
      for (int k = 0; k < N; k++) {
        // within atol 1e-5: a few ulps of float32 noise, growing with depth
        float eps = (float) (1e-8 * (1 + i % 13) * ((k % 3) - 1));
        chained[k] += eps;
        isolated[k] += eps;
        o[k] += eps / 2;
      }
      if (i == BAD) {
        chained[3] = 4.5f;
        isolated[3] = 4.5f;
      } else if (i > BAD) {
        // chained: the error travels downstream
        chained[k(i)] += 1e-3f * (1 + (i - BAD) % 5);
      }
      String name = name(i);
      String op = i == 0 ? "INPUT" : OPS[i % OPS.length];
      ref.add(name, op, i, t(r));
      torchChained.add(name, op, i, t(chained));
      torchIsolated.add(name, op, i, t(isolated));
      onnx.add(name, op, i, t(o));
    }
    ref.output(name(TENSORS - 1));
    Activations reference = ref.build();
    List<Comparison> cs = new ArrayList<>();
    cs.addAll(Aligner.compare(reference, torchChained.build(), Mode.CHAINED, Tolerance.DEFAULT));
    cs.addAll(Aligner.compare(reference, torchIsolated.build(), Mode.ISOLATED, Tolerance.DEFAULT));
    Activations onnxActs = onnx.build();
    cs.addAll(Aligner.compare(reference, onnxActs, Mode.CHAINED, Tolerance.DEFAULT));
    cs.addAll(Aligner.compare(reference, onnxActs, Mode.ISOLATED, Tolerance.DEFAULT));
    Map<String, String> config = new LinkedHashMap<>();
    config.put("mode", "both");
    config.put("torch.version", "2.10.0");
    config.put("tflite.version", "2.20.0");
    config.put("onnxruntime.version", "1.29.0");
    config.put("input_range", "-1.0..1.0");
    Map<String, Double> timing = new LinkedHashMap<>();
    timing.put("tflite", 41.0);
    timing.put("torch", 230.5);
    return AlignmentResult.of("face_detection_short_range.tflite", "cpu", 7, Tolerance.DEFAULT,
        List.of("tflite", "torch", "onnx"), cs, List.of(), List.of("a note with <b>markup</b>"), timing, config);
  }

  private static int k(int i) {
    return (i * 7) % N;
  }

  private static HostTensor t(float[] v) {
    return HostTensor.ofFloats(new int[] {1, 4, 4, 4}, Layout.ANY, v);
  }
}
