package dev.crossalign.engine;

import dev.crossalign.CrossalignException;
import dev.crossalign.align.Aligner;
import dev.crossalign.align.AlignmentResult;
import dev.crossalign.align.Comparison;
import dev.crossalign.align.Mode;
import dev.crossalign.UnsupportedOp;
import dev.crossalign.backend.BackendKind;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.CapturedTensor;
import dev.crossalign.backend.tflite.TfliteBackend;
import dev.crossalign.backend.tflite.TfliteOptions;
import dev.crossalign.port.NaivePaddingProbe;
import dev.crossalign.port.PortBackend;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tflite.TfliteModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Runs one validation: reference, candidates, chained and isolated comparisons, verdict. The engine's main API. */
public final class Validator {
  private Validator() {}

  /** Everything a run produced: the result to report, and each backend's tensors for dumps. */
  public record Outcome(AlignmentResult result, Map<String, Activations> activations) {}

  public static Outcome validate(ValidationRequest req) {
    return validate(req, phase -> {});
  }

  /** The number of phases {@code onPhase} is told about (for a progress bar). */
  public static int phases(ValidationRequest req) {
    return phaseNames(req).size();
  }

  /** The phases {@code onPhase} is told about, in order, named as it names them at their end. */
  public static List<String> phaseNames(ValidationRequest req) {
    List<String> names = new ArrayList<>(List.of("load", BackendKind.TFLITE.id()));
    if (req.runs(BackendKind.TORCH)) {
      names.add("torch prepare");
      if (req.mode().chained()) {
        names.add("torch chained");
      }
      if (req.mode().isolated()) {
        names.add("torch isolated");
      }
    }
    if (req.runs(BackendKind.ONNXRUNTIME)) {
      names.add(BackendKind.ONNXRUNTIME.id());
    }
    return names;
  }

  /** As {@link #validate(ValidationRequest)}, telling {@code onPhase} as each phase ends. */
  public static Outcome validate(ValidationRequest req, java.util.function.Consumer<String> onPhase) {
    long t0 = System.nanoTime();
    TfliteModel model =
        req.model() == null ? TfliteModel.read(DemoModel.bytes(), DemoModel.LABEL) : TfliteModel.read(req.model());
    double load = ms(t0);
    onPhase.accept("load");
    long t1 = System.nanoTime();
    // Placeholders on: custom ops the reference lacks become zero-writing kernels so that every other layer can still
    // be compared; what they touch is reported and kept out of the chained comparison.
    try (TfliteBackend tflite = Reference.open(
        model, TfliteOptions.defaults().withThreads(req.tfliteThreads()).withPlaceholderCustomOps(true))) {
      double openTflite = ms(t1);
      if (!req.runs(BackendKind.TORCH)) {
        return validate(req, model, tflite, null, load, openTflite, 0, onPhase);
      }
      long t2 = System.nanoTime();
      try (PortBackend port = PortBackend.open(model, req.device(), req.config())) {
        return validate(req, model, tflite, port, load, openTflite, ms(t2), onPhase);
      }
    }
  }

  /**
   * The same validation on backends the caller already opened on {@code model} and keeps open (batch workers reuse
   * them across rows). {@code port} may be null when the request does not name torch. {@code loadMs},
   * {@code openTfliteMs} and {@code prepareTorchMs} are what opening cost the caller (0 for a cached backend); they
   * are reported as timing "load", part of "run.tflite", and "prepare.torch".
   */
  public static Outcome validate(
      ValidationRequest req,
      TfliteModel model,
      TfliteBackend tflite,
      PortBackend port,
      double loadMs,
      double openTfliteMs,
      double prepareTorchMs,
      java.util.function.Consumer<String> onPhase) {
    Map<String, Double> timing = new LinkedHashMap<>();
    long t0 = System.nanoTime();
    String label = req.model() == null ? DemoModel.LABEL : req.model().toString();
    timing.put("load", loadMs);

    Map<String, HostTensor> inputs =
        InputGenerator.inputs(model, req.config().seed(), req.inputLow(), req.inputHigh(), req.inputs());
    Map<String, Activations> acts = new LinkedHashMap<>();
    List<String> inputNotes = InputNotes.describe(model, req.inputs(), req.expectedRange());
    List<Comparison> comparisons = new ArrayList<>();
    List<UnsupportedOp> unsupported = new ArrayList<>();
    List<String> notes = new ArrayList<>(inputNotes);
    Map<String, String> config = new LinkedHashMap<>();
    config.put("mode", req.mode().name().toLowerCase(Locale.ROOT));
    dev.crossalign.backend.Profiles.describe(req.config()).forEach((k, v) -> config.put("determinism." + k, v));
    config.put("input_range", req.inputLow() + ".." + req.inputHigh());
    config.put("tflite.threads", Integer.toString(req.tfliteThreads()));
    config.put("intra_op_threads", Integer.toString(req.config().intraOpThreads()));
    config.put("tolerance.atol_scaled_by_max_abs_ref", Boolean.toString(req.tolerance().scaleAtol()));
    config.put("tolerance.chained_rel_l2_budget", Double.toString(req.chainedRelL2()));

    long t1 = System.nanoTime();
    Activations reference = tflite.run(inputs);
    tflite.info().forEach((k, v) -> config.put(BackendKind.TFLITE.configKey(k), v));
    List<TfliteBackend.PlaceholderOp> placeholders = tflite.placeholderOps();
    Set<String> placeholderOutputs = tflite.placeholderOutputs();
    Set<String> downstream = tflite.downstreamOfPlaceholders();
    Map<String, Integer> perCustomOp = new LinkedHashMap<>();
    placeholders.forEach(p -> perCustomOp.merge(p.customCode(), 1, Integer::sum));
    perCustomOp.forEach((op, n) -> unsupported.add(new UnsupportedOp(op, n, placeholderReason(op))));
    timing.put("run.tflite", openTfliteMs + ms(t1));
    onPhase.accept(BackendKind.TFLITE.id());
    acts.put(BackendKind.TFLITE.id(), reference);

    if (req.runs(BackendKind.TORCH)) {
      if (port == null) {
        throw new IllegalArgumentException("the request names torch but no port backend was given");
      }
      timing.put("prepare.torch", prepareTorchMs);
      onPhase.accept("torch prepare");
      unsupported.addAll(port.unsupported());
      port.info().forEach((k, v) -> config.put(BackendKind.TORCH.configKey(k), v));
      if (req.mode().chained()) {
        long t3 = System.nanoTime();
        Activations chained = port.run(inputs);
        timing.put("run.torch.chained", ms(t3));
        acts.put(BackendKind.TORCH.id(), chained);
        long t4 = System.nanoTime();
        comparisons.addAll(Aligner.compare(reference, chained, Mode.CHAINED, req.chainedTolerance()));
        timing.put("compare.torch.chained", ms(t4));
        onPhase.accept("torch chained");
      }
      if (req.mode().isolated()) {
        long t3 = System.nanoTime();
        Activations isolated = port.runIsolated(reference);
        timing.put("run.torch.isolated", ms(t3));
        acts.put("torch.isolated", isolated);
        long t4 = System.nanoTime();
        comparisons.addAll(Aligner.compare(reference, isolated, Mode.ISOLATED, req.tolerance()));
        timing.put("compare.torch.isolated", ms(t4));
        onPhase.accept("torch isolated");
      }
      for (NaivePaddingProbe.Finding f : NaivePaddingProbe.probe(model, reference, 3)) {
        notes.add(String.format(Locale.ROOT,
            "%s '%s' (k=%d, s=%d, TF SAME pads %d before / %d after): PyTorch's naive padding=k//2 would be off by"
                + " max_abs %.3g here; the TF-faithful port is compared above",
            f.op(), f.tensor(), f.kernel(), f.stride(), f.padBegin(), f.padEnd(), f.naiveMaxAbs()));
      }
    }
    if (req.runs(BackendKind.ONNXRUNTIME) || req.exportOnnx() != null) {
      long te = System.nanoTime();
      dev.crossalign.port.onnx.Export export = OnnxLeg.export(model, unsupported);
      timing.put("export.onnx", ms(te));
      if (export != null && req.exportOnnx() != null) {
        export.model().write(req.exportOnnx());
        notes.add("ONNX model written to " + req.exportOnnx() + " (opset " + export.model().opset() + ", TFLite tensor names kept)");
      }
      if (req.runs(BackendKind.ONNXRUNTIME)) {
        OnnxLeg.run(model, req, export, reference, inputs, acts, comparisons, unsupported, notes, timing, config);
        onPhase.accept(BackendKind.ONNXRUNTIME.id());
      }
    }
    if (!placeholders.isEmpty()) {
      dropPlaceholderComparisons(comparisons, reference, placeholders, placeholderOutputs, downstream, req);
      mergePlaceholderEntries(unsupported, perCustomOp.keySet());
      notes.add(placeholderOutputs.size() + " tensor(s) written by placeholder kernels " + placeholderOutputs
          + " and " + downstream.size() + " computed from them are left out of the chained comparison; ops downstream"
          + " are compared in isolated mode (each fed the reference's tensors)");
    }

    comparisons = WeightTensors.checkedOnce(inReferenceOrder(comparisons, reference), WeightTensors.of(model));
    notes.addAll(TriangleNotes.of(comparisons));
    timing.put("total", loadMs + openTfliteMs + prepareTorchMs + ms(t0));
    AlignmentResult result =
        AlignmentResult.of(
            label,
            req.device().toString(),
            req.config().seed(),
            req.tolerance(),
            BackendKind.ids(req.backends()),
            comparisons,
            unsupported,
            notes,
            timing,
            config);
    return new Outcome(result, acts);
  }

  static String placeholderReason(String customOp) {
    return "custom op " + customOp + " has no kernel in the TFLite reference: a placeholder wrote zeros, tensors"
        + " downstream are compared in isolated mode only";
  }

  /**
   * The reference's placeholder outputs hold zeros, not the custom op's result, and the tensors computed from them
   * are real kernels run on invented inputs. Against the reference that leaves: nothing for the placeholder outputs
   * (any mode), no chained comparison downstream (a candidate's own chained value is no oracle for zeros pushed
   * through the graph); isolated comparisons downstream stay, each op being fed the same tensors on both sides. Model
   * outputs among them cannot be truly compared: each candidate gets a MISSING comparison for them, which with the
   * unsupported ops listed makes the verdict INCOMPLETE.
   */
  private static void dropPlaceholderComparisons(
      List<Comparison> comparisons,
      Activations reference,
      List<TfliteBackend.PlaceholderOp> placeholders,
      Set<String> placeholderOutputs,
      Set<String> downstream,
      ValidationRequest req) {
    String refPrefix = reference.backend() + "~";
    comparisons.removeIf(c -> c.pair().startsWith(refPrefix)
        && (placeholderOutputs.contains(c.name()) || (c.mode() == Mode.CHAINED && downstream.contains(c.name()))));
    String ops = String.join(", ", placeholders.stream().map(TfliteBackend.PlaceholderOp::customCode).distinct().toList());
    for (String candidate : BackendKind.ids(req.backends())) {
      if (candidate.equals(reference.backend())) {
        continue;
      }
      for (String o : reference.outputNames()) {
        if (!placeholderOutputs.contains(o) && !downstream.contains(o)) {
          continue;
        }
        CapturedTensor r = reference.get(o);
        if (r == null) {
          continue;
        }
        List<Integer> shape = new ArrayList<>();
        for (int d : r.tensor().shape()) {
          shape.add(d);
        }
        // in the first mode run (--mode isolated makes no chained comparison, not even a missing one)
        comparisons.add(new Comparison(r.name(), r.op(), r.index(), shape, refPrefix + candidate,
            req.mode().chained() ? Mode.CHAINED : Mode.ISOLATED, null,
            Comparison.Status.MISSING, null,
            "model output '" + o + "' of the TFLite reference is computed from placeholder zeros (custom op " + ops
                + " has no kernel there): no true reference value"));
      }
    }
  }

  /**
   * A custom op without a TFLite kernel is usually without a port lowering (and ONNX export) too: one entry per op,
   * the reference's reason first and the other backends' reasons after it, instead of the same op listed twice.
   */
  private static void mergePlaceholderEntries(List<UnsupportedOp> unsupported, Set<String> placeholderOps) {
    Map<String, UnsupportedOp> merged = new LinkedHashMap<>();
    List<UnsupportedOp> out = new ArrayList<>();
    for (UnsupportedOp u : unsupported) {
      UnsupportedOp first = merged.get(u.op());
      if (!placeholderOps.contains(u.op())) {
        out.add(u);
      } else if (first == null) {
        merged.put(u.op(), u);
        out.add(u);
      } else {
        UnsupportedOp m = new UnsupportedOp(u.op(), Math.max(first.count(), u.count()), first.reason() + "; " + u.reason());
        out.set(out.indexOf(first), m);
        merged.put(u.op(), m);
      }
    }
    unsupported.clear();
    unsupported.addAll(out);
  }

  /**
   * Comparisons indexed by the tensor's position in the reference run (its topological order), whatever pair they
   * belong to, so that "first divergence" and the report's x axis mean the same thing for every pair.
   */
  static List<Comparison> inReferenceOrder(List<Comparison> comparisons, Activations reference) {
    Map<String, Integer> position = new java.util.HashMap<>();
    int p = 0;
    for (dev.crossalign.backend.CapturedTensor t : reference.tensors()) {
      position.put(t.name(), p++);
    }
    List<Comparison> out = new ArrayList<>(comparisons.size());
    for (Comparison c : comparisons) {
      int idx = position.getOrDefault(c.name(), -1);
      out.add(idx == c.index() ? c : new Comparison(c.name(), c.op(), idx, c.shape(), c.pair(), c.mode(), c.metrics(),
          c.status(), c.permutation(), c.detail()));
    }
    return out;
  }

  private static double ms(long start) {
    return (System.nanoTime() - start) / 1e6;
  }

  static CrossalignException notYet(String what) {
    return CrossalignException.unsupported(what);
  }
}
