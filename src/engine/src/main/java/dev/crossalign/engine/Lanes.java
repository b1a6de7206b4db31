package dev.crossalign.engine;

import dev.crossalign.backend.BackendKind;
import dev.crossalign.backend.BigStack;
import dev.crossalign.backend.NativeLoads;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The legs after the reference on two lanes, each a thread: ONNX Runtime's (export, chained run, isolated run) and the
 * port's (prepare, chained run, isolated run, padding notes). A port run compares with ONNX Runtime's run of the same
 * mode (held in a {@link SpilledRun}), so it starts when that run has ended, and ONNX Runtime's isolated run goes
 * on while the port's chained run streams. Each backend keeps its own pool size (--threads): the lanes add at most one backend run of each kind at a
 * time. The records come back in the fixed merge order, and a failure is rethrown as the serial order would have met
 * it first, so the report and the error do not depend on which lane won.
 */
final class Lanes {
  private Lanes() {}

  /**
   * ONNX Runtime's leg of one mode, whose held run (a {@link SpilledRun}) the port's run of the same mode takes and
   * then lets go; {@link #release} is idempotent, so the lanes can release every hold at the end whatever happened.
   */
  static final class Held {
    private LegResult result;

    Held(LegResult result) {
      this.result = result;
    }

    synchronized SpilledRun run() {
      return result.held();
    }

    synchronized void release() {
      result = result.released();
    }

    synchronized LegResult result() {
      release();
      return result;
    }
  }

  /** The port's leg once prepared, with the record of its preparation. */
  private record PortLeg(TorchLeg leg, LegResult prepared) {}

  /**
   * Runs the legs of {@code req} after the reference and returns their records by name in merge order.
   * {@code natives} (may be null: already loaded) is awaited before ONNX Runtime's first use.
   */
  static Map<String, LegResult> run(LegContext ctx, Supplier<Preparation.Port> port,
      Supplier<OnnxLeg.Exported> export, NativeLoads natives, Consumer<String> onPhase) {
    ValidationRequest req = ctx.req();
    boolean torch = req.portKind() != null;
    boolean ort = req.runs(BackendKind.ONNXRUNTIME);
    boolean chained = req.mode().chained();
    boolean isolated = req.mode().isolated();
    ExecutorService pool = Executors.newFixedThreadPool(2, BigStack.factory("crossalign-leg"));
    try {
      CompletableFuture<OnnxLeg.Prepared> onnx = ort || req.exportOnnx() != null
          ? CompletableFuture.supplyAsync(() -> OnnxLeg.prepare(ctx, export.get()), pool) : done(null);
      CompletableFuture<Held> ortChained = ort && chained ? onnx.thenApplyAsync(p -> {
        awaitOrt(natives);
        return new Held(phase(onPhase, "onnxruntime chained", p.leg().chained(torch)));
      }, pool) : done(null);
      CompletableFuture<Held> ortIsolated = ort && isolated ? ortChained.thenCombineAsync(onnx, (c, p) -> {
        awaitOrt(natives);
        return new Held(phase(onPhase, "onnxruntime isolated", p.leg().isolated(torch)));
      }, pool) : done(null);
      CompletableFuture<PortLeg> portLeg = torch ? CompletableFuture.supplyAsync(() -> {
        Preparation.Port p = port.get();
        TorchLeg leg = new TorchLeg(ctx, p.backend());
        return new PortLeg(leg, phase(onPhase, "torch prepare", leg.prepare(p.ms(), p.cpuMs())));
      }, pool) : done(null);
      CompletableFuture<LegResult> torchChained = torch && chained
          ? portLeg.thenCombineAsync(ortChained, (t, o) -> phase(onPhase, "torch chained", compared(o,
              held -> t.leg().chained(held))), pool) : done(null);
      CompletableFuture<LegResult> torchIsolated = torch && isolated
          ? portLeg.thenCombine(torchChained, (t, c) -> t).thenCombineAsync(ortIsolated, (t, o) -> phase(onPhase,
              "torch isolated", compared(o, held -> t.leg().isolated(held))), pool) : done(null);
      CompletableFuture<LegResult> notes = torch ? portLeg.thenCombine(torchIsolated, (t, i) -> t)
          .thenApplyAsync(t -> t.leg().paddingNotes(), pool) : done(null);
      CompletableFuture.allOf(onnx, ortChained, ortIsolated, portLeg, torchChained, torchIsolated, notes)
          .handle((v, e) -> null).join();
      // every hold goes now, whichever leg failed (a port that never ran leaves ONNX Runtime's run behind)
      releaseIfDone(ortChained);
      releaseIfDone(ortIsolated);
      // in the serial order's order: the first failure met there is the one thrown
      Map<String, LegResult> legs = new LinkedHashMap<>();
      put(legs, "torch prepare", Preparation.join(portLeg), PortLeg::prepared);
      put(legs, "onnxruntime prepare", Preparation.join(onnx), OnnxLeg.Prepared::result);
      Held oc = Preparation.join(ortChained);
      put(legs, "torch chained", Preparation.join(torchChained), r -> r);
      put(legs, "onnxruntime chained", oc, Held::result);
      Held oi = Preparation.join(ortIsolated);
      put(legs, "torch isolated", Preparation.join(torchIsolated), r -> r);
      put(legs, "onnxruntime isolated", oi, Held::result);
      put(legs, "torch notes", Preparation.join(notes), r -> r);
      return legs;
    } finally {
      pool.shutdown();
    }
  }

  /** The port's run given ONNX Runtime's held run of the same mode (or none), which it lets go afterwards. */
  private static LegResult compared(Held ort, java.util.function.Function<SpilledRun, LegResult> run) {
    try {
      return run.apply(ort == null ? null : ort.run());
    } finally {
      if (ort != null) {
        ort.release();
      }
    }
  }

  private static void releaseIfDone(CompletableFuture<Held> f) {
    Held h = f.handle((v, e) -> e == null ? v : null).join();
    if (h != null) {
      h.release();
    }
  }

  private static void awaitOrt(NativeLoads natives) {
    if (natives != null) {
      natives.await(BackendKind.ONNXRUNTIME);
    }
  }

  private static <T> void put(Map<String, LegResult> legs, String name, T value,
      java.util.function.Function<T, LegResult> result) {
    if (value != null) {
      legs.put(name, result.apply(value));
    }
  }

  private static LegResult phase(Consumer<String> onPhase, String name, LegResult r) {
    onPhase.accept(name);
    return r;
  }

  private static <T> CompletableFuture<T> done(T value) {
    return CompletableFuture.completedFuture(value);
  }
}
