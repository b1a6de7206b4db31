package dev.crossalign.engine;

import dev.crossalign.backend.BackendKind;
import dev.crossalign.align.Mode;
import dev.crossalign.backend.Activations;
import dev.crossalign.port.NaivePaddingProbe;
import dev.crossalign.backend.StreamingBackend;
import java.util.Locale;

/**
 * The port's legs of a validation: {@link #prepare} (what the port could not lower, its config), {@link #chained}
 * and {@link #isolated}, each a {@link LegResult}. The port's runs stream: each tensor is compared with the reference
 * and, when ONNX Runtime's run of the same mode is held, with that (torch~onnxruntime), and then let go.
 */
final class TorchLeg {
  /** torch, or torch-xnnpack (chained only): the port backend the request names, as reports name it. */
  private final String name;
  private static final String ORT = BackendKind.ONNXRUNTIME.id();
  private final LegContext ctx;
  private final StreamingBackend port;

  TorchLeg(LegContext ctx, StreamingBackend port) {
    this.ctx = ctx;
    this.port = port;
    this.name = port.name();
  }

  /**
   * The port as opened: its unsupported ops and config, and what opening it cost the caller (wall; CPU time, NaN when
   * the caller opened it elsewhere).
   */
  LegResult prepare(double prepareMs, double prepareCpuMs) {
    LegResult.Builder b = new LegResult.Builder();
    b.timing.put("prepare.torch", prepareMs);
    if (!Double.isNaN(prepareCpuMs)) {
      b.timing.put("cpu.prepare.torch", prepareCpuMs);
    }
    b.unsupported.addAll(port.unsupported());
    port.info().forEach((k, v) -> b.config.put(BackendKind.byId(name).configKey(k), v));
    return b.build(null);
  }

  /** The chained run against the reference and, when given, ONNX Runtime's chained run ({@code ort}, held). */
  LegResult chained(SpilledRun ort) {
    LegResult.Builder b = new LegResult.Builder();
    long t0 = System.nanoTime();
    long c0 = ThreadCpu.nanos();
    StreamedPair vsRef = StreamedPair.candidateStreams(ctx, name, name,
        Mode.CHAINED, ctx.req().chainedTolerance(), Slot.TORCH_CHAINED.ordinal());
    StreamedPair vsOrt = ort == null ? null : StreamedPair.referenceStreams(name, name,
        port.outputNames(), ort, ORT, Mode.CHAINED, ctx.req().chainedTolerance(), ctx.worst(),
        Slot.TORCH_ORT_CHAINED.ordinal());
    Activations.Builder all = ctx.dumps() == null ? null : Activations.builder(name);
    port.run(ctx.inputs(), StreamedPair.all(vsRef, vsOrt, all, ctx.pageDrops(ort)));
    dev.crossalign.backend.NativeMemory.trim();
    double wall = Validator.ms(t0);
    b.add(Slot.TORCH_CHAINED, vsRef, "compare.torch.chained");
    if (vsOrt != null) {
      // main reported torch~onnxruntime's compare time under ONNX Runtime's key; it is made here now
      b.add(Slot.TORCH_ORT_CHAINED, vsOrt, "compare.onnxruntime");
    }
    b.timing.put("run.torch.chained", wall - vsRef.compareMs() - (vsOrt == null ? 0 : vsOrt.compareMs()));
    b.timing.put("cpu.run.torch.chained", ThreadCpu.legMsSince(c0, vsRef, vsOrt));
    dumpWhole(all, name);
    return b.build(null);
  }

  /** The isolated run against the reference and, when given, ONNX Runtime's isolated run ({@code ort}, held). */
  LegResult isolated(SpilledRun ort) {
    LegResult.Builder b = new LegResult.Builder();
    long t0 = System.nanoTime();
    long c0 = ThreadCpu.nanos();
    StreamedPair vsRef = StreamedPair.candidateStreams(ctx, name,
        name + ".isolated", Mode.ISOLATED, ctx.req().tolerance(),
        Slot.TORCH_ISOLATED.ordinal());
    StreamedPair vsOrt = ort == null ? null : StreamedPair.referenceStreams(name,
        name + ".isolated", port.outputNames(), ort, ORT + ".isolated", Mode.ISOLATED,
        ctx.req().tolerance(), ctx.worst(), Slot.TORCH_ORT_ISOLATED.ordinal());
    Activations.Builder all = ctx.dumps() == null ? null : Activations.builder(name);
    port.runIsolated(ctx.reference(), StreamedPair.all(vsRef, vsOrt, all, ctx.pageDrops(ort)));
    dev.crossalign.backend.NativeMemory.trim();
    double wall = Validator.ms(t0);
    b.add(Slot.TORCH_ISOLATED, vsRef, "compare.torch.isolated");
    if (vsOrt != null) {
      b.add(Slot.TORCH_ORT_ISOLATED, vsOrt, "compare.onnxruntime.isolated");
    }
    b.timing.put("run.torch.isolated", wall - vsRef.compareMs() - (vsOrt == null ? 0 : vsOrt.compareMs()));
    b.timing.put("cpu.run.torch.isolated", ThreadCpu.legMsSince(c0, vsRef, vsOrt));
    // which code the isolated run took (per-op TorchScript or eager, and why) is known once it ran
    String isolatedPath = port.info().get("isolated_path");
    if (isolatedPath != null) {
      b.config.put(BackendKind.byId(name).configKey("isolated_path"), isolatedPath);
    }
    dumpWhole(all, name + ".isolated");
    return b.build(null);
  }

  /** What the port says about TF's SAME padding on this model's reference tensors (a note per finding). */
  LegResult paddingNotes() {
    LegResult.Builder b = new LegResult.Builder();
    for (NaivePaddingProbe.Finding f : NaivePaddingProbe.probe(ctx.model(), ctx.reference(), 3)) {
      b.notes.add(String.format(Locale.ROOT,
          "%s '%s' (k=%d, s=%d, TF SAME pads %d before / %d after): PyTorch's naive padding=k//2 would be off by"
              + " max_abs %.3g here; the TF-faithful port is compared above",
          f.op(), f.tensor(), f.kernel(), f.stride(), f.padBegin(), f.padEnd(), f.naiveMaxAbs()));
    }
    return b.build(null);
  }

  private void dumpWhole(Activations.Builder all, String run) {
    if (all != null) {
      port.outputNames().forEach(all::output);
      ctx.dump(run, all.build());
    }
  }

}
