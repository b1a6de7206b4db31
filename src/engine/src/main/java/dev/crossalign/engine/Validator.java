package dev.crossalign.engine;

import dev.crossalign.backend.BackendKind;
import dev.crossalign.CrossalignException;
import dev.crossalign.align.AlignmentResult;
import dev.crossalign.align.Comparison;
import dev.crossalign.UnsupportedOp;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.BackendProvider;
import dev.crossalign.backend.BackendSpec;
import dev.crossalign.backend.Capability;
import dev.crossalign.backend.Backends;
import dev.crossalign.backend.NativeLoads;
import dev.crossalign.backend.ReferenceBackend;
import dev.crossalign.backend.StreamingBackend;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tflite.TfliteModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Supplier;

/** Runs one validation: reference, candidates, chained and isolated comparisons, verdict. The engine's main API. */
public final class Validator {
  private Validator() {}

  /**
   * Everything a run produced: the result to report, and the tensors a report still reads afterwards: the worst
   * comparison's two tensors (the HTML report's error histogram), keyed by run ("tflite", "torch", "torch.isolated",
   * "onnxruntime", "onnxruntime.isolated"), one tensor each. Whole runs are not kept: a caller that wants them passes
   * a dump consumer to {@link #validate(ValidationRequest, Consumer, BiConsumer)}.
   */
  public record Outcome(AlignmentResult result, Map<String, Activations> activations) {}

  public static Outcome validate(ValidationRequest req) {
    return validate(req, phase -> {});
  }

  /** The number of phases {@code onPhase} is told about (for a progress bar). */
  public static int phases(ValidationRequest req) {
    return phaseNames(req).size();
  }

  /**
   * The phases {@code onPhase} is told about, in the order they run, named as it names them at their end. ONNX
   * Runtime's run of a mode goes before the port's, which streams past it.
   */
  public static List<String> phaseNames(ValidationRequest req) {
    boolean torch = req.portKind() != null;
    boolean ort = req.runs(BackendKind.ONNXRUNTIME);
    List<String> names = new ArrayList<>(List.of("load", BackendKind.TFLITE.id()));
    if (torch) {
      names.add("torch prepare");
    }
    if (req.mode().chained()) {
      if (ort) {
        names.add("onnxruntime chained");
      }
      if (torch) {
        names.add("torch chained");
      }
    }
    if (req.mode().isolated()) {
      if (ort) {
        names.add("onnxruntime isolated");
      }
      if (torch) {
        names.add("torch isolated");
      }
    }
    return names;
  }

  /** As {@link #validate(ValidationRequest)}, telling {@code onPhase} as each phase ends. */
  public static Outcome validate(ValidationRequest req, Consumer<String> onPhase) {
    return validate(req, onPhase, null);
  }

  /**
   * As {@link #validate(ValidationRequest, Consumer)}, handing each backend run's complete tensors to {@code dumps}
   * (when not null) as that run ends, keyed "tflite", "torch", "torch.isolated", "onnxruntime",
   * "onnxruntime.isolated" (--dump-dir writes each as it comes, so no run is held past its own leg).
   */
  public static Outcome validate(ValidationRequest req, Consumer<String> onPhase,
      BiConsumer<String, Activations> dumps) {
    long t0 = System.nanoTime();
    TfliteModel model =
        req.model() == null ? TfliteModel.read(DemoModel.bytes(), DemoModel.LABEL) : TfliteModel.read(req.model());
    double load = ms(t0);
    onPhase.accept("load");
    requireDevice(req);
    // the natives load on their own thread in a fixed order (NativeLoads says why) while the inputs are made
    NativeLoads natives = NativeLoads.start(req.backends());
    Map<String, HostTensor> inputs =
        InputGenerator.inputs(model, req.config().seed(), req.inputLow(), req.inputHigh(), req.inputs());
    long t1 = System.nanoTime();
    natives.await(BackendKind.TFLITE);
    long c1 = ThreadCpu.nanos();
    Preparation prep = null;
    try {
      ReferenceRun reference;
      // Placeholders on: custom ops the reference lacks become zero-writing kernels so that every other layer can
      // still be compared; what they touch is reported and kept out of the chained comparison.
      try (ReferenceBackend tflite = Reference.capture(model, req.config(), req.tfliteThreads())) {
        double openMs = ms(t1);
        // only a model TFLite's verifier and the native-safety checks accepted goes to the other backends: they are
        // prepared on another thread while the reference runs
        prep = Preparation.start(req, model, natives);
        reference = ReferenceRun.of(tflite, inputs, openMs, ThreadCpu.msSince(c1));
      } // the interpreter's arena (every tensor preserved) goes now: the comparisons read the host copy
      Preparation p = prep;
      return validate(req, model, inputs, reference, p::port, p::export, natives, load, 0, t0, onPhase, dumps);
    } finally {
      if (prep != null) {
        prep.close();
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
      ReferenceBackend tflite,
      StreamingBackend port,
      double loadMs,
      double openTfliteMs,
      double prepareTorchMs,
      Consumer<String> onPhase) {
    Map<String, HostTensor> inputs =
        InputGenerator.inputs(model, req.config().seed(), req.inputLow(), req.inputHigh(), req.inputs());
    if (req.portKind() != null && port == null) {
      throw new IllegalArgumentException("the request names torch but no port backend was given");
    }
    ReferenceRun reference = ReferenceRun.of(tflite, inputs, openTfliteMs, 0);
    Preparation.Port opened = new Preparation.Port(port, prepareTorchMs, Double.NaN);
    return validate(req, model, inputs, reference, () -> opened, () -> OnnxLeg.exportStep(model), null, loadMs,
        loadMs + reference.ms() + prepareTorchMs, System.nanoTime(), onPhase, null);
  }

  /**
   * The legs after the reference ({@link Lanes}), merged. {@code port} and {@code export} hand over what was prepared
   * (waiting for it while it is being prepared); the port is the caller's. {@code total} is {@code beforeMs} plus the
   * wall time since {@code t0}.
   */
  private static Outcome validate(ValidationRequest req, TfliteModel model, Map<String, HostTensor> inputs,
      ReferenceRun ref, Supplier<Preparation.Port> port, Supplier<OnnxLeg.Exported> export, NativeLoads natives,
      double loadMs, double beforeMs, long t0, Consumer<String> onPhase, BiConsumer<String, Activations> dumps) {
    Consumer<String> phases = synchronizedConsumer(onPhase);
    Activations reference = ref.activations();
    phases.accept(BackendKind.TFLITE.id());
    if (dumps != null) {
      dumps.accept(BackendKind.TFLITE.id(), reference);
    }
    WorstPair worst = new WorstPair(reference.backend(), ref.placeholderOutputs(), ref.downstream(),
        WeightTensors.of(model), req.mode().chained());
    LegContext ctx = new LegContext(req, model, inputs, reference, ref.store(), worst,
        dumps == null ? null : synchronizedDumps(dumps));
    try (ref) { // the reference's file goes at the end; the worst pair's views stay readable
      Map<String, LegResult> legs = new LinkedHashMap<>(); // in merge order, whatever order they ran in
      legs.put("reference", ref.result(model, req));
      legs.putAll(Lanes.run(ctx, port, export, natives, phases));
      Outcome merged = merge(req, model, ref, legs.values(), loadMs, beforeMs + ms(t0), worst);
      return dev.crossalign.engine.truth.ValidateTruth.attach(req, model, inputs, reference, merged);
    }
  }

  /** Legs on two lanes report their phases and dumps from two threads: one at a time reaches the caller's. */
  private static Consumer<String> synchronizedConsumer(Consumer<String> c) {
    Object lock = new Object();
    return s -> {
      synchronized (lock) {
        c.accept(s);
      }
    };
  }

  private static BiConsumer<String, Activations> synchronizedDumps(BiConsumer<String, Activations> c) {
    Object lock = new Object();
    return (k, v) -> {
      synchronized (lock) {
        c.accept(k, v);
      }
    };
  }

  /**
   * On a CUDA device, asks each named backend's provider whether it can run there ({@link BackendProvider#probe}),
   * before the reference runs: the first that cannot is an environment error (exit 2) with the provider's reason.
   * TFLite computes on the CPU whatever the device; its probe only asks that its natives load.
   */
  public static void requireDevice(ValidationRequest req) {
    if (!req.device().isCuda()) {
      return;
    }
    for (BackendKind k : req.backends()) {
      Capability c = Backends.provider(k).probe(req.device());
      if (!c.available()) {
        throw new CrossalignException(CrossalignException.Kind.ENVIRONMENT, "--device " + req.device() + ": "
            + c.reason());
      }
    }
  }

  /**
   * A candidate of validate opened through its provider on the request's device and config, every tensor captured,
   * as the streaming runs its legs need. The caller owns it.
   */
  public static StreamingBackend openCandidate(BackendKind kind, TfliteModel model, ValidationRequest req) {
    BackendSpec spec = new BackendSpec(model, null, req.device(), req.config(), BackendSpec.Purpose.CAPTURE);
    return Backends.open(kind, spec, StreamingBackend.class);
  }

  /**
   * The legs' records as one result: comparisons by slot (the report's order), the rest in the legs' merge order,
   * then what only the whole validation knows (placeholder drops, weights checked once, triangle notes).
   */
  private static Outcome merge(ValidationRequest req, TfliteModel model, ReferenceRun ref, Iterable<LegResult> legs,
      double loadMs, double totalMs, WorstPair worst) {
    Map<Slot, List<Comparison>> bySlot = new java.util.EnumMap<>(Slot.class);
    List<UnsupportedOp> unsupported = new ArrayList<>();
    List<String> notes = new ArrayList<>(InputNotes.describe(model, req.inputs(), req.expectedRange()));
    Map<String, Double> timing = new LinkedHashMap<>(Map.of("load", loadMs));
    Map<String, String> config = new LinkedHashMap<>(requestConfig(req));
    long pairs = 0;
    double compareCpuMs = 0;
    for (LegResult leg : legs) {
      leg.comparisons().forEach((slot, cs) -> bySlot.computeIfAbsent(slot, s -> new ArrayList<>()).addAll(cs));
      unsupported.addAll(leg.unsupported());
      notes.addAll(leg.notes());
      leg.timing().forEach((k, v) -> timing.merge(k, v, Double::sum));
      config.putAll(leg.config());
      pairs += leg.pairs();
      compareCpuMs += leg.compareCpuMs();
    }
    List<Comparison> comparisons = new ArrayList<>();
    bySlot.values().forEach(comparisons::addAll);
    Activations reference = ref.activations();
    if (!ref.placeholders().isEmpty()) {
      Placeholders.dropComparisons(comparisons, reference, ref.placeholders(), ref.placeholderOutputs(),
          ref.downstream(), req);
      Placeholders.mergeEntries(unsupported, ref.customOps());
      notes.add(ref.placeholderOutputs().size() + " tensor(s) written by placeholder kernels "
          + ref.placeholderOutputs() + " and " + ref.downstream().size() + " computed from them are left out of the"
          + " chained comparison; ops downstream are compared in isolated mode (each fed the reference's tensors)");
    }
    comparisons = WeightTensors.checkedOnce(inReferenceOrder(comparisons, reference), WeightTensors.of(model));
    notes.addAll(TriangleNotes.of(comparisons));
    double compareMs = timing.entrySet().stream().filter(e -> e.getKey().startsWith("compare."))
        .mapToDouble(Map.Entry::getValue).sum();
    if (pairs > 0) {
      // comparison throughput, to hold against a bare Metrics loop (benchmarks/README.md)
      timing.put("compare.ms_per_million_pairs", compareMs / (pairs / 1e6));
      // the same from the comparing threads' CPU time: what the comparisons cost, whatever else held the cores
      timing.put("compare.cpu_ms_per_million_pairs", compareCpuMs / (pairs / 1e6));
    }
    timing.put("total", totalMs);
    String label = req.model() == null ? DemoModel.LABEL : req.model().toString();
    AlignmentResult result = AlignmentResult.of(label, req.device().toString(), req.config().seed(),
        req.tolerance(), BackendKind.ids(req.backends()), comparisons, unsupported, notes, timing, config);
    return new Outcome(result, worst.tensorsFor(result));
  }

  /** The request's own entries of the report's config. */
  private static Map<String, String> requestConfig(ValidationRequest req) {
    Map<String, String> config = new LinkedHashMap<>();
    config.put("mode", req.mode().name().toLowerCase(Locale.ROOT));
    dev.crossalign.backend.Profiles.describe(req.config()).forEach((k, v) -> config.put("determinism." + k, v));
    config.put("input_range", req.inputLow() + ".." + req.inputHigh());
    config.put("tflite.threads", Integer.toString(req.tfliteThreads()));
    config.put("intra_op_threads", Integer.toString(req.config().intraOpThreads()));
    config.put("tolerance.atol_scaled_by_max_abs_ref", Boolean.toString(req.tolerance().scaleAtol()));
    config.put("tolerance.chained_rel_l2_budget", Double.toString(req.chainedRelL2()));
    return config;
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

  static double ms(long start) {
    return (System.nanoTime() - start) / 1e6;
  }

  static CrossalignException notYet(String what) {
    return CrossalignException.unsupported(what);
  }
}
