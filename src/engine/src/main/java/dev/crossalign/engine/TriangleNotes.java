package dev.crossalign.engine;

import dev.crossalign.align.Comparison;
import java.util.ArrayList;
import java.util.List;

/**
 * Which edge of the tflite/torch/onnxruntime triangle broke first: the conversion (TFLite -> port) or the export
 * (port -> ONNX). Said only when a three-way run has a failure.
 */
final class TriangleNotes {
  private TriangleNotes() {}

  static List<String> of(List<Comparison> comparisons) {
    Comparison conversion = first(comparisons, "tflite~torch");
    Comparison export = first(comparisons, "torch~onnxruntime");
    Comparison endToEnd = first(comparisons, "tflite~onnxruntime");
    boolean threeWay = comparisons.stream().anyMatch(c -> c.pair().equals("torch~onnxruntime"));
    List<String> notes = new ArrayList<>();
    if (!threeWay || (conversion == null && export == null && endToEnd == null)) {
      return notes;
    }
    if (conversion != null) {
      notes.add("triangle: the conversion TFLite -> torch port broke first, at '" + conversion.name() + "' (" + conversion.op() + ", "
          + conversion.mode().jsonName() + ")");
    }
    if (export != null) {
      notes.add("triangle: the export torch port -> ONNX broke" + (conversion == null ? " first" : " too") + ", at '" + export.name()
          + "' (" + export.op() + ")");
    }
    if (conversion == null && export == null && endToEnd != null) {
      notes.add("triangle: TFLite and ONNX Runtime differ at '" + endToEnd.name() + "' while each agrees with the port within"
          + " tolerance: the two errors add up");
    }
    return notes;
  }

  private static Comparison first(List<Comparison> comparisons, String pair) {
    Comparison best = null;
    for (Comparison c : comparisons) {
      if (c.pair().equals(pair) && !c.passed() && (best == null || order(c) < order(best))) {
        best = c;
      }
    }
    return best;
  }

  private static long order(Comparison c) {
    return c.index() < 0 ? Long.MAX_VALUE : c.index();
  }
}
