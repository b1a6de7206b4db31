package dev.crossalign.report;

import dev.crossalign.align.Aligner;
import dev.crossalign.align.AlignmentResult;
import dev.crossalign.align.Comparison;
import dev.crossalign.align.Mode;
import dev.crossalign.align.Tolerance;
import dev.crossalign.UnsupportedOp;
import dev.crossalign.backend.Activations;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Small results built from scratch each time (never cached), so two builds are two independent computations. */
final class ReportFixtures {
  private ReportFixtures() {}

  static HostTensor vec(float... v) {
    return HostTensor.ofFloats(new int[] {v.length}, Layout.ANY, v);
  }

  static HostTensor nhwc(float... v) {
    return HostTensor.ofFloats(new int[] {1, 1, 2, 2}, Layout.NHWC, v);
  }

  /**
   * tflite reference: in [1,2,3,4] -> conv (NHWC [1,1,2,2]) -> nanny (has a NaN) -> head [6] -> out.
   * torch candidate: conv NCHW permuted, "mid" differs in its last element (4 -> 5), head reshaped to [2,3].
   */
  static AlignmentResult misaligned() {
    Activations ref = Activations.builder("tflite")
        .add("in", "INPUT", 0, vec(1, 2, 3, 4))
        .add("conv", "CONV_2D", 1, nhwc(1, 2, 3, 4))
        .add("mid", "ADD", 2, vec(1, 2, 3, 4))
        .add("nanny", "DIV", 3, vec(Float.NaN, Float.NaN))
        .add("head", "RESHAPE", 4, vec(1, 2, 3, 4, 5, 6))
        .add("out", "SOFTMAX", 5, vec(0.5f, 0.5f))
        .output("out")
        .build();
    // NCHW [1,2,1,2] holding the NHWC [1,1,2,2] values 1,2,3,4: c0 = (1,3), c1 = (2,4)
    Activations cand = Activations.builder("torch")
        .add("in", "INPUT", 0, vec(1, 2, 3, 4))
        .add("conv", "CONV_2D", 1, HostTensor.ofFloats(new int[] {1, 2, 1, 2}, Layout.NCHW, new float[] {1, 3, 2, 4}))
        .add("mid", "ADD", 2, vec(1, 2, 3, 5))
        .add("nanny", "DIV", 3, vec(Float.NaN, Float.NaN))
        .add("head", "RESHAPE", 4, HostTensor.ofFloats(new int[] {4, 2}, Layout.ANY, new float[8]))
        .add("out", "SOFTMAX", 5, vec(0.5f, 0.5f))
        .build();
    List<Comparison> cs = new ArrayList<>();
    cs.addAll(Aligner.compare(ref, cand, Mode.CHAINED, Tolerance.DEFAULT));
    cs.addAll(Aligner.compare(ref, cand, Mode.ISOLATED, Tolerance.DEFAULT));
    Map<String, String> config = new LinkedHashMap<>();
    config.put("threads", "1");
    config.put("deterministic", "true");
    Map<String, Double> timing = new LinkedHashMap<>();
    timing.put("torch", 12.5);
    timing.put("compare", 0.25);
    return AlignmentResult.of("face.tflite", "cpu", 42, Tolerance.DEFAULT, List.of("tflite", "torch"), cs,
        List.of(new UnsupportedOp("CUSTOM_X", 2, "no torch lowering")),
        List.of("naive padding would have cost 1.2e-01 max_abs"), timing, config);
  }

  static AlignmentResult aligned() {
    Activations ref = Activations.builder("tflite")
        .add("a", "INPUT", 0, vec(1, 2))
        .add("b", "ADD", 1, vec(1, 2))
        .output("b")
        .build();
    // b differs by ~3.1e-07 relative: ||d|| / ||(1,2)|| with d = (0, 6.93e-7)
    Activations cand = Activations.builder("torch")
        .add("a", "INPUT", 0, vec(1, 2))
        .add("b", "ADD", 1, vec(1, 2.000000693f))
        .build();
    List<Comparison> cs = new ArrayList<>();
    cs.addAll(Aligner.compare(ref, cand, Mode.CHAINED, Tolerance.DEFAULT));
    cs.addAll(Aligner.compare(ref, cand, Mode.ISOLATED, Tolerance.DEFAULT));
    return AlignmentResult.of("tiny.tflite", "cuda:0", 1, Tolerance.DEFAULT, List.of("tflite", "torch"), cs,
        List.of(), List.of(), Map.of("total", 3.0), Map.of());
  }
}
