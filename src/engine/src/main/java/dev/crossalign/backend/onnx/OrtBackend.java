package dev.crossalign.backend.onnx;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import ai.onnxruntime.providers.OrtCUDAProviderOptions;
import dev.crossalign.CrossalignException;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.Backend;
import dev.crossalign.backend.Device;
import dev.crossalign.onnx.ExternalData;
import dev.crossalign.onnx.OnnxModel;
import dev.crossalign.onnx.OnnxNode;
import dev.crossalign.onnx.OnnxTypes;
import dev.crossalign.onnx.OnnxValueInfo;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.ModelFormatException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
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
 * <p>Owns its session; {@link #close()} frees it once. Not thread-safe.
 */
public final class OrtBackend implements Backend, dev.crossalign.backend.SelectiveCapture {
  public static final String NAME = dev.crossalign.backend.BackendKind.ONNXRUNTIME.id();

  /** The native objects this backend owns, closed together. */
  private record Handles(OrtSession session, OrtSession.SessionOptions options, OrtCUDAProviderOptions cuda) {}

  private final AtomicReference<Handles> handles;
  private final OrtEnvironment env;
  private final OnnxModel model;
  private final OrtOptions options;
  private final List<OnnxValueInfo> inputs;
  private final Set<String> fetchNames;

  private OrtBackend(OrtEnvironment env, Handles h, OnnxModel model, OrtOptions options, Set<String> fetchNames) {
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
    if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
      throw new CrossalignException(CrossalignException.Kind.ENVIRONMENT, "crossalign needs a little-endian machine");
    }
    OrtEnvironment env = environment();
    ModelProto proto = opts.captureIntermediates() ? withAllOutputs(model.proto()) : model.proto();
    // ONNX Runtime resolves a tensor's external data against the current directory: nothing handed to it may have any
    // (OnnxModel inlines it from the model's own folder; this checks again at the one door to ONNX Runtime)
    ExternalData.firstReference(proto).ifPresent(where -> {
      throw new ModelFormatException("the ONNX model still refers to external data (" + where + "); only a model "
          + "read with OnnxModel.read(Path), which inlines it from the model's folder, can be run", -1);
    });
    byte[] bytes = proto.toByteArray();
    OrtSession.SessionOptions so = new OrtSession.SessionOptions();
    OrtCUDAProviderOptions cuda = null;
    OrtSession session = null;
    try {
      so.setOptimizationLevel(switch (opts.optLevel()) {
        case DISABLE_ALL -> OrtSession.SessionOptions.OptLevel.NO_OPT;
        case BASIC -> OrtSession.SessionOptions.OptLevel.BASIC_OPT;
        case EXTENDED -> OrtSession.SessionOptions.OptLevel.EXTENDED_OPT;
        case ALL -> OrtSession.SessionOptions.OptLevel.ALL_OPT;
      });
      so.setIntraOpNumThreads(opts.intraOpThreads());
      so.setInterOpNumThreads(opts.interOpThreads());
      // pool workers that spin while waiting for work steal the cores other processes (and the other backends of this
      // run) need; a shared server is this tool's normal setting
      so.addConfigEntry("session.intra_op.allow_spinning", "0");
      so.addConfigEntry("session.inter_op.allow_spinning", "0");
      if (opts.captureIntermediates()) {
        // every value is fetched, so every value outlives the run anyway: an arena (which keeps what it once held)
        // and a memory pattern only add a second copy of the whole run's size to the process
        so.setCPUArenaAllocator(false);
        so.setMemoryPatternOptimization(false);
      }
      so.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
      so.setDeterministicCompute(opts.deterministicCompute());
      // failures come back as exceptions with the same text; ORT's own error log would print them twice
      so.setSessionLogLevel(OrtLogs.sessionLevel());
      if (opts.device().isCuda()) {
        cuda = addCuda(so, opts);
      }
      session = env.createSession(bytes, so);
      Set<String> fetch = new HashSet<>(session.getOutputNames());
      return new OrtBackend(env, new Handles(session, so, cuda), model, opts, fetch);
    } catch (OrtException e) {
      closeQuietly(session, so, cuda);
      throw translate("onnxruntime cannot load the model", e);
    } catch (RuntimeException | Error e) {
      closeQuietly(session, so, cuda);
      throw e;
    }
  }

  /** Capability probe: whether the ONNX Runtime on the class path has the CUDA execution provider. */
  public static boolean cudaAvailable() {
    environment();
    return OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA);
  }

  /** ONNX Runtime's version, e.g. "1.29.0". */
  public static String runtimeVersion() {
    return environment().getVersion();
  }

  /** The process-wide environment, made once: asking again with another log level would only log a warning. */
  private static volatile OrtEnvironment environment;

  private static synchronized OrtEnvironment environment() {
    if (environment != null) {
      return environment;
    }
    try {
      environment = OrtEnvironment.getEnvironment(OrtLogs.environmentLevel(), "crossalign");
      OrtTempFolder.removeAtExit();
      return environment;
    } catch (UnsatisfiedLinkError | ExceptionInInitializerError | NoClassDefFoundError e) {
      throw new CrossalignException(CrossalignException.Kind.ENVIRONMENT,
          "cannot load the ONNX Runtime native library: " + e.getMessage(), e);
    }
  }

  private static OrtCUDAProviderOptions addCuda(OrtSession.SessionOptions so, OrtOptions opts) {
    Device d = opts.device();
    if (!OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA)) {
      throw new CrossalignException(CrossalignException.Kind.ENVIRONMENT,
          "ONNX Runtime on the class path has no CUDA execution provider (it has "
              + OrtEnvironment.getAvailableProviders() + "); use the onnxruntime_gpu artifact "
              + "(-Donnxruntime.artifact=onnxruntime_gpu) on a machine with CUDA and cuDNN, or --device cpu");
    }
    OrtCUDAProviderOptions cuda = null;
    try {
      cuda = new OrtCUDAProviderOptions(d.index());
      cuda.add("cudnn_conv_algo_search", opts.cudnnConvAlgoSearch().name());
      cuda.add("use_tf32", opts.useTf32() ? "1" : "0");
      so.addCUDA(cuda);
      return cuda;
    } catch (OrtException e) {
      if (cuda != null) {
        cuda.close();
      }
      throw new CrossalignException(CrossalignException.Kind.ENVIRONMENT,
          "cannot use " + d + " with ONNX Runtime's CUDA execution provider: " + firstLine(e.getMessage()), e);
    }
  }

  /** A copy of the model in which every node output is also a graph output (typed where the model says). */
  static ModelProto withAllOutputs(ModelProto proto) {
    GraphProto g = proto.getGraph();
    Set<String> outputs = new HashSet<>();
    g.getOutputList().forEach(v -> outputs.add(v.getName()));
    Map<String, ValueInfoProto> declared = new HashMap<>();
    for (ValueInfoProto v : g.getValueInfoList()) {
      if (v.hasType()) {
        declared.putIfAbsent(v.getName(), v);
      }
    }
    GraphProto.Builder gb = g.toBuilder();
    for (NodeProto n : g.getNodeList()) {
      for (String o : n.getOutputList()) {
        if (!o.isEmpty() && outputs.add(o)) {
          // ORT infers the type of an output that declares none (tested in OrtBackendTest)
          gb.addOutput(declared.getOrDefault(o, ValueInfoProto.newBuilder().setName(o).build()));
        }
      }
    }
    return proto.toBuilder().setGraph(gb).build();
  }

  private OrtSession session() {
    Handles h = handles.get();
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
        checkInput(spec, t);
        ort.put(spec.name(), toOrt(t));
      }
      if (fetchBatchBytes == Long.MAX_VALUE) {
        copyOut(session.run(ort), keep, out);
      } else {
        for (Set<String> batch : FetchBatches.of(session.getOutputInfo(), keep, fetchBatchBytes)) {
          copyOut(session.run(ort, batch), keep, out);
        }
      }
    } catch (OrtException e) {
      throw translate("onnxruntime failed to run the model", e);
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
        HostTensor h = keep.test(e.getKey()) ? fromOrt(e.getKey(), e.getValue()) : null;
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

  private static void checkInput(OnnxValueInfo spec, HostTensor t) {
    DType want = OnnxTypes.requireDType(spec.elemType(), "input '" + spec.name() + "'");
    if (t.dtype() != want) {
      throw CrossalignException.input("input '" + spec.name() + "' is " + t.dtype() + ", the ONNX model expects "
          + want);
    }
    long[] dims = spec.shape();
    if (dims != null) {
      int[] got = t.shape();
      boolean ok = got.length == dims.length;
      for (int i = 0; ok && i < dims.length; i++) {
        ok = dims[i] < 0 || dims[i] == got[i];
      }
      if (!ok) {
        throw CrossalignException.input("input '" + spec.name() + "' has shape " + Arrays.toString(got)
            + ", the ONNX model expects " + Arrays.toString(dims) + " (-1 = any)");
      }
    }
  }

  private OnnxTensor toOrt(HostTensor t) throws OrtException {
    ByteBuffer src = t.data();
    ByteBuffer direct = ByteBuffer.allocateDirect(Math.max(src.remaining(), 1)).order(ByteOrder.nativeOrder());
    direct.put(src);
    direct.flip();
    long[] shape = Arrays.stream(t.shape()).asLongStream().toArray();
    OnnxJavaType type = switch (t.dtype()) {
      case FLOAT32 -> OnnxJavaType.FLOAT;
      case FLOAT16 -> OnnxJavaType.FLOAT16;
      case FLOAT64 -> OnnxJavaType.DOUBLE;
      case INT8 -> OnnxJavaType.INT8;
      case UINT8 -> OnnxJavaType.UINT8;
      case INT16 -> OnnxJavaType.INT16;
      case INT32 -> OnnxJavaType.INT32;
      case INT64 -> OnnxJavaType.INT64;
      case BOOL -> OnnxJavaType.BOOL;
    };
    return OnnxTensor.createTensor(env, direct, shape, type);
  }

  /** A copy of an ORT output on the heap; null for values crossalign does not compare (sequences, maps, strings). */
  private HostTensor fromOrt(String name, OnnxValue value) {
    if (!(value instanceof OnnxTensor ot)) {
      return null;
    }
    TensorInfo info = ot.getInfo();
    DType dtype = dtypeOf(info.onnxType);
    if (dtype == null) {
      return null;
    }
    long[] s = info.getShape();
    int[] shape = new int[s.length];
    for (int i = 0; i < s.length; i++) {
      if (s[i] < 0 || s[i] > Integer.MAX_VALUE) {
        throw new CrossalignException(CrossalignException.Kind.INTERNAL,
            "onnxruntime returned tensor '" + name + "' with shape " + Arrays.toString(s));
      }
      shape[i] = (int) s[i];
    }
    long n = HostTensor.numel(shape);
    ByteBuffer data;
    if (n == 0) {
      data = ByteBuffer.allocate(0);
    } else {
      data = ot.getByteBuffer();
      if (data == null || data.remaining() != n * dtype.byteSize()) {
        throw new CrossalignException(CrossalignException.Kind.INTERNAL, "onnxruntime returned "
            + (data == null ? "no data" : data.remaining() + " bytes") + " for tensor '" + name + "' of shape "
            + Arrays.toString(shape) + " " + dtype);
      }
    }
    return HostTensor.wrap(dtype, shape, model.layoutOf(name, shape.length), data.order(ByteOrder.LITTLE_ENDIAN));
  }

  /**
   * ORT Java's OnnxTensorType numbers are its own, not ONNX's TensorProto.DataType numbers; the names after the prefix
   * are ONNX's.
   */
  static DType dtypeOf(TensorInfo.OnnxTensorType t) {
    String n = t.name().replace("ONNX_TENSOR_ELEMENT_DATA_TYPE_", "");
    return switch (n) {
      case "FLOAT" -> DType.FLOAT32;
      case "FLOAT16" -> DType.FLOAT16;
      case "DOUBLE" -> DType.FLOAT64;
      case "INT8" -> DType.INT8;
      case "UINT8" -> DType.UINT8;
      case "INT16" -> DType.INT16;
      case "INT32" -> DType.INT32;
      case "INT64" -> DType.INT64;
      case "BOOL" -> DType.BOOL;
      default -> null;
    };
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
    Handles h = handles.getAndSet(null);
    if (h != null) {
      RuntimeException failure = closeQuietly(h.session(), h.options(), h.cuda());
      if (failure != null) {
        throw failure;
      }
    }
  }

  /** Closes each handle that is not null, all of them even when one fails; returns the first failure. */
  private static RuntimeException closeQuietly(
      OrtSession session, OrtSession.SessionOptions so, OrtCUDAProviderOptions cuda) {
    RuntimeException first = null;
    if (session != null) {
      try {
        session.close();
      } catch (OrtException | RuntimeException e) {
        first = new CrossalignException(CrossalignException.Kind.INTERNAL, "closing the onnxruntime session: "
            + e.getMessage(), e);
      }
    }
    for (AutoCloseable c : new AutoCloseable[] {so, cuda}) {
      if (c != null) {
        try {
          c.close();
        } catch (Exception e) {
          if (first == null) {
            first = new CrossalignException(CrossalignException.Kind.INTERNAL, "closing onnxruntime options: "
                + e.getMessage(), e);
          }
        }
      }
    }
    return first;
  }

  private static CrossalignException translate(String what, OrtException e) {
    CrossalignException.Kind kind = switch (e.getCode()) {
      case ORT_NOT_IMPLEMENTED -> CrossalignException.Kind.UNSUPPORTED;
      case ORT_INVALID_ARGUMENT, ORT_INVALID_PROTOBUF, ORT_INVALID_GRAPH, ORT_NO_MODEL, ORT_NO_SUCHFILE, ORT_FAIL ->
          CrossalignException.Kind.INPUT;
      case ORT_EP_FAIL -> CrossalignException.Kind.ENVIRONMENT;
      default -> CrossalignException.Kind.INTERNAL;
    };
    // "Error code - ORT_FAIL - message: text" -> "text"
    String msg = firstLine(e.getMessage()).replaceFirst("^Error code - \\w+ - message: ", "");
    return new CrossalignException(kind, what + ": " + msg, e);
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "no detail";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  @Override
  public String toString() {
    return "OrtBackend[" + options.device() + ", " + options.optLevel() + ", " + model + "]";
  }
}
