package dev.crossalign.engine;

import dev.crossalign.backend.Activations;
import dev.crossalign.backend.onnx.OrtBackend;
import dev.crossalign.backend.onnx.OrtOptions;
import dev.crossalign.port.onnx.Export;
import dev.crossalign.port.onnx.ExportOptions;
import dev.crossalign.port.onnx.Exporter;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.IsolatedForm;
import dev.crossalign.tflite.TfliteModel;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Isolated mode on ONNX Runtime: the model's isolated form (every op reading its run-time inputs from graph inputs of
 * its own) exported and fed the reference's tensors, so each ONNX op's error is its own, in one session. Used by the
 * validation's ONNX leg and by the numerics lab.
 */
public final class IsolatedOrt {
  private IsolatedOrt() {}

  /** The isolated run's tensors, or null when the reference lacks a tensor an op reads (a placeholder's output). */
  public static Activations run(TfliteModel model, Activations reference, OrtOptions opts) {
    IsolatedForm.Result iso = IsolatedForm.of(model);
    Export export = Exporter.export(iso.model(), ExportOptions.DEFAULT);
    Map<String, HostTensor> feeds = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : iso.inputFor().entrySet()) {
      HostTensor t = reference.tensor(e.getValue());
      if (t == null) {
        return null;
      }
      feeds.put(e.getKey(), t.layout() == Layout.NCHW && t.rank() == 4
          ? t.permute(Layout.nchwToNhwc(), Layout.NHWC) : t);
    }
    try (OrtBackend ort = OrtBackend.open(export.model(), opts)) {
      return ort.run(feeds);
    }
  }
}
