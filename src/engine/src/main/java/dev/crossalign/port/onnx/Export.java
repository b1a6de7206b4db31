package dev.crossalign.port.onnx;

import dev.crossalign.UnsupportedOp;
import dev.crossalign.onnx.OnnxModel;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The result of {@link Exporter#export}: the model, which ONNX tensor names stand for which TFLite tensors (each
 * tensor's layout sits in the model metadata under {@link OnnxModel#META_LAYOUT_PREFIX} + ONNX name), and the ops that
 * could not be exported (always empty in what {@link Exporter#export} returns: a graph with any is refused; {@link
 * Exporter#check} lists them).
 */
public record Export(OnnxModel model, Map<String, String> onnxToTflite, List<UnsupportedOp> unsupported) {
  public Export {
    // graph inputs, then op outputs in execution order, then graph outputs
    onnxToTflite = Collections.unmodifiableMap(new LinkedHashMap<>(onnxToTflite));
    unsupported = List.copyOf(unsupported);
  }
}
