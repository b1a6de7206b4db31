package dev.crossalign.engine.truth;

import dev.crossalign.align.Bound;
import dev.crossalign.align.Diagnosis;
import dev.crossalign.align.ErrorMeasure;
import dev.crossalign.align.LayoutAligner;
import dev.crossalign.align.MinTolerance;
import dev.crossalign.align.TruthError;
import dev.crossalign.align.TruthTable.Auto;
import dev.crossalign.align.TruthTable.BackendError;
import dev.crossalign.align.TruthTable.BackendSummary;
import dev.crossalign.align.TruthTable.Failure;
import dev.crossalign.align.TruthTable.Row;
import dev.crossalign.align.TruthTable.RunTolerance;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.CapturedTensor;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tflite.Operator;
import dev.crossalign.tflite.TfliteModel;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * One measurement of the candidates' runs against the float64 truth, tensor by tensor in the truth's order: the row
 * of each floating op output (float32 floor, derived bound, each backend's error), the backends outside their bound
 * and the diagnoses of the first {@value TruthLab#MAX_DIAGNOSES}, and per backend the smallest fixed tolerance its run
 * would pass. {@link TruthLab} runs the backends; this only measures.
 */
final class TruthMeasurement {
  private final TfliteModel model;
  private final Activations reference;
  private final Activations magnitude;
  private final Map<String, Activations> candidates;
  private final List<String> notes;
  private final Map<String, Operator> producer = new HashMap<>();
  private final Function<String, HostTensor> refTensors;
  private final List<Row> rows = new ArrayList<>();
  private final List<Failure> failures = new ArrayList<>();
  private final List<String> unbounded = new ArrayList<>();
  private final List<Diagnosis> diagnoses = new ArrayList<>();
  private final Map<String, MinTolerance> runTol = new LinkedHashMap<>();
  private final Map<String, String[]> runTolAt = new HashMap<>();

  private TruthMeasurement(TfliteModel model, Activations reference, Activations magnitude,
      Map<String, Activations> candidates, List<String> notes) {
    this.model = model;
    this.reference = reference;
    this.magnitude = magnitude;
    this.candidates = candidates;
    this.notes = notes;
    this.refTensors = reference::tensor;
    for (Operator op : model.main().operators()) {
      for (int o : op.outputs()) {
        if (o >= 0) {
          producer.put(model.main().tensor(o).name(), op);
        }
      }
    }
  }

  /** Measures every candidate against {@code truth}; notes on missing bounds are added to {@code notes}. */
  static TruthLab.Result of(TfliteModel model, Activations reference, Activations truth, Activations magnitude,
      Map<String, Activations> candidates, List<String> notes) {
    TruthMeasurement m = new TruthMeasurement(model, reference, magnitude, candidates, notes);
    for (CapturedTensor t : truth.tensors()) {
      m.tensor(t);
    }
    return m.result();
  }

  /** One op output of the truth, in the reference's axes, with what judges the backends on it. */
  private record Target(CapturedTensor t, HostTensor ref, HostTensor truth, TruthError floor, ErrorMeasure measure,
      Operator op, Bound bound) {}

  private void tensor(CapturedTensor t) {
    HostTensor ref = reference.tensor(t.name());
    if (ref == null || !t.tensor().dtype().isFloating()) {
      return;
    }
    HostTensor truthAligned = aligned(ref, t.tensor());
    if (truthAligned == null) {
      return;
    }
    Operator op = producer.get(t.name());
    Target x = new Target(t, ref, truthAligned, TruthError.floor(truthAligned), ErrorMeasure.forOp(t.op()), op,
        op == null ? null : bound(t, ref, truthAligned, op));
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
      BackendError e = backendError(x, c.getKey(), c.getValue(), va);
      pass &= !(e.allowedFactor() > 1);
      errors.add(e);
      if (e.error().under(x.measure()) > worst) {
        worst = e.error().under(x.measure());
        furthest = c.getKey();
      }
    }
    if (!errors.isEmpty()) {
      if (x.bound() == null) {
        unbounded.add(t.name() + " (" + t.op() + ")");
      }
      rows.add(new Row(t.name(), t.op(), ref.shape(), x.measure(), x.floor(),
          x.bound() == null ? null : x.bound().summary(), List.copyOf(errors), furthest, pass));
    }
  }

  /** The op's derived bound, or null with a note when the rules cannot give one. */
  private Bound bound(CapturedTensor t, HostTensor ref, HostTensor truthAligned, Operator op) {
    HostTensor mag = magnitude == null || magnitude.tensor(t.name()) == null ? null
        : aligned(ref, magnitude.tensor(t.name()));
    try {
      return BoundRules.of(model, op, truthAligned, mag, refTensors);
    } catch (RuntimeException e) {
      notes.add("no bound for '" + t.name() + "' (" + t.op() + "): " + e.getMessage());
      return null;
    }
  }

  /**
   * One backend's error on one tensor: against the floor, the bound and the bound with the backend's documented
   * allowance; a failure (and, for the first few, a diagnosis) when outside the allowed bound.
   */
  private BackendError backendError(Target x, String backend, Activations run, HostTensor va) {
    TruthError e = TruthError.of(x.truth(), va);
    double factor = e.under(x.measure()) / Math.max(x.floor().under(x.measure()), TruthLab.FLOAT32_HALF_ULP);
    double boundFactor = Double.NaN;
    double allowedFactor = Double.NaN;
    String allowanceReason = null;
    if (x.bound() != null) {
      BoundRules.Allowance a = BoundRules.allowance(backend, x.t().op());
      boundFactor = x.bound().check(x.truth(), va, 0).factor();
      allowedFactor = a == null ? boundFactor : x.bound().check(x.truth(), va, a.abs()).factor();
      allowanceReason = a == null ? null : a.reason();
      if (allowedFactor > 1) {
        failures.add(new Failure(x.t().name(), x.t().op(), backend, allowedFactor));
        if (diagnoses.size() < TruthLab.MAX_DIAGNOSES) {
          diagnoses.add(Diagnoser.diagnose(model, x.op(), refTensors, x.truth(), va, x.bound(),
              a == null ? 0 : a.abs(), backend, allowedFactor));
        }
      }
    }
    MinTolerance min = run == reference ? MinTolerance.ZERO : MinTolerance.of(x.ref(), va);
    if (run != reference) {
      trackTolerance(backend, x.t().name(), min);
    }
    return new BackendError(backend, e, factor, boundFactor, allowedFactor, allowanceReason, min);
  }

  /** The run's min tolerance per backend, and the tensors that set its atol and rtol. */
  private void trackTolerance(String backend, String tensor, MinTolerance min) {
    MinTolerance prev = runTol.getOrDefault(backend, MinTolerance.ZERO);
    String[] at = runTolAt.computeIfAbsent(backend, k -> new String[2]);
    if (min.atol() > prev.atol()) {
      at[0] = tensor;
    }
    if (min.rtol() > prev.rtol()) {
      at[1] = tensor;
    }
    runTol.put(backend, prev.max(min));
  }

  private TruthLab.Result result() {
    Failure first = failures.isEmpty() ? null : failures.get(0);
    failures.sort(Comparator.comparingDouble(Failure::factor).reversed());
    diagnoses.sort(Comparator.comparingDouble(Diagnosis::boundFactor).reversed());
    int bounded = (int) rows.stream().filter(r -> r.bound() != null).count();
    Auto auto = new Auto(failures.isEmpty() && bounded > 0, bounded, List.copyOf(unbounded), List.copyOf(failures),
        first);
    List<RunTolerance> tol = new ArrayList<>();
    runTol.forEach((b, m) -> tol.add(new RunTolerance(b, m, runTolAt.get(b)[0], runTolAt.get(b)[1])));
    return new TruthLab.Result(List.copyOf(rows), summarize(rows, candidates.keySet()), auto, List.copyOf(tol),
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
