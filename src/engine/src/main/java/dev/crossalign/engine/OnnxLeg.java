package dev.crossalign.engine;

import dev.crossalign.backend.BackendKind;
import dev.crossalign.CrossalignException;
import dev.crossalign.align.Aligner;
import dev.crossalign.align.Mode;
import dev.crossalign.UnsupportedOp;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.BackendSpec;
import dev.crossalign.backend.Backends;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.backend.SelectiveCapture;
import dev.crossalign.backend.onnx.OrtBackend;
import dev.crossalign.onnx.OnnxModel;
import dev.crossalign.port.onnx.Export;
import dev.crossalign.port.onnx.ExportOptions;
import dev.crossalign.port.onnx.Exporter;
import dev.crossalign.tflite.TensorInfo;
import dev.crossalign.tflite.TfliteModel;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The ONNX hop of a validation: export the port's graph (TF semantics, NCHW inside, TFLite tensor names kept), run it
 * in ONNX Runtime with every intermediate captured, and compare it with the reference. Three legs, each a {@link
 * LegResult}: {@link #prepare} (the export), {@link #chained} and {@link #isolated}. A run's tensors are held only when
 * the port's run of the same mode comes next and compares with them (torch~onnxruntime); otherwise each is compared
 * as it comes off the session and let go.
 */
final class OnnxLeg {
  private final LegContext ctx;
  /** The export until the chained run's session is made (null from then on, or when the model was not exported). */
  private Export export;
  private boolean exported;
  private boolean failed;

  private OnnxLeg(LegContext ctx) {
    this.ctx = ctx;
  }

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

  /** The leg after its export (and --export-onnx written), with the export's record. */
  record Prepared(OnnxLeg leg, LegResult result) {}

  /**
   * The export alone (it reads only the model, so it can run before the reference, on another thread): the export or
   * null, what it could not export, and its wall time.
   */
  record Exported(Export export, List<UnsupportedOp> unsupported, double ms) {}

  static Exported exportStep(TfliteModel model) {
    long t0 = System.nanoTime();
    List<UnsupportedOp> unsupported = new java.util.ArrayList<>();
    Export e = export(model, unsupported);
    return new Exported(e, unsupported, Validator.ms(t0));
  }

  static Prepared prepare(LegContext ctx) {
    return prepare(ctx, exportStep(ctx.model()));
  }

  /** The leg after {@code exported}, made earlier from the same model. */
  static Prepared prepare(LegContext ctx, Exported exported) {
    OnnxLeg leg = new OnnxLeg(ctx);
    LegResult.Builder b = new LegResult.Builder();
    leg.export = exported.export();
    leg.exported = leg.export != null;
    b.unsupported.addAll(exported.unsupported());
    b.timing.put("export.onnx", exported.ms());
    ValidationRequest req = ctx.req();
    if (leg.export != null && req.exportOnnx() != null) {
      leg.export.model().write(req.exportOnnx());
      b.notes.add("ONNX model written to " + req.exportOnnx() + " (opset " + leg.export.model().opset()
          + ", TFLite tensor names kept)");
    }
    if (!(req.runs(BackendKind.ONNXRUNTIME) && req.mode().chained())) {
      leg.export = null; // no chained session will read it (the isolated run exports a form of its own)
    }
    return new Prepared(leg, b.build(null));
  }

  /** --mode is honoured here as on the port: an isolated-only validation makes no chained ONNX Runtime run. */
  private Mode missingMode() {
    return ctx.req().mode().chained() ? Mode.CHAINED : Mode.ISOLATED;
  }

  /**
   * The chained run, compared with the reference; its compared tensors held in the result when {@code hold} (the
   * port's chained run compares with them next). Without an export or when ONNX Runtime cannot run the model:
   * MISSING comparisons and the reason, and no isolated run after it.
   */
  LegResult chained(boolean hold) {
    LegResult.Builder b = new LegResult.Builder();
    if (!exported) {
      failed = true;
      return b.add(Slot.ORT_CHAINED, Aligner.missingOutputs(ctx.reference(), OrtBackend.NAME, missingMode(),
          "the model could not be exported to ONNX")).build(null);
    }
    return guarded(b, Slot.ORT_CHAINED, () -> runChained(b, hold));
  }

  private SpilledRun runChained(LegResult.Builder b, boolean hold) {
    long t0 = System.nanoTime();
    long c0 = ThreadCpu.nanos();
    Set<String> graphNames = graphTensorNames(ctx.model());
    try (SelectiveCapture ort = openChained()) {
      b.timing.put("prepare.onnxruntime", Validator.ms(t0));
      b.timing.put("cpu.prepare.onnxruntime", ThreadCpu.msSince(c0));
      ort.info().forEach((k, v) -> b.config.put(BackendKind.ONNXRUNTIME.configKey(k), v));
      long t1 = System.nanoTime();
      long c1 = ThreadCpu.nanos();
      StreamedPair vsRef = StreamedPair.candidateStreams(ctx, OrtBackend.NAME, OrtBackend.NAME,
          Mode.CHAINED, ctx.req().chainedTolerance(), Slot.ORT_CHAINED.ordinal());
      SpilledRun held = hold ? SpilledRun.create(OrtBackend.NAME) : null;
      try {
        if (ctx.dumps() != null) {
          // --dump-dir writes the whole run, ONNX Runtime's own helper values included, as it always did
          Activations all = ort.run(ctx.inputs());
          ctx.dump(OrtBackend.NAME, all);
          all.tensors().forEach(StreamedPair.all(vsRef, kept(held, graphNames), ctx.pageDrops(null))::accept);
        } else {
          ort.run(ctx.inputs(), graphNames::contains, StreamedPair.all(vsRef, kept(held, graphNames),
              ctx.pageDrops(null)));
        }
      } catch (RuntimeException e) {
        closeQuietly(held, e);
        throw e;
      }
      b.add(Slot.ORT_CHAINED, vsRef, "compare.onnxruntime");
      b.timing.put("run.onnxruntime.chained", Validator.ms(t1) - vsRef.compareMs());
      b.timing.put("cpu.run.onnxruntime.chained", ThreadCpu.legMsSince(c1, vsRef));
      return held;
    } finally {
      dev.crossalign.backend.NativeMemory.trim(); // the session and its run are gone
    }
  }

  /**
   * The chained run's session, on the export this leg then lets go: the session holds the weights natively ({@code
   * OrtWeights}), and the isolated run exports a form of its own, so the export's protobuf (pose_landmark_heavy: 52 MB
   * of weights on the heap) is not kept for the rest of the validation.
   */
  private SelectiveCapture openChained() {
    OnnxModel onnx = export.model();
    export = null;
    return openOrt(ctx.model(), onnx, ctx.req().device(), ctx.req().config());
  }

  /** {@code held}, taking only the tensors the other runs can have (none of ONNX Runtime's helper values); or null. */
  private static dev.crossalign.backend.TensorSink kept(SpilledRun held, Set<String> graphNames) {
    return held == null ? null : t -> {
      if (graphNames.contains(t.name())) {
        held.accept(t);
      }
    };
  }

  /** Closes {@code held} (when there is one), a failure to close added to {@code failure} (when there is one). */
  private static void closeQuietly(SpilledRun held, RuntimeException failure) {
    if (held != null) {
      try {
        held.close();
      } catch (RuntimeException e) {
        if (failure == null) {
          throw e;
        }
        failure.addSuppressed(e);
      }
    }
  }

  /**
   * Isolated mode on ONNX Runtime ({@link IsolatedOrt}), compared with the reference; held as in {@link #chained}.
   * Nothing when the chained run failed, or when the reference lacks a tensor an op reads (a placeholder's output).
   */
  LegResult isolated(boolean hold) {
    LegResult.Builder b = new LegResult.Builder();
    if (failed) {
      return b.build(null);
    }
    return guarded(b, Slot.ORT_ISOLATED, () -> runIsolated(b, hold));
  }

  private SpilledRun runIsolated(LegResult.Builder b, boolean hold) {
    long t0 = System.nanoTime();
    long c0 = ThreadCpu.nanos();
    StreamedPair vsRef = StreamedPair.candidateStreams(ctx, OrtBackend.NAME,
        OrtBackend.NAME + ".isolated", Mode.ISOLATED, ctx.req().tolerance(),
        Slot.ORT_ISOLATED.ordinal());
    Set<String> graphNames = graphTensorNames(ctx.model());
    SpilledRun held = hold ? SpilledRun.create(OrtBackend.NAME) : null;
    try {
      if (ctx.dumps() != null) {
        Activations all = IsolatedOrt.run(ctx.model(), ctx.reference(), ctx.req().device(), ctx.req().config());
        if (all == null) {
          closeQuietly(held, null);
          return null;
        }
        ctx.dump(OrtBackend.NAME + ".isolated", all);
        all.tensors().forEach(StreamedPair.all(vsRef, kept(held, graphNames), ctx.pageDrops(null))::accept);
      } else if (!IsolatedOrt.run(ctx.model(), ctx.reference(), ctx.req().device(), ctx.req().config(),
          graphNames::contains, StreamedPair.all(vsRef, kept(held, graphNames), ctx.pageDrops(null)))) {
        closeQuietly(held, null);
        return null;
      }
    } catch (RuntimeException e) {
      closeQuietly(held, e);
      throw e;
    }
    dev.crossalign.backend.NativeMemory.trim();
    b.add(Slot.ORT_ISOLATED, vsRef, "compare.onnxruntime.isolated");
    b.timing.put("run.onnxruntime.isolated", Validator.ms(t0) - vsRef.compareMs());
    b.timing.put("cpu.run.onnxruntime.isolated", ThreadCpu.legMsSince(c0, vsRef));
    return held;
  }

  /**
   * Runs one of the leg's runs: ONNX Runtime refusing the model (UNSUPPORTED) becomes the reason and MISSING
   * comparisons in {@code slot}, and ends the leg; any other failure names the model it came from.
   */
  private LegResult guarded(LegResult.Builder b, Slot slot, Supplier<SpilledRun> run) {
    try {
      return b.build(run.get());
    } catch (CrossalignException e) {
      if (e.kind() == CrossalignException.Kind.UNSUPPORTED) {
        failed = true;
        LegResult.Builder f = new LegResult.Builder();
        f.unsupported.add(new UnsupportedOp(BackendKind.ONNXRUNTIME.id(), 1, e.getMessage()));
        f.timing.putAll(b.timing);
        f.config.putAll(b.config);
        return f.add(slot, Aligner.missingOutputs(ctx.reference(), OrtBackend.NAME, missingMode(), e.getMessage()))
            .build(null);
      }
      // ONNX Runtime names a node of the exported model; the user needs the model it came from
      String label = ctx.model().label();
      throw e.getMessage() != null && e.getMessage().contains(label) ? e
          : new CrossalignException(e.kind(), "model " + label + " exported to ONNX: " + e.getMessage(), e);
    }
  }

  /**
   * ONNX Runtime on {@code onnx} (exported from {@code model}, which names it) through its provider, as validate's
   * captures want it (every node output fetchable, graph optimisations off, the config's threads and determinism).
   */
  static SelectiveCapture openOrt(TfliteModel model, OnnxModel onnx, Device device, DeterminismConfig config) {
    BackendSpec spec = new BackendSpec(model, () -> onnx, device, config, BackendSpec.Purpose.CAPTURE);
    return Backends.open(BackendKind.ONNXRUNTIME, spec, SelectiveCapture.class);
  }

  /** Every tensor name of the TFLite graph: what the other runs can hold, so what a comparison can use. */
  private static Set<String> graphTensorNames(TfliteModel model) {
    Set<String> names = new HashSet<>();
    for (TensorInfo t : model.main().tensors()) {
      names.add(t.name());
    }
    return names;
  }
}
