package dev.crossalign.engine;

import dev.crossalign.backend.BackendKind;
import dev.crossalign.CrossalignException;
import dev.crossalign.align.Aligner;
import dev.crossalign.align.Mode;
import dev.crossalign.UnsupportedOp;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.onnx.OrtBackend;
import dev.crossalign.backend.onnx.OrtOptions;
import dev.crossalign.port.onnx.Export;
import dev.crossalign.port.onnx.ExportOptions;
import dev.crossalign.port.onnx.Exporter;
import dev.crossalign.tflite.TensorInfo;
import dev.crossalign.tflite.TfliteModel;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
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
  private Export export;
  private OrtOptions options;
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
    b.unsupported.addAll(exported.unsupported());
    b.timing.put("export.onnx", exported.ms());
    ValidationRequest req = ctx.req();
    if (leg.export != null && req.exportOnnx() != null) {
      leg.export.model().write(req.exportOnnx());
      b.notes.add("ONNX model written to " + req.exportOnnx() + " (opset " + leg.export.model().opset()
          + ", TFLite tensor names kept)");
    }
    return new Prepared(leg, b.build(null));
  }

  /** --mode is honoured here as on the port: an isolated-only validation makes no chained ONNX Runtime run. */
  private Mode missingMode() {
    return ctx.req().mode().chained() ? Mode.CHAINED : Mode.ISOLATED;
  }

  /**
   * The chained run, compared with the reference; its comparable tensors handed to {@code hold} (when not null: the
   * port's chained run compares with them next). Without an export or when ONNX Runtime cannot run the model:
   * MISSING comparisons and the reason, and no isolated run after it.
   */
  LegResult chained(Consumer<Activations> hold) {
    LegResult.Builder b = new LegResult.Builder();
    if (export == null) {
      failed = true;
      return b.add(Slot.ORT_CHAINED, Aligner.missingOutputs(ctx.reference(), OrtBackend.NAME, missingMode(),
          "the model could not be exported to ONNX")).build(null);
    }
    options = OrtOptions.from(ctx.req().config(), ctx.req().device());
    return guarded(b, Slot.ORT_CHAINED, () -> runChained(b, hold));
  }

  private Activations runChained(LegResult.Builder b, Consumer<Activations> hold) {
    long t0 = System.nanoTime();
    Set<String> graphNames = graphTensorNames(ctx.model());
    try (OrtBackend ort = OrtBackend.open(export.model(), options)) {
      b.timing.put("prepare.onnxruntime", Validator.ms(t0));
      ort.info().forEach((k, v) -> b.config.put(BackendKind.ONNXRUNTIME.configKey(k), v));
      long t1 = System.nanoTime();
      StreamedPair vsRef = StreamedPair.candidateStreams(ctx.reference(), OrtBackend.NAME, OrtBackend.NAME,
          Mode.CHAINED, ctx.req().chainedTolerance(), ctx.worst(), Slot.ORT_CHAINED.ordinal());
      Activations held = null;
      if (ctx.dumps() != null || hold != null) {
        // --dump-dir writes the whole run, ONNX Runtime's own helper values included, as it always did
        held = ctx.dumps() != null ? ort.run(ctx.inputs()) : ort.run(ctx.inputs(), graphNames::contains);
        ctx.dump(OrtBackend.NAME, held);
        handOver(hold, held);
        held.tensors().forEach(vsRef::accept);
      } else {
        ort.run(ctx.inputs(), graphNames::contains, vsRef);
      }
      b.add(Slot.ORT_CHAINED, vsRef, "compare.onnxruntime");
      b.timing.put("run.onnxruntime.chained", Validator.ms(t1) - vsRef.compareMs());
      return null;
    }
  }

  /**
   * Isolated mode on ONNX Runtime ({@link IsolatedOrt}), compared with the reference; held as in {@link #chained}.
   * Nothing when the chained run failed, or when the reference lacks a tensor an op reads (a placeholder's output).
   */
  LegResult isolated(Consumer<Activations> hold) {
    LegResult.Builder b = new LegResult.Builder();
    if (failed) {
      return b.build(null);
    }
    if (options == null) {
      options = OrtOptions.from(ctx.req().config(), ctx.req().device());
    }
    return guarded(b, Slot.ORT_ISOLATED, () -> runIsolated(b, hold));
  }

  private Activations runIsolated(LegResult.Builder b, Consumer<Activations> hold) {
    long t0 = System.nanoTime();
    StreamedPair vsRef = StreamedPair.candidateStreams(ctx.reference(), OrtBackend.NAME,
        OrtBackend.NAME + ".isolated", Mode.ISOLATED, ctx.req().tolerance(), ctx.worst(),
        Slot.ORT_ISOLATED.ordinal());
    Activations held = null;
    if (ctx.dumps() != null || hold != null) {
      held = ctx.dumps() != null ? IsolatedOrt.run(ctx.model(), ctx.reference(), options)
          : IsolatedOrt.run(ctx.model(), ctx.reference(), options, graphTensorNames(ctx.model())::contains);
      if (held == null) {
        return null;
      }
      ctx.dump(OrtBackend.NAME + ".isolated", held);
      handOver(hold, held);
      held.tensors().forEach(vsRef::accept);
    } else if (!IsolatedOrt.run(ctx.model(), ctx.reference(), options, graphTensorNames(ctx.model())::contains,
        vsRef)) {
      return null;
    }
    b.add(Slot.ORT_ISOLATED, vsRef, "compare.onnxruntime.isolated");
    b.timing.put("run.onnxruntime.isolated", Validator.ms(t0) - vsRef.compareMs());
    return null;
  }

  /**
   * Hands the run to {@code hold} as soon as it ends, before it is compared with the reference: the port's run of
   * the same mode can start on its lane while this one compares.
   */
  private static void handOver(Consumer<Activations> hold, Activations run) {
    if (hold != null) {
      hold.accept(run);
    }
  }

  /**
   * Runs one of the leg's runs: ONNX Runtime refusing the model (UNSUPPORTED) becomes the reason and MISSING
   * comparisons in {@code slot}, and ends the leg; any other failure names the model it came from.
   */
  private LegResult guarded(LegResult.Builder b, Slot slot, Supplier<Activations> run) {
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

  /** Every tensor name of the TFLite graph: what the other runs can hold, so what a comparison can use. */
  private static Set<String> graphTensorNames(TfliteModel model) {
    Set<String> names = new HashSet<>();
    for (TensorInfo t : model.main().tensors()) {
      names.add(t.name());
    }
    return names;
  }
}
