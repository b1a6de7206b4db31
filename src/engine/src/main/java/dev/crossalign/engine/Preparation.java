package dev.crossalign.engine;

import dev.crossalign.backend.BackendKind;
import dev.crossalign.backend.BigStack;
import dev.crossalign.backend.NativeLoads;
import dev.crossalign.backend.StreamingBackend;
import dev.crossalign.tflite.TfliteModel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * What a validation prepares from the model alone, on a thread of its own while the reference runs on the caller's
 * (started once TFLite has accepted the model, so that no other backend sees a model its checks refused):
 * the ONNX export, then the torch port (libtorch loaded by {@link NativeLoads}, the generated module compiled and
 * frozen, the eager lowerings). The one place the port is prepared, so whatever else it compiles once per model runs
 * here too. The sole owner of the port it opens: {@link #close} waits for the preparation and closes it.
 */
final class Preparation implements AutoCloseable {
  /**
   * The opened port and what opening it cost: wall time from the start of this step (waiting for libtorch included),
   * and the preparing thread's CPU time (NaN when the caller opened the port elsewhere).
   */
  record Port(StreamingBackend backend, double ms, double cpuMs) {}

  private final ExecutorService thread = Executors.newSingleThreadExecutor(BigStack.factory("crossalign-prepare"));
  /** The export until {@link #export} hands it over; then a completed future of null (the leg owns it). */
  private volatile CompletableFuture<OnnxLeg.Exported> export;
  private final java.util.concurrent.atomic.AtomicBoolean exportTaken = new java.util.concurrent.atomic.AtomicBoolean();
  private final CompletableFuture<Port> port;

  private Preparation(ValidationRequest req, TfliteModel model, NativeLoads natives) {
    boolean wantsExport = req.runs(BackendKind.ONNXRUNTIME) || req.exportOnnx() != null;
    // the export first: ONNX Runtime's chained run is the first leg after the reference and needs it
    export = wantsExport ? CompletableFuture.supplyAsync(() -> OnnxLeg.exportStep(model), thread)
        : CompletableFuture.completedFuture(null);
    port = req.portKind() != null ? CompletableFuture.supplyAsync(() -> {
      long t0 = System.nanoTime();
      natives.await(BackendKind.TORCH);
      long c0 = ThreadCpu.nanos();
      StreamingBackend opened = Validator.openCandidate(req.portKind(), model, req);
      return new Port(opened, Validator.ms(t0), ThreadCpu.msSince(c0));
    }, thread) : CompletableFuture.completedFuture(null);
  }

  /** Starts the preparation of {@code req}'s candidates on {@code model}; returns at once. */
  static Preparation start(ValidationRequest req, TfliteModel model, NativeLoads natives) {
    return new Preparation(req, model, natives);
  }

  /**
   * The export (null when the request needs none); waits for it, rethrowing what it threw. Handed over once: the
   * caller owns it from then on and this object keeps no reference, so the export's weights (pose_landmark_heavy: 52
   * MB of protobuf) go as soon as the ONNX leg lets them go, not when the validation ends.
   */
  OnnxLeg.Exported export() {
    if (!exportTaken.compareAndSet(false, true)) {
      throw new IllegalStateException("the ONNX export was already handed over");
    }
    CompletableFuture<OnnxLeg.Exported> f = export;
    try {
      return join(f);
    } finally {
      export = f.handle((v, e) -> null);
    }
  }

  /** The port (null when the request does not name torch); waits for it, rethrowing what opening it threw. */
  Port port() {
    return join(port);
  }

  /** {@code f}'s value, its failure rethrown as it was thrown (not wrapped). */
  static <T> T join(CompletableFuture<T> f) {
    try {
      return f.join();
    } catch (CompletionException e) {
      throw unwrap(e);
    }
  }

  /** What a task threw, as thrown: unchecked exceptions and errors as they are. */
  static RuntimeException unwrap(Throwable e) {
    Throwable c = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    if (c instanceof RuntimeException re) {
      throw re;
    }
    if (c instanceof Error err) {
      throw err;
    }
    return new IllegalStateException(c);
  }

  /** Waits for the preparation (it cannot be stopped halfway in native code) and closes the port it opened. */
  @Override
  public void close() {
    try {
      Port p = port.handle((v, e) -> e == null ? v : null).join();
      if (p != null && p.backend() != null) {
        p.backend().close();
      }
      export.handle((v, e) -> null).join();
    } finally {
      thread.shutdown();
    }
  }
}
