package dev.crossalign.engine;

import dev.crossalign.backend.Activations;
import dev.crossalign.backend.TensorSink;
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
import java.util.function.Predicate;

/**
 * Isolated mode on ONNX Runtime: the model's isolated form (every op reading its run-time inputs from graph inputs of
 * its own) exported and fed the reference's tensors, so each ONNX op's error is its own, in one session. Used by the
 * validation's ONNX leg and by the numerics lab.
 */
public final class IsolatedOrt {
  /**
   * How much of the isolated run's outputs ONNX Runtime holds at a time when they are streamed: the outputs are
   * fetched in batches of about this size (each op of the isolated form reads graph inputs of its own, so a batch's
   * run computes only its ops).
   */
  static final long FETCH_BATCH_BYTES = 16L << 20;

  private IsolatedOrt() {}

  /** The isolated run's tensors, or null when the reference lacks a tensor an op reads (a placeholder's output). */
  public static Activations run(TfliteModel model, Activations reference, OrtOptions opts) {
    return run(model, reference, opts, name -> true);
  }

  /**
   * As {@link #run(TfliteModel, Activations, OrtOptions)}, copying to the host only the fetched tensors whose name
   * {@code keep} accepts (and the model outputs): ONNX Runtime's own helper values cost a copy each and nobody
   * compares them.
   */
  static Activations run(TfliteModel model, Activations reference, OrtOptions opts, Predicate<String> keep) {
    IsolatedForm.Result iso = IsolatedForm.of(model);
    Map<String, HostTensor> feeds = feeds(iso, reference);
    if (feeds == null) {
      return null;
    }
    try (OrtBackend ort = OrtBackend.open(Exporter.export(iso.model(), ExportOptions.DEFAULT).model(), opts)) {
      return ort.run(feeds, keep);
    }
  }

  /**
   * The isolated run with each fetched tensor {@code keep} accepts handed to {@code sink} as it comes off the session,
   * none kept; false (and nothing run) when the reference lacks a tensor an op reads.
   */
  static boolean run(TfliteModel model, Activations reference, OrtOptions opts, Predicate<String> keep,
      TensorSink sink) {
    IsolatedForm.Result iso = IsolatedForm.of(model);
    Map<String, HostTensor> feeds = feeds(iso, reference);
    if (feeds == null) {
      return false;
    }
    Export export = Exporter.export(iso.model(), ExportOptions.DEFAULT);
    try (OrtBackend ort = OrtBackend.open(export.model(), opts)) {
      export = null; // the session holds what it needs; the exported weights can go
      ort.run(feeds, keep, sink, FETCH_BATCH_BYTES);
      return true;
    }
  }

  /** What the isolated form's graph inputs are fed: the reference's tensors, in TFLite's axes; null if one lacks. */
  private static Map<String, HostTensor> feeds(IsolatedForm.Result iso, Activations reference) {
    Map<String, HostTensor> feeds = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : iso.inputFor().entrySet()) {
      HostTensor t = reference.tensor(e.getValue());
      if (t == null) {
        return null;
      }
      feeds.put(e.getKey(), t.layout() == Layout.NCHW && t.rank() == 4
          ? t.permute(Layout.nchwToNhwc(), Layout.NHWC) : t);
    }
    return feeds;
  }
}
