package dev.crossalign.backend.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import dev.crossalign.CrossalignException;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.Backend;
import dev.crossalign.onnx.OnnxModel;
import dev.crossalign.onnx.OnnxNode;
import dev.crossalign.onnx.OnnxTypes;
import dev.crossalign.onnx.OnnxValueInfo;
import dev.crossalign.tensor.HostTensor;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An ONNX model in an ONNX Runtime session. With {@link OrtOptions#captureIntermediates()} every node output is made a
 * graph output of an in-memory copy of the model, so one run fetches every intermediate tensor. Graph optimizations
 * fuse nodes away and so change what can be captured: {@link OrtOptions#DEFAULT} disables them.
 *
 * <p>Owns its session; {@link #close()} frees it once. Not thread-safe. How the session is made is {@link
 * OrtSessions}'s, how values cross to and from ONNX Runtime {@link OrtValues}'s; this class runs and captures.
 */
public final class OrtBackend implements Backend, dev.crossalign.backend.SelectiveCapture {
  public static final String NAME = dev.crossalign.backend.BackendKind.ONNXRUNTIME.id();

  private final AtomicReference<OrtSessions.Handles> handles;
  private final OrtEnvironment env;
  private final OnnxModel model;
  private final OrtOptions options;
  private final List<OnnxValueInfo> inputs;
  private final Set<String> fetchNames;

  private OrtBackend(OrtEnvironment env, OrtSessions.Handles h, OnnxModel model, OrtOptions options,
      Set<String> fetchNames) {
    this.env = env;
    this.handles = new AtomicReference<>(h);
    this.model = model;
    this.options = options;
    this.inputs = model.inputs();
    this.fetchNames = fetchNames;
  }

  public static OrtBackend open(Path file, OrtOptions opts) {
    return open(OnnxModel.read(file), opts);
  }

  /** Creates the session (from bytes, no temp file). CUDA that is not there is an ENVIRONMENT error. */
  public static OrtBackend open(OnnxModel model, OrtOptions opts) {
    // ONNX Runtime 1.29 can overflow a default 1 MiB Java thread stack on deep graphs (a SIGSEGV with no hs_err):
    // its native work always runs on a thread with a big stack, whoever calls.
    return dev.crossalign.backend.BigStack.call("onnxruntime-open", () -> openOnBigStack(model, opts));
  }

  private static OrtBackend openOnBigStack(OnnxModel model, OrtOptions opts) {
    OrtEnvironment env = OrtSessions.environment();
    OrtSessions.Handles h = OrtSessions.create(env, model, opts);
    try {
      // the session holds the weights now (OrtWeights): this backend keeps only the graph it reads, not a second copy
      return new OrtBackend(env, h, model.structureOnly(), opts, new HashSet<>(h.session().getOutputNames()));
    } catch (RuntimeException | Error e) {
      OrtSessions.closeQuietly(h);
      throw e;
    }
  }

  /** Capability probe: whether the ONNX Runtime on the class path has the CUDA execution provider. */
  public static boolean cudaAvailable() {
    OrtSessions.environment();
    return OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA);
  }

  /** ONNX Runtime's version, e.g. "1.29.0". */
  public static String runtimeVersion() {
    return OrtSessions.environment().getVersion();
  }

  private OrtSession session() {
    OrtSessions.Handles h = handles.get();
    if (h == null) {
      throw new IllegalStateException("onnxruntime backend is closed");
    }
    return h.session();
  }

  @Override
  public String name() {
    return NAME;
  }

  /** The inputs to feed, in model order. */
  public List<OnnxValueInfo> inputs() {
    return inputs;
  }

  /** The model's graph, its initializers' data let go ({@link OnnxModel#structureOnly}: the session holds them). */
  public OnnxModel model() {
    return model;
  }

  public OrtOptions options() {
    return options;
  }

  @Override
  public Activations run(Map<String, HostTensor> feeds) {
    return run(feeds, name -> true);
  }

  /**
   * As {@link #run(Map)}, copying to the host only the fetched tensors whose name {@code keep} accepts (and the model
   * outputs): ORT's own helper values (layout transposes, reshape shapes) cost a copy each and nobody compares them.
   */
  public Activations run(Map<String, HostTensor> feeds, java.util.function.Predicate<String> keep) {
    java.util.function.Predicate<String> wanted =
        keep.or(name -> model.outputs().stream().anyMatch(o -> o.name().equals(name)));
    return dev.crossalign.backend.BigStack.call("onnxruntime-run", () -> {
      Map<String, HostTensor> fetched = new HashMap<>();
      runOnBigStack(feeds, wanted, Long.MAX_VALUE, fetched::put);
      return assemble(feeds, fetched);
    });
  }

  /**
   * As {@link #run(Map, java.util.function.Predicate)}, each kept tensor handed to {@code sink} as soon as it is on
   * the host instead of being collected: inputs first, then the fetched values in ONNX Runtime's order (named, with
   * producing op and node index, as in {@link Activations}). A model output that is not a comparable tensor is an
   * UNSUPPORTED error, as in {@link #run(Map)}, raised after the tensors before it were handed over.
   */
  @Override
  public void run(Map<String, HostTensor> feeds, java.util.function.Predicate<String> keep,
      dev.crossalign.backend.TensorSink sink) {
    run(feeds, keep, sink, Long.MAX_VALUE);
  }

  /**
   * As {@link #run(Map, java.util.function.Predicate, dev.crossalign.backend.TensorSink)}, with the kept outputs
   * fetched in batches of about {@code fetchBatchBytes} each (one session run per batch, the inputs made ORT tensors
   * once): what ONNX Runtime holds natively at a time is one batch's outputs, not the model's. Each run computes
   * what its batch's outputs need, so this only pays where outputs share little work: the isolated form, whose every
   * node reads graph inputs of its own. Tensors reach {@code sink} in the same order as from one run.
   */
  @Override
  public void run(Map<String, HostTensor> feeds, java.util.function.Predicate<String> keep,
      dev.crossalign.backend.TensorSink sink, long fetchBatchBytes) {
    java.util.function.Predicate<String> wanted =
        keep.or(name -> model.outputs().stream().anyMatch(o -> o.name().equals(name)));
    dev.crossalign.backend.BigStack.call("onnxruntime-run", () -> {
      Map<String, OnnxNode> producer = new HashMap<>();
      for (OnnxNode n : model.nodes()) {
        for (String o : n.outputs()) {
          producer.putIfAbsent(o, n);
        }
      }
      Set<String> seen = new HashSet<>();
      for (OnnxValueInfo in : inputs) {
        HostTensor t = feeds.get(in.name());
        if (t != null && seen.add(in.name())) {
          sink.accept(new dev.crossalign.backend.CapturedTensor(in.name(), "INPUT", -1,
              t.withLayout(model.layoutOf(in.name(), t.rank()))));
        }
      }
      runOnBigStack(feeds, wanted, fetchBatchBytes, (name, h) -> {
        if (!seen.add(name)) {
          return;
        }
        OnnxNode n = producer.get(name);
        if (n != null) {
          sink.accept(new dev.crossalign.backend.CapturedTensor(name, n.opType(), n.index(), h));
        } else if (feeds.containsKey(name)) {
          sink.accept(new dev.crossalign.backend.CapturedTensor(name, "INPUT", -1, h));
        } else {
          sink.accept(new dev.crossalign.backend.CapturedTensor(name,
              model.isInitializer(name) ? "INITIALIZER" : "INPUT", -1, h));
        }
      });
      for (OnnxValueInfo out : model.outputs()) {
        if (!seen.contains(out.name())) {
          throw CrossalignException.unsupported("model output '" + out.name() + "' is not a tensor of a type"
              + " crossalign compares (" + (out.hasType() ? OnnxTypes.name(out.elemType()) : "unknown type") + ")");
        }
      }
      return null;
    });
  }

  /**
   * Runs the session and hands each kept fetched value to {@code out} (name, host copy); the inputs first, as host
   * tensors tagged with the model's layout.
   */
  private void runOnBigStack(Map<String, HostTensor> feeds, java.util.function.Predicate<String> keep,
      long fetchBatchBytes, java.util.function.BiConsumer<String, HostTensor> out) {
    OrtSession session = session();
    List<String> expected = inputs.stream().map(OnnxValueInfo::name).toList();
    for (String k : feeds.keySet()) {
      if (!expected.contains(k)) {
        throw CrossalignException.input("unknown input name '" + k + "' for the ONNX model, expected one of "
            + expected);
      }
    }
    Map<String, OnnxTensor> ort = new LinkedHashMap<>();
    try {
      for (OnnxValueInfo spec : inputs) {
        HostTensor t = feeds.get(spec.name());
        if (t == null) {
          throw CrossalignException.input("missing input '" + spec.name() + "'; the ONNX model expects " + expected);
        }
        OrtValues.checkInput(spec, t);
        ort.put(spec.name(), OrtValues.toOrt(env, t));
      }
      if (fetchBatchBytes == Long.MAX_VALUE) {
        copyOut(session.run(ort), keep, out);
      } else {
        for (Set<String> batch : FetchBatches.of(session.getOutputInfo(), keep, fetchBatchBytes)) {
          copyOut(session.run(ort, batch), keep, out);
        }
      }
    } catch (OrtException e) {
      throw OrtSessions.translate("onnxruntime failed to run the model", e);
    } finally {
      ort.values().forEach(OnnxTensor::close);
    }
  }

  /**
   * Hands each kept value of {@code result} to {@code out} and frees every value as soon as it is copied or skipped, so
   * that ONNX Runtime's copy of a run shrinks while the host's grows (pose_landmark_heavy's chained run: 194 MB each)
   * instead of both being whole at once. The values are closed one by one, not through {@code result.close()}, which
   * would close them again (ONNX Runtime logs a warning per value closed twice).
   */
  private void copyOut(OrtSession.Result result, java.util.function.Predicate<String> keep,
      java.util.function.BiConsumer<String, HostTensor> out) {
    try {
      for (Map.Entry<String, OnnxValue> e : result) {
        HostTensor h = keep.test(e.getKey()) ? OrtValues.fromOrt(model, e.getKey(), e.getValue()) : null;
        e.getValue().close();
        if (h != null) {
          out.accept(e.getKey(), h);
        }
      }
    } finally {
      for (Map.Entry<String, OnnxValue> e : result) {
        if (!e.getValue().isClosed()) {
          e.getValue().close();
        }
      }
    }
  }

  private Activations assemble(Map<String, HostTensor> feeds, Map<String, HostTensor> fetched) {
    Activations.Builder b = Activations.builder(NAME);
    Set<String> added = new HashSet<>();
    for (OnnxValueInfo in : inputs) {
      HostTensor t = feeds.get(in.name());
      b.add(in.name(), "INPUT", -1, t.withLayout(model.layoutOf(in.name(), t.rank())));
      added.add(in.name());
    }
    for (OnnxNode n : model.nodes()) {
      for (String o : n.outputs()) {
        HostTensor t = fetched.get(o);
        if (t != null && added.add(o)) {
          b.add(o, n.opType(), n.index(), t);
        }
      }
    }
    for (OnnxValueInfo out : model.outputs()) {
      HostTensor t = fetched.get(out.name());
      if (t == null && !added.contains(out.name())) {
        throw CrossalignException.unsupported("model output '" + out.name() + "' is not a tensor of a type crossalign "
            + "compares (" + (out.hasType() ? OnnxTypes.name(out.elemType()) : "unknown type") + ")");
      }
      if (t != null && added.add(out.name())) {
        b.add(out.name(), model.isInitializer(out.name()) ? "INITIALIZER" : "INPUT", -1, t);
      }
      b.output(out.name());
    }
    return b.build();
  }

  @Override
  public Map<String, String> info() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("onnxruntime.version", env.getVersion());
    m.put("device", options.device().toString());
    m.put("opt_level", options.optLevel().name());
    m.put("intra_op_threads", Integer.toString(options.intraOpThreads()));
    m.put("thread_spinning", "false");
    m.put("inter_op_threads", Integer.toString(options.interOpThreads()));
    m.put("deterministic_compute", Boolean.toString(options.deterministicCompute()));
    m.put("capture_intermediates", Boolean.toString(options.captureIntermediates()));
    m.put("fetched_outputs", Integer.toString(fetchNames.size()));
    if (options.device().isCuda()) {
      m.put("cudnn_conv_algo_search", options.cudnnConvAlgoSearch().name());
      m.put("use_tf32", Boolean.toString(options.useTf32()));
    }
    StringBuilder opsets = new StringBuilder();
    model.opsetImports().forEach((d, v) -> opsets.append(opsets.length() == 0 ? "" : ",")
        .append(d.isEmpty() ? "ai.onnx" : d).append('=').append(v));
    m.put("model.opset", opsets.toString());
    m.put("model.producer", model.producerName());
    return m;
  }

  @Override
  public void close() {
    OrtSessions.Handles h = handles.getAndSet(null);
    if (h != null) {
      RuntimeException failure = OrtSessions.closeQuietly(h);
      if (failure != null) {
        throw failure;
      }
    }
  }

  @Override
  public String toString() {
    return "OrtBackend[" + options.device() + ", " + options.optLevel() + ", " + model + "]";
  }
}
