package dev.crossalign.engine.batch;

import dev.crossalign.CrossalignException;
import dev.crossalign.align.Tolerance;
import dev.crossalign.backend.BackendKind;
import dev.crossalign.backend.ReferenceBackend;
import dev.crossalign.backend.StreamingBackend;
import dev.crossalign.engine.DemoModel;
import dev.crossalign.engine.Reference;
import dev.crossalign.engine.RunSpec;
import dev.crossalign.engine.ValidationRequest;
import dev.crossalign.engine.Validator;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Npy;
import dev.crossalign.tensor.Npz;
import dev.crossalign.tflite.TfliteModel;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One batch worker: owns its backends (TFLite interpreters are not thread-safe) and keeps the last few opened models
 * (keyed by model path) so that rows of the same model reuse the interpreter and the prepared port. Used by one thread
 * at a time; {@link #close()} frees every native handle.
 */
public final class BatchWorker implements AutoCloseable {
  private final BatchOptions options;
  /** Access-ordered: the eldest entry is the least recently used model. */
  private final LinkedHashMap<String, Opened> cache = new LinkedHashMap<>(8, 0.75f, true);
  private final AtomicBoolean closed = new AtomicBoolean();

  public BatchWorker(BatchOptions options) {
    this.options = options;
  }

  /** A model opened on the reference and (when a row asks for it) the port. */
  private static final class Opened implements AutoCloseable {
    final TfliteModel model;
    final ReferenceBackend tflite;
    StreamingBackend port;
    double loadMs;
    double openTfliteMs;

    Opened(TfliteModel model, ReferenceBackend tflite, double loadMs, double openTfliteMs) {
      this.model = model;
      this.tflite = tflite;
      this.loadMs = loadMs;
      this.openTfliteMs = openTfliteMs;
    }

    @Override
    public void close() {
      try {
        tflite.close();
      } finally {
        if (port != null) {
          port.close();
        }
      }
    }
  }

  /** Validates one row and keeps its model open for later rows (see {@link #validate(ManifestRow, boolean)}). */
  public RowResult validate(ManifestRow row) {
    return validate(row, true);
  }

  /**
   * Validates one row; every failure becomes a recorded row (exit 2 or 3), never an exception.
   *
   * @param keepModel false: close the row's model after it (no row soon after needs it), leaving the cache to others
   */
  public RowResult validate(ManifestRow row, boolean keepModel) {
    if (closed.get()) {
      throw new IllegalStateException("batch worker is closed");
    }
    Map<String, Double> timing = new LinkedHashMap<>();
    long t0 = System.nanoTime();
    String key = ModelFingerprint.of(row);
    try {
      ValidationRequest req = request(row);
      Opened o = cache.get(key);
      double load = 0;
      double openTflite = 0;
      double prepare = 0;
      if (o == null) {
        o = open(row);
        load = o.loadMs;
        openTflite = o.openTfliteMs;
        cache.put(key, o);
        evict();
      }
      Validator.requireDevice(req);
      if (req.portKind() != null && o.port == null) {
        long t = System.nanoTime();
        o.port = Validator.openCandidate(req.portKind(), o.model, req);
        prepare = (System.nanoTime() - t) / 1e6;
      }
      Validator.Outcome out =
          Validator.validate(withInputs(req, o.model, row), o.model, o.tflite, o.port, load, openTflite, prepare,
              phase -> {});
      timing.putAll(out.result().timingMs());
      if (!keepModel) {
        drop(key);
      }
      return RowResult.of(row, out.result(), timing);
    } catch (CrossalignException e) {
      drop(key);
      timing.put("total", (System.nanoTime() - t0) / 1e6);
      return RowResult.error(row, e.kind().exitStatus(), e.getMessage(), timing);
    } catch (RuntimeException e) {
      drop(key);
      timing.put("total", (System.nanoTime() - t0) / 1e6);
      return RowResult.error(row, 2, "internal error: " + e, timing);
    }
  }

  private Opened open(ManifestRow row) {
    long t0 = System.nanoTime();
    TfliteModel model =
        row.model() == null ? TfliteModel.read(DemoModel.bytes(), DemoModel.LABEL) : TfliteModel.read(row.model());
    double load = (System.nanoTime() - t0) / 1e6;
    long t1 = System.nanoTime();
    ReferenceBackend tflite = Reference.capture(model, options.config(), options.tfliteThreads());
    return new Opened(model, tflite, load, (System.nanoTime() - t1) / 1e6);
  }

  private void evict() {
    Iterator<Map.Entry<String, Opened>> it = cache.entrySet().iterator();
    while (cache.size() > options.modelsPerWorker() && it.hasNext()) {
      Opened o = it.next().getValue();
      it.remove();
      o.close();
    }
  }

  /** After a failure the model's backends may be in any state: close them, the next row opens afresh. */
  private void drop(String key) {
    Opened o = cache.remove(key);
    if (o != null) {
      o.close();
    }
  }

  ValidationRequest request(ManifestRow row) {
    Tolerance base = options.tolerance();
    Tolerance tol = row.atol() == null && row.rtol() == null
        ? base
        : new Tolerance(
            Optional.ofNullable(row.atol()).orElse(base.atol()),
            Optional.ofNullable(row.rtol()).orElse(base.rtol()),
            base.scaleAtol(),
            base.relL2Budget(),
            base.acceptNonFinite());
    List<BackendKind> backends = row.backends() == null
        ? options.backends()
        : BackendKind.parseAll(row.backends(), BackendKind.Use.VALIDATE);
    RunSpec run = options.run().withConfig(options.config().withSeed(row.seed())).withInputs(Map.of())
        .withTolerance(tol).withExpectedRange(dev.crossalign.align.InputChecks.ValueRange.UNKNOWN);
    return new ValidationRequest(row.model(), backends, options.mode(), run, null);
  }

  private static ValidationRequest withInputs(ValidationRequest req, TfliteModel model, ManifestRow row) {
    if (row.input() == null) {
      return req;
    }
    return req.withInputs(readInputs(row.input(), model));
  }

  static Map<String, HostTensor> readInputs(String spec, TfliteModel model) {
    String lower = spec.toLowerCase(Locale.ROOT);
    if (lower.endsWith(".npz")) {
      return Npz.read(Path.of(spec));
    }
    int eq = spec.indexOf('=');
    if (eq > 0) {
      return Map.of(spec.substring(0, eq), Npy.read(Path.of(spec.substring(eq + 1))));
    }
    int[] ins = model.main().inputs();
    if (ins.length != 1) {
      throw CrossalignException.input("input " + spec + ": the model has " + ins.length
          + " inputs; give a .npz with inputs by name, or NAME=FILE.npy");
    }
    return Map.of(model.main().tensor(ins[0]).name(), Npy.read(Path.of(spec)));
  }

  /** How many models this worker holds open now. */
  public int openModels() {
    return cache.size();
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    RuntimeException first = null;
    for (Opened o : cache.values()) {
      try {
        o.close();
      } catch (RuntimeException e) {
        first = first == null ? e : first;
      }
    }
    cache.clear();
    if (first != null) {
      throw first;
    }
  }
}
