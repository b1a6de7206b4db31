package dev.crossalign.engine.truth;

import dev.crossalign.CrossalignException;
import dev.crossalign.align.Diagnosis;
import dev.crossalign.align.TruthTable;
import dev.crossalign.align.TruthTable.Auto;
import dev.crossalign.align.TruthTable.BackendError;
import dev.crossalign.align.TruthTable.BackendSummary;
import dev.crossalign.align.TruthTable.Row;
import dev.crossalign.align.TruthTable.RunTolerance;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.CapturedTensor;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.backend.StreamingBackend;
import dev.crossalign.backend.onnx.OrtBackend;
import dev.crossalign.backend.tflite.TfliteBackend;
import dev.crossalign.backend.tflite.TfliteOptions;
import dev.crossalign.engine.IsolatedOrt;
import dev.crossalign.engine.Reference;
import dev.crossalign.port.PortBackend;
import dev.crossalign.report.ModelExplorerOverlay;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tflite.MagnitudeForm;
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
      DeterminismConfig config, boolean propagation) {
    public Request(TfliteModel model, Map<String, HostTensor> inputs, boolean onnxruntime, DeterminismConfig config) {
      this(model, inputs, onnxruntime, config, false);
    }
  }

  /**
   * The truth lab's findings ({@link TruthTable}'s parts, as its JSON document keeps them flat) and, with
   * {@code --propagation}, the per-layer propagation of each chained backend.
   */
  public record Result(List<Row> rows, List<BackendSummary> backends, Auto auto, List<RunTolerance> minTolerance,
      List<Diagnosis> diagnoses, List<Propagation.Layer> propagation, List<String> notes) {
    Result withPropagation(List<Propagation.Layer> layers) {
      return new Result(rows, backends, auto, minTolerance, diagnoses, layers, notes);
    }

    /** The findings as validate's reports carry them (no propagation). */
    public TruthTable table() {
      return new TruthTable(rows, backends, auto, minTolerance, diagnoses, notes);
    }

    /** The backend with the largest floor factor anywhere, or null with no rows. */
    public BackendSummary furthest() {
      return table().furthest();
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

  /** Failing (tensor, backend) pairs diagnosed per run, in graph order: each recomputes the op a dozen times. */
  static final int MAX_DIAGNOSES = 12;

  public static Result run(Request req) {
    Activations reference;
    try (TfliteBackend tflite = Reference.open(req.model(), TfliteOptions.defaults())) {
      reference = tflite.run(req.inputs());
    }
    return run(req, reference);
  }

  /**
   * As {@link #run(Request)} on a reference run the caller already has (validate's: every tensor of the TFLite
   * interpreter on {@code req.inputs()}, placeholder kernels' zeros included).
   */
  public static Result run(Request req, Activations reference) {
    List<String> notes = new ArrayList<>();
    Activations truth;
    Activations port;
    try (StreamingBackend t64 = TruthPorts.float64(req.model(), req.config())) {
      truth = t64.runIsolated(reference);
      if (!t64.unsupported().isEmpty()) {
        notes.add("no float64 truth for ops the port cannot lower: " + t64.unsupported());
      }
    }
    Activations magnitude = null;
    try (StreamingBackend mag = TruthPorts.float64(MagnitudeForm.of(req.model()), req.config())) {
      magnitude = mag.runIsolated(absolute(reference));
    } catch (CrossalignException e) {
      notes.add("no magnitudes sum|w x| (accumulation bounds missing): " + e.getMessage());
    }
    Activations chained = null;
    try (StreamingBackend t32 = TruthPorts.float32(req.model(), req.config())) {
      port = t32.runIsolated(reference);
      if (req.propagation()) {
        chained = Propagation.inReferenceAxes(reference, t32.run(req.inputs()));
      }
    }
    List<Propagation.Layer> layers = List.of();
    if (chained != null) {
      try (StreamingBackend t64 = TruthPorts.float64(req.model(), req.config())) {
        layers = Propagation.measure(req.model(), reference, truth, port, chained, t64.runIsolated(chained));
      }
    }
    Map<String, Activations> candidates = new LinkedHashMap<>();
    candidates.put(reference.backend(), reference);
    candidates.put(PortBackend.NAME, port);
    if (req.onnxruntime()) {
      try {
        Activations ort = IsolatedOrt.run(req.model(), reference, Device.CPU, req.config());
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
    if (req.propagation() && candidates.containsKey(OrtBackend.NAME)) {
      List<Propagation.Layer> both = new ArrayList<>(layers);
      both.addAll(Propagation.onnxRuntime(req.model(), req.inputs(), req.config(), reference, truth,
          candidates.get(OrtBackend.NAME), tensors -> {
            try (StreamingBackend t64 = TruthPorts.float64(req.model(), req.config())) {
              return t64.runIsolated(tensors);
            }
          }));
      layers = List.copyOf(both);
    }
    return measure(req.model(), reference, truth, magnitude, candidates, notes).withPropagation(layers);
  }

  /** The reference with every floating tensor replaced by its absolute value (the magnitude form's inputs). */
  static Activations absolute(Activations reference) {
    Activations.Builder b = Activations.builder(reference.backend());
    for (CapturedTensor t : reference.tensors()) {
      HostTensor v = t.tensor();
      if (v.dtype().isFloating()) {
        double[] d = Diagnoser.doubles(v);
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
          f[i] = (float) Math.abs(d[i]);
        }
        v = HostTensor.ofFloats(v.shape(), v.layout(), f);
      }
      b.add(t.name(), t.op(), t.index(), v);
    }
    for (String o : reference.outputNames()) {
      b.output(o);
    }
    return b.build();
  }

  /** Measures every candidate's run against the truth ({@link TruthMeasurement}). */
  static Result measure(TfliteModel model, Activations reference, Activations truth, Activations magnitude,
      Map<String, Activations> candidates, List<String> notes) {
    return TruthMeasurement.of(model, reference, truth, magnitude, candidates, notes);
  }
}
