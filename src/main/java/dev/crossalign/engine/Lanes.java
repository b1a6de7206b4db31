package dev.crossalign.engine;

import dev.crossalign.backend.Activations;
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
 * mode, so it starts as soon as that run has ended: ONNX Runtime's lane hands it over ({@link Handoff}) and then
 * compares it with the reference while the port runs, and its isolated run goes on while the port's chained run
 * streams. Each backend keeps its own pool size (--threads): the lanes add at most one backend run of each kind at a
 * time. The records come back in the fixed merge order, and a failure is rethrown as the serial order would have met
 * it first, so the report and the error do not depend on which lane won.
 */
final class Lanes {
  private Lanes() {}

  /**
   * ONNX Runtime's run of one mode handed from its lane to the port's: complete once the run ended (empty when it
   * made none), taken once by the port's run, which then is its only holder.
   */
  static final class Handoff {
    private final CompletableFuture<Handoff> ready = new CompletableFuture<>();
    private Activations run;

    /** The run ended (null: no run to compare with). */
    synchronized void give(Activations r) {
      if (!ready.isDone()) {
        run = r;
        ready.complete(this);
      }
    }

    /** The run, once; this handoff keeps no reference to it afterwards. */
    synchronized Activations take() {
      Activations r = run;
      run = null;
      return r;
    }

    CompletableFuture<Handoff> ready() {
      return ready;
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
    boolean torch = req.runs(BackendKind.TORCH);
    boolean ort = req.runs(BackendKind.ONNXRUNTIME);
    boolean chained = req.mode().chained();
    boolean isolated = req.mode().isolated();
    ExecutorService pool = Executors.newFixedThreadPool(2, BigStack.factory("crossalign-leg"));
    try {
      CompletableFuture<OnnxLeg.Prepared> onnx = ort || req.exportOnnx() != null
          ? CompletableFuture.supplyAsync(() -> OnnxLeg.prepare(ctx, export.get()), pool) : done(null);
      Handoff chainedRun = new Handoff();
      Handoff isolatedRun = new Handoff();
      CompletableFuture<LegResult> ortChained = ort && chained ? onnx.thenApplyAsync(p -> {
        awaitOrt(natives);
        return handedOver(chainedRun, () -> phase(onPhase, "onnxruntime chained",
            p.leg().chained(torch ? chainedRun::give : null)));
      }, pool) : done(null);
      CompletableFuture<LegResult> ortIsolated = ort && isolated ? ortChained.thenCombineAsync(onnx, (c, p) -> {
        awaitOrt(natives);
        return handedOver(isolatedRun, () -> phase(onPhase, "onnxruntime isolated",
            p.leg().isolated(torch ? isolatedRun::give : null)));
      }, pool) : done(null);
      if (!(ort && chained)) {
        chainedRun.give(null);
      }
      if (!(ort && isolated)) {
        isolatedRun.give(null);
      }
      CompletableFuture<PortLeg> portLeg = torch ? CompletableFuture.supplyAsync(() -> {
        Preparation.Port p = port.get();
        TorchLeg leg = new TorchLeg(ctx, p.backend());
        return new PortLeg(leg, phase(onPhase, "torch prepare", leg.prepare(p.ms())));
      }, pool) : done(null);
      CompletableFuture<LegResult> torchChained = torch && chained
          ? portLeg.thenCombineAsync(chainedRun.ready(), (t, o) -> phase(onPhase, "torch chained",
              t.leg().chained(o.take())), pool) : done(null);
      CompletableFuture<LegResult> torchIsolated = torch && isolated
          ? portLeg.thenCombine(torchChained, (t, c) -> t).thenCombineAsync(isolatedRun.ready(), (t, o) -> phase(
              onPhase, "torch isolated", t.leg().isolated(o.take())), pool) : done(null);
      CompletableFuture<LegResult> notes = torch ? portLeg.thenCombine(torchIsolated, (t, i) -> t)
          .thenApplyAsync(t -> t.leg().paddingNotes(), pool) : done(null);
      CompletableFuture.allOf(onnx, ortChained, ortIsolated, portLeg, torchChained, torchIsolated, notes)
          .handle((v, e) -> null).join();
      // in the serial order's order: the first failure met there is the one thrown
      Map<String, LegResult> legs = new LinkedHashMap<>();
      put(legs, "torch prepare", Preparation.join(portLeg), PortLeg::prepared);
      put(legs, "onnxruntime prepare", Preparation.join(onnx), OnnxLeg.Prepared::result);
      LegResult oc = Preparation.join(ortChained);
      put(legs, "torch chained", Preparation.join(torchChained), r -> r);
      put(legs, "onnxruntime chained", oc, r -> r);
      LegResult oi = Preparation.join(ortIsolated);
      put(legs, "torch isolated", Preparation.join(torchIsolated), r -> r);
      put(legs, "onnxruntime isolated", oi, r -> r);
      put(legs, "torch notes", Preparation.join(notes), r -> r);
      return legs;
    } finally {
      pool.shutdown();
    }
  }

  /**
   * Runs one of ONNX Runtime's legs, then makes sure the port's lane is not left waiting: a leg that made no run to
   * hand over (ONNX Runtime refused the model) or failed hands over nothing; the failure itself is rethrown by the
   * caller in the serial order.
   */
  private static LegResult handedOver(Handoff handoff, Supplier<LegResult> leg) {
    try {
      return leg.get();
    } finally {
      handoff.give(null);
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
