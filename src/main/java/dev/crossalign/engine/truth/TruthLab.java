package dev.crossalign.engine.truth;

import dev.crossalign.CrossalignException;
import dev.crossalign.align.ErrorMeasure;
import dev.crossalign.align.LayoutAligner;
import dev.crossalign.align.TruthError;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.CapturedTensor;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.backend.onnx.OrtBackend;
import dev.crossalign.backend.onnx.OrtOptions;
import dev.crossalign.backend.tflite.TfliteBackend;
import dev.crossalign.backend.tflite.TfliteOptions;
import dev.crossalign.engine.IsolatedOrt;
import dev.crossalign.engine.Reference;
import dev.crossalign.port.PortBackend;
import dev.crossalign.report.ModelExplorerOverlay;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tflite.TfliteModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The float64 truth per layer (issue 13, item 1): each op of the model evaluated in float64 by the same port code on
 * the TFLite reference's own inputs, and every backend's output of that op (TFLite's own, the float32 port's isolated
 * run, ONNX Runtime's isolated run) measured against it, beside the float32 rounding floor of the op (the truth
 * rounded to float32). Pairwise differences say that two backends disagree; this says which one is off.
 */
public final class TruthLab {
  private TruthLab() {}

  /** What to run: the model, its inputs, whether ONNX Runtime takes part, and the determinism config. */
  public record Request(TfliteModel model, Map<String, HostTensor> inputs, boolean onnxruntime,
      DeterminismConfig config) {}

  /** One backend's error on one tensor, and how many times the float32 rounding floor it is. */
  public record BackendError(String backend, TruthError error, double floorFactor) {}

  /**
   * One op output: how its error is read ({@link ErrorMeasure}), its float32 floor, each backend's error against the
   * truth, and the backend furthest from it (null when all are exact).
   */
  public record Row(String tensor, String op, int[] shape, ErrorMeasure measure, TruthError floor,
      List<BackendError> errors, String furthest) {}

  /** Per backend over the whole model: its worst tensor, that tensor's error and its floor factor. */
  public record BackendSummary(String backend, int tensors, int furthestCount, String worstTensor, String worstOp,
      double worstError, double worstFloorFactor) {}

  public record Result(List<Row> rows, List<BackendSummary> backends, List<String> notes) {
    /** The backend with the largest floor factor anywhere, or null with no rows. */
    public BackendSummary furthest() {
      BackendSummary best = null;
      for (BackendSummary b : backends) {
        if (best == null || b.worstFloorFactor() > best.worstFloorFactor()) {
          best = b;
        }
      }
      return best;
    }
  }

  /**
   * The run as Model Explorer node data: each op output's value is the largest floor factor of any backend on it (how
   * many times the float32 rounding floor the furthest backend's error is); green up to 8x, yellow to 100x, orange to
   * 10^4x, red beyond.
   */
  public static byte[] overlay(Result r) {
    Map<String, ModelExplorerOverlay.NodeValue> values = new LinkedHashMap<>();
    for (Row row : r.rows()) {
      double worst = row.errors().stream().mapToDouble(BackendError::floorFactor).max().orElse(0);
      values.put(row.tensor(), new ModelExplorerOverlay.NodeValue(worst, null));
    }
    return ModelExplorerOverlay.json(values, List.of(
        new ModelExplorerOverlay.Threshold(8, "#b7e1cd"),
        new ModelExplorerOverlay.Threshold(100, "#fce8b2"),
        new ModelExplorerOverlay.Threshold(1e4, "#f9cb9c"),
        new ModelExplorerOverlay.Threshold(Double.MAX_VALUE, "#f4c7c3")));
  }

  /** The float32 floor of a relative error: 2^-24, half an ulp of float32 at 1.0. */
  static final double FLOAT32_HALF_ULP = 0x1p-24;

  public static Result run(Request req) {
    List<String> notes = new ArrayList<>();
    Activations reference;
    try (TfliteBackend tflite = Reference.open(req.model(), TfliteOptions.defaults())) {
      reference = tflite.run(req.inputs());
    }
    Activations truth;
    Activations port;
    try (PortBackend t64 = PortBackend.openFloat64(req.model(), req.config())) {
      truth = t64.runIsolated(reference);
      if (!t64.unsupported().isEmpty()) {
        notes.add("no float64 truth for ops the port cannot lower: " + t64.unsupported());
      }
    }
    try (PortBackend t32 = PortBackend.open(req.model(), Device.CPU, req.config())) {
      port = t32.runIsolated(reference);
    }
    Map<String, Activations> candidates = new LinkedHashMap<>();
    candidates.put(reference.backend(), reference);
    candidates.put(PortBackend.NAME, port);
    if (req.onnxruntime()) {
      try {
        Activations ort = IsolatedOrt.run(req.model(), reference, OrtOptions.from(req.config(), Device.CPU));
        if (ort == null) {
          notes.add("onnxruntime: the reference lacks a tensor an op reads; no isolated ONNX Runtime run");
        } else {
          candidates.put(OrtBackend.NAME, ort);
        }
      } catch (CrossalignException e) {
        if (e.kind() != CrossalignException.Kind.UNSUPPORTED) {
          throw e;
        }
        notes.add("onnxruntime: " + e.getMessage());
      }
    }
    return measure(reference, truth, candidates, notes);
  }

  static Result measure(Activations reference, Activations truth, Map<String, Activations> candidates,
      List<String> notes) {
    List<Row> rows = new ArrayList<>();
    for (CapturedTensor t : truth.tensors()) {
      HostTensor ref = reference.tensor(t.name());
      if (ref == null || !t.tensor().dtype().isFloating()) {
        continue;
      }
      HostTensor truthAligned = aligned(ref, t.tensor());
      if (truthAligned == null) {
        continue;
      }
      TruthError floor = TruthError.floor(truthAligned);
      ErrorMeasure measure = ErrorMeasure.forOp(t.op());
      List<BackendError> errors = new ArrayList<>();
      String furthest = null; // stays null when every backend is exact
      double worst = 0;
      for (Map.Entry<String, Activations> c : candidates.entrySet()) {
        HostTensor v = c.getValue().tensor(t.name());
        HostTensor va = v == null ? null : aligned(ref, v);
        if (va == null || !va.dtype().isFloating()) {
          continue;
        }
        TruthError e = TruthError.of(truthAligned, va);
        double factor = e.under(measure) / Math.max(floor.under(measure), FLOAT32_HALF_ULP);
        errors.add(new BackendError(c.getKey(), e, factor));
        if (e.under(measure) > worst) {
          worst = e.under(measure);
          furthest = c.getKey();
        }
      }
      if (!errors.isEmpty()) {
        rows.add(new Row(t.name(), t.op(), ref.shape(), measure, floor, List.copyOf(errors), furthest));
      }
    }
    return new Result(List.copyOf(rows), summarize(rows, candidates.keySet()), List.copyOf(notes));
  }

  private static List<BackendSummary> summarize(List<Row> rows, Iterable<String> backends) {
    List<BackendSummary> out = new ArrayList<>();
    for (String b : backends) {
      int n = 0;
      int furthest = 0;
      Row worstRow = null;
      BackendError worst = null;
      for (Row r : rows) {
        for (BackendError e : r.errors()) {
          if (!e.backend().equals(b)) {
            continue;
          }
          n++;
          if (b.equals(r.furthest())) {
            furthest++;
          }
          if (worst == null || e.floorFactor() > worst.floorFactor()) {
            worst = e;
            worstRow = r;
          }
        }
      }
      if (worst != null) {
        out.add(new BackendSummary(b, n, furthest, worstRow.tensor(), worstRow.op(),
            worst.error().under(worstRow.measure()), worst.floorFactor()));
      }
    }
    return List.copyOf(out);
  }

  /** {@code t} in the reference's axes (the port and ONNX Runtime capture NCHW), or null if no layout explains it. */
  private static HostTensor aligned(HostTensor ref, HostTensor t) {
    return LayoutAligner.align(ref, t) instanceof LayoutAligner.Matched m ? m.candidate() : null;
  }
}
