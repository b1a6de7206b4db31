package dev.crossalign.engine;

import dev.crossalign.CrossalignException;
import dev.crossalign.align.Aligner;
import dev.crossalign.align.Comparison;
import dev.crossalign.align.Mode;
import dev.crossalign.UnsupportedOp;
import dev.crossalign.backend.BackendKind;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.onnx.OrtBackend;
import dev.crossalign.backend.onnx.OrtOptions;
import dev.crossalign.port.onnx.Export;
import dev.crossalign.port.onnx.ExportOptions;
import dev.crossalign.port.onnx.Exporter;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tflite.IsolatedForm;
import dev.crossalign.tflite.TfliteModel;
import java.util.List;
import java.util.Map;

/**
 * The ONNX hop of a validation: export the port's graph (TF semantics, NCHW inside, TFLite tensor names kept), run it
 * in ONNX Runtime with every intermediate captured, and compare it with the reference and with the port.
 */
final class OnnxLeg {
  private OnnxLeg() {}

  /** Exports the model, or records why it cannot be (and returns null). */
  static Export export(TfliteModel model, List<UnsupportedOp> unsupported) {
    Export attempt = Exporter.attempt(model, ExportOptions.DEFAULT);
    if (!attempt.unsupported().isEmpty()) {
      for (UnsupportedOp u : attempt.unsupported()) {
        unsupported.add(new UnsupportedOp(u.op(), u.count(), "ONNX export: " + u.reason()));
      }
      return null;
    }
    return attempt;
  }

  static void run(
      TfliteModel model,
      ValidationRequest req,
      Export export,
      Activations reference,
      Map<String, HostTensor> inputs,
      Map<String, Activations> acts,
      List<Comparison> comparisons,
      List<UnsupportedOp> unsupported,
      List<String> notes,
      Map<String, Double> timing,
      Map<String, String> config) {
    // --mode is honoured here as on the port: an isolated-only validation makes no chained ONNX Runtime run
    Mode missingMode = req.mode().chained() ? Mode.CHAINED : Mode.ISOLATED;
    if (export == null) {
      comparisons.addAll(Aligner.missingOutputs(reference, OrtBackend.NAME, missingMode, "the model could not be exported to ONNX"));
      return;
    }
    OrtOptions opts = OrtOptions.from(req.config(), req.device());
    try {
      if (req.mode().chained()) {
        runChained(req, export, reference, inputs, acts, comparisons, timing, config, opts);
      }
      if (req.mode().isolated()) {
        runIsolated(model, req, reference, acts, comparisons, timing, opts);
      }
    } catch (CrossalignException e) {
      if (e.kind() == CrossalignException.Kind.UNSUPPORTED) {
        unsupported.add(new UnsupportedOp(BackendKind.ONNXRUNTIME.id(), 1, e.getMessage()));
        comparisons.addAll(Aligner.missingOutputs(reference, OrtBackend.NAME, missingMode, e.getMessage()));
        return;
      }
      // ONNX Runtime names a node of the exported model; the user needs the model it came from
      throw e.getMessage() != null && e.getMessage().contains(model.label()) ? e
          : new CrossalignException(e.kind(), "model " + model.label() + " exported to ONNX: " + e.getMessage(), e);
    }
  }

  private static void runChained(ValidationRequest req, Export export, Activations reference,
      Map<String, HostTensor> inputs, Map<String, Activations> acts, List<Comparison> comparisons,
      Map<String, Double> timing, Map<String, String> config, OrtOptions opts) {
    long t0 = System.nanoTime();
    try (OrtBackend ort = OrtBackend.open(export.model(), opts)) {
      timing.put("prepare.onnxruntime", (System.nanoTime() - t0) / 1e6);
      ort.info().forEach((k, v) -> config.put(BackendKind.ONNXRUNTIME.configKey(k), v));
      long t1 = System.nanoTime();
      Activations out = ort.run(inputs);
      timing.put("run.onnxruntime.chained", (System.nanoTime() - t1) / 1e6);
      acts.put(OrtBackend.NAME, out);
      long t2 = System.nanoTime();
      comparisons.addAll(Aligner.compare(reference, out, Mode.CHAINED, req.chainedTolerance()));
      Activations torch = acts.get(BackendKind.TORCH.id());
      if (torch != null) {
        comparisons.addAll(Aligner.compare(torch, out, Mode.CHAINED, req.chainedTolerance()));
      }
      timing.put("compare.onnxruntime", (System.nanoTime() - t2) / 1e6);
    }
  }

  /** Isolated mode on ONNX Runtime ({@link IsolatedOrt}), compared with the reference. */
  private static void runIsolated(TfliteModel model, ValidationRequest req, Activations reference,
      Map<String, Activations> acts, List<Comparison> comparisons, Map<String, Double> timing, OrtOptions opts) {
    long t0 = System.nanoTime();
    Activations out = IsolatedOrt.run(model, reference, opts);
    if (out == null) {
      return; // the reference lacks a tensor an op reads (a placeholder's output): no isolated ORT run
    }
    timing.put("run.onnxruntime.isolated", (System.nanoTime() - t0) / 1e6);
    acts.put(OrtBackend.NAME + ".isolated", out);
    long t1 = System.nanoTime();
    comparisons.addAll(Aligner.compare(reference, out, Mode.ISOLATED, req.tolerance()));
    // the export's own error per op: port and ONNX Runtime, each op fed the same reference tensors
    Activations torchIsolated = acts.get("torch.isolated");
    if (torchIsolated != null) {
      comparisons.addAll(Aligner.compare(torchIsolated, out, Mode.ISOLATED, req.tolerance()));
    }
    timing.put("compare.onnxruntime.isolated", (System.nanoTime() - t1) / 1e6);
  }
}
