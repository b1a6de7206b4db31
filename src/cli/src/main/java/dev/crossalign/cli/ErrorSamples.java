package dev.crossalign.cli;

import dev.crossalign.align.AlignmentResult;
import dev.crossalign.align.Comparison;
import dev.crossalign.backend.Activations;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.util.List;
import java.util.Map;

/** |ref - cand| of the worst tensor, for the HTML report's error histogram. */
final class ErrorSamples {
  private static final int MAX = 1 << 20;

  private ErrorSamples() {}

  /**
   * The run of {@code backend} that comparison {@code c} read: "NAME.isolated" for isolated mode (the port and ONNX
   * Runtime have one; the reference has not), else "NAME"; a weight tensor from whichever run holds it.
   */
  private static Activations run(Map<String, Activations> runs, String backend, Comparison c) {
    Activations plain = runs.get(backend);
    Activations isolated = runs.get(backend + ".isolated");
    return switch (c.mode()) {
      case ISOLATED -> isolated != null ? isolated : plain;
      case CHAINED -> plain;
      case WEIGHTS -> plain != null && plain.tensor(c.name()) != null ? plain : isolated;
    };
  }

  static Map<String, float[]> of(AlignmentResult result, Map<String, Activations> runs) {
    List<Comparison> worst = result.worstFirst();
    if (worst.isEmpty() || worst.get(0).metrics() == null) {
      return Map.of();
    }
    Comparison c = worst.get(0);
    String[] pair = c.pair().split("~");
    if (pair.length != 2) {
      return Map.of();
    }
    Activations ref = run(runs, pair[0], c);
    Activations cand = run(runs, pair[1], c);
    if (ref == null || cand == null || ref.tensor(c.name()) == null || cand.tensor(c.name()) == null) {
      return Map.of();
    }
    HostTensor a = ref.tensor(c.name());
    HostTensor b = cand.tensor(c.name());
    if (b.layout() == Layout.NCHW && b.rank() == 4 && a.rank() == 4) {
      b = b.permute(Layout.nchwToNhwc(), Layout.NHWC);
    }
    if (a.numel() != b.numel()) {
      return Map.of();
    }
    int n = (int) Math.min(a.numel(), MAX);
    long stride = Math.max(1, a.numel() / n);
    float[] err = new float[n];
    for (int i = 0; i < n; i++) {
      long k = i * stride;
      err[i] = (float) Math.abs(a.getDouble(k) - b.getDouble(k));
    }
    return Map.of(c.name(), err);
  }
}
