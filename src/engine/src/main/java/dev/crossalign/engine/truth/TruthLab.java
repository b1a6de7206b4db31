package dev.crossalign.engine.truth;

import dev.crossalign.CrossalignException;
import dev.crossalign.align.Bound;
import dev.crossalign.align.Diagnosis;
import dev.crossalign.align.ErrorMeasure;
import dev.crossalign.align.MinTolerance;
import dev.crossalign.align.LayoutAligner;
import dev.crossalign.align.TruthError;
import dev.crossalign.align.TruthTable;
import dev.crossalign.align.TruthTable.Auto;
import dev.crossalign.align.TruthTable.BackendError;
import dev.crossalign.align.TruthTable.BackendSummary;
import dev.crossalign.align.TruthTable.Failure;
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
import dev.crossalign.tflite.Operator;
import dev.crossalign.tflite.TfliteModel;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
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

  static Result measure(TfliteModel model, Activations reference, Activations truth, Activations magnitude,
      Map<String, Activations> candidates, List<String> notes) {
    Map<String, Operator> producer = new HashMap<>();
    for (Operator op : model.main().operators()) {
      for (int o : op.outputs()) {
        if (o >= 0) {
          producer.put(model.main().tensor(o).name(), op);
        }
      }
    }
    List<Row> rows = new ArrayList<>();
    List<Failure> failures = new ArrayList<>();
    List<String> unbounded = new ArrayList<>();
    List<Diagnosis> diagnoses = new ArrayList<>();
    Map<String, MinTolerance> runTol = new LinkedHashMap<>();
    Map<String, String[]> runTolAt = new HashMap<>();
    java.util.function.Function<String, HostTensor> refTensors = reference::tensor;
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
      Operator op = producer.get(t.name());
      Bound bound = null;
      if (op != null) {
        HostTensor mag = magnitude == null || magnitude.tensor(t.name()) == null ? null
            : aligned(ref, magnitude.tensor(t.name()));
        try {
          bound = BoundRules.of(model, op, truthAligned, mag, refTensors);
        } catch (RuntimeException e) {
          notes.add("no bound for '" + t.name() + "' (" + t.op() + "): " + e.getMessage());
        }
      }
      List<BackendError> errors = new ArrayList<>();
      String furthest = null; // stays null when every backend is exact
      double worst = 0;
      boolean pass = true;
      for (Map.Entry<String, Activations> c : candidates.entrySet()) {
        HostTensor v = c.getValue().tensor(t.name());
        HostTensor va = v == null ? null : aligned(ref, v);
        if (va == null || !va.dtype().isFloating()) {
          continue;
        }
        TruthError e = TruthError.of(truthAligned, va);
        double factor = e.under(measure) / Math.max(floor.under(measure), FLOAT32_HALF_ULP);
        double boundFactor = Double.NaN;
        double allowedFactor = Double.NaN;
        String allowanceReason = null;
        if (bound != null) {
          BoundRules.Allowance a = BoundRules.allowance(c.getKey(), t.op());
          boundFactor = bound.check(truthAligned, va, 0).factor();
          allowedFactor = a == null ? boundFactor : bound.check(truthAligned, va, a.abs()).factor();
          allowanceReason = a == null ? null : a.reason();
          if (allowedFactor > 1) {
            pass = false;
            failures.add(new Failure(t.name(), t.op(), c.getKey(), allowedFactor));
            if (diagnoses.size() < MAX_DIAGNOSES) {
              diagnoses.add(Diagnoser.diagnose(model, op, refTensors, truthAligned, va, bound,
                  a == null ? 0 : a.abs(), c.getKey(), allowedFactor));
            }
          }
        }
        MinTolerance min = c.getValue() == reference ? MinTolerance.ZERO : MinTolerance.of(ref, va);
        if (c.getValue() != reference) {
          MinTolerance prev = runTol.getOrDefault(c.getKey(), MinTolerance.ZERO);
          String[] at = runTolAt.computeIfAbsent(c.getKey(), k -> new String[2]);
          if (min.atol() > prev.atol()) {
            at[0] = t.name();
          }
          if (min.rtol() > prev.rtol()) {
            at[1] = t.name();
          }
          runTol.put(c.getKey(), prev.max(min));
        }
        errors.add(new BackendError(c.getKey(), e, factor, boundFactor, allowedFactor, allowanceReason, min));
        if (e.under(measure) > worst) {
          worst = e.under(measure);
          furthest = c.getKey();
        }
      }
      if (!errors.isEmpty()) {
        if (bound == null) {
          unbounded.add(t.name() + " (" + t.op() + ")");
        }
        rows.add(new Row(t.name(), t.op(), ref.shape(), measure, floor, bound == null ? null : bound.summary(),
            List.copyOf(errors), furthest, pass));
      }
    }
    Failure first = failures.isEmpty() ? null : failures.get(0);
    failures.sort(Comparator.comparingDouble(Failure::factor).reversed());
    diagnoses.sort(Comparator.comparingDouble(Diagnosis::boundFactor).reversed());
    int bounded = (int) rows.stream().filter(r -> r.bound() != null).count();
    Auto auto = new Auto(failures.isEmpty() && bounded > 0, bounded, List.copyOf(unbounded), List.copyOf(failures),
        first);
    List<RunTolerance> tol = new ArrayList<>();
    runTol.forEach((b, m) -> tol.add(new RunTolerance(b, m, runTolAt.get(b)[0], runTolAt.get(b)[1])));
    return new Result(List.copyOf(rows), summarize(rows, candidates.keySet()), auto, List.copyOf(tol),
        List.copyOf(diagnoses), List.of(), List.copyOf(notes));
  }

  private static List<BackendSummary> summarize(List<Row> rows, Iterable<String> backends) {
    List<BackendSummary> out = new ArrayList<>();
    for (String b : backends) {
      int n = 0;
      int furthest = 0;
      Row worstRow = null;
      BackendError worst = null;
      double worstBound = Double.NaN;
      String worstBoundTensor = null;
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
          if (!Double.isNaN(e.allowedFactor()) && !(e.allowedFactor() <= worstBound)) {
            worstBound = e.allowedFactor();
            worstBoundTensor = r.tensor();
          }
        }
      }
      if (worst != null) {
        out.add(new BackendSummary(b, n, furthest, worstRow.tensor(), worstRow.op(),
            worst.error().under(worstRow.measure()), worst.floorFactor(), worstBound, worstBoundTensor));
      }
    }
    return List.copyOf(out);
  }

  /** {@code t} in the reference's axes (the port and ONNX Runtime capture NCHW), or null if no layout explains it. */
  private static HostTensor aligned(HostTensor ref, HostTensor t) {
    return LayoutAligner.align(ref, t) instanceof LayoutAligner.Matched m ? m.candidate() : null;
  }
}
