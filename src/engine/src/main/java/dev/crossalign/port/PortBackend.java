package dev.crossalign.port;

import dev.crossalign.UnsupportedOp;
import dev.crossalign.CrossalignException;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tflite.TfliteModel;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.InferenceMode;

/**
 * The TF-faithful libtorch port of a TFLite model as a backend ("torch"). Chained and speed runs go through the
 * generated PyTorch code compiled by libtorch's TorchScript compiler (the whole graph in one native call, {@link
 * ScriptedGraph}) when every op of the model has code generation, the device is the CPU and the run is float32;
 * otherwise, and always for the per-op profile, through the per-op eager lowerings ({@link PortGraph}). {@link #path}
 * says which and why. Isolated runs call each op's own generated code as a TorchScript method ({@link ScriptedOps},
 * compiled on the first isolated run) on the CPU in float32, ops without code generation through their eager
 * lowering; {@code info()}'s {@code isolated_path} says which once an isolated run was made. Owns the prepared
 * weights and the compiled modules; every run's temporaries live in a PointerScope, so native memory stays flat over
 * any number of runs.
 */
public final class PortBackend implements dev.crossalign.backend.StreamingBackend {
  public static final String NAME = dev.crossalign.backend.BackendKind.TORCH.id();
  private final AtomicReference<PortGraph> graph;
  /** The compiled whole graph; null on the eager path. */
  private final AtomicReference<ScriptedGraph> scripted;
  private final TorchPath path;
  private final Device device;
  private final DeterminismConfig config;
  /** What isolated runs need to generate their per-op methods; null when they stay eager (see {@link #isolated}). */
  private final IsolatedSource isolatedSource;
  /** The per-op TorchScript methods of isolated runs, compiled on the first one; null until then or when eager. */
  private final AtomicReference<ScriptedOps> isolatedOps = new AtomicReference<>();
  /** Which path isolated runs took; null before the first. */
  private volatile TorchPath isolatedPath;
  /** The report name: torch, or a rewritten variant's ({@link #openRewritten}), which runs chained only. */
  private final String name;
  /** What the variant's rewrite reports (empty for torch). */
  private final Map<String, String> rewriteInfo;

  /** The model and registry isolated runs generate their per-op methods from. */
  private record IsolatedSource(TfliteModel model, OpRegistry registry) {}

  private PortBackend(PortGraph graph, ScriptedGraph scripted, TorchPath path, Device device,
      DeterminismConfig config, IsolatedSource isolatedSource) {
    this(graph, scripted, path, device, config, isolatedSource, NAME, Map.of());
  }

  private PortBackend(PortGraph graph, ScriptedGraph scripted, TorchPath path, Device device,
      DeterminismConfig config, IsolatedSource isolatedSource, String name, Map<String, String> rewriteInfo) {
    this.name = name;
    this.rewriteInfo = rewriteInfo;
    this.graph = new AtomicReference<>(graph);
    this.scripted = new AtomicReference<>(scripted);
    this.path = path;
    this.device = device;
    this.config = config;
    this.isolatedSource = isolatedSource;
  }

  /** The TorchScript path where the model allows it (see the class comment), else the eager one. */
  public static PortBackend open(TfliteModel model, Device device, DeterminismConfig config) {
    return open(model, device, config, OpRegistry.load());
  }

  public static PortBackend open(TfliteModel model, Device device, DeterminismConfig config, OpRegistry registry) {
    return open(model, device, config, registry,
        TorchPath.eagerRequested() ? TorchPath.Kind.EAGER : TorchPath.Kind.TORCHSCRIPT);
  }

  /**
   * The generated module with {@code rewrite} applied around freezing, reported as {@code kind}: chained and speed
   * runs only (isolated runs would be the per-op aten port, not the variant), on the CPU, and only where the whole
   * graph compiles (an unsupported-op error naming why otherwise, never a silent fall back to aten).
   */
  public static PortBackend openRewritten(TfliteModel model, Device device, DeterminismConfig config,
      dev.crossalign.backend.BackendKind kind, dev.crossalign.port.codegen.ModuleRewrite rewrite) {
    if (device.isCuda()) {
      throw CrossalignException.unsupported(kind.id() + " runs on the CPU only");
    }
    TorchRuntime.configure(device, config);
    OpRegistry registry = OpRegistry.load();
    PortGraph g;
    try (PointerScope scope = new PointerScope();
        InferenceMode guard = new InferenceMode()) {
      // the variant runs the generated module only: the eager weights are made if a profile asks for them
      g = new PortGraph(model, device, registry, false, true);
    }
    ScriptedGraph.Attempt a;
    try {
      a = ScriptedGraph.compile(model, registry, rewrite);
    } catch (RuntimeException e) {
      g.close();
      throw e;
    }
    if (a.graph() == null) {
      g.close();
      throw CrossalignException.unsupported(kind.id() + " needs the whole graph as TorchScript: "
          + a.path().reason());
    }
    return new PortBackend(g, a.graph(), a.path(), device, config, null, kind.id(), rewrite.info());
  }

  /** The per-op eager port only: the oracle the TorchScript path is tested against. */
  public static PortBackend openEager(TfliteModel model, Device device, DeterminismConfig config) {
    return open(model, device, config, OpRegistry.load(), TorchPath.Kind.EAGER);
  }

  private static PortBackend open(TfliteModel model, Device device, DeterminismConfig config, OpRegistry registry,
      TorchPath.Kind wanted) {
    TorchRuntime.configure(device, config);
    PortGraph g;
    // where the TorchScript path may run, the eager weights wait until an eager run needs them (issue 16): the
    // generated module holds its own, and the eager lowerings then run only for ops without code generation
    boolean defer = wanted == TorchPath.Kind.TORCHSCRIPT && !device.isCuda();
    try (PointerScope scope = new PointerScope();
        InferenceMode guard = new InferenceMode()) {
      g = new PortGraph(model, device, registry, false, defer);
    }
    TorchPath path;
    ScriptedGraph s = null;
    if (wanted == TorchPath.Kind.EAGER) {
      path = TorchPath.eager(TorchPath.eagerRequested() ? "-D" + TorchPath.PROPERTY + "=eager" : "requested");
    } else if (device.isCuda()) {
      path = TorchPath.eager("the TorchScript path runs on the CPU only");
    } else {
      // outside any PointerScope: the compiled module's native objects live until close()
      ScriptedGraph.Attempt a;
      try {
        a = ScriptedGraph.compile(model, registry);
      } catch (RuntimeException e) {
        g.close();
        throw e;
      }
      s = a.graph();
      path = a.path();
    }
    if (s == null) {
      g.materialize(); // chained runs take the eager path: prepared before any run, as there
    }
    // isolated runs take the per-op methods wherever the chained path could have been TorchScript (CPU, not forced
    // eager), whether or not every op has code generation
    IsolatedSource iso = wanted == TorchPath.Kind.TORCHSCRIPT && !device.isCuda() ? new IsolatedSource(model, registry)
        : null;
    return new PortBackend(g, s, path, device, config, iso);
  }

  /**
   * The port in float64 on the CPU, for isolated runs only: the float64 truth of each op on the reference's own
   * inputs (its outputs come back as FLOAT64 host tensors). Same lowerings as the float32 port.
   */
  public static PortBackend openFloat64(TfliteModel model, DeterminismConfig config) {
    TorchRuntime.configure(Device.CPU, config);
    try (PointerScope scope = new PointerScope();
        InferenceMode guard = new InferenceMode()) {
      PortGraph g = new PortGraph(model, Device.CPU, OpRegistry.load(), true, false);
      return new PortBackend(g, null, TorchPath.eager("float64 truth"), Device.CPU, config, null);
    }
  }

  /** Bytes of the eager port's prepared tensors held now: all the weights on the eager path, few before use else. */
  long eagerPreparedBytes() {
    return graph().preparedBytes();
  }

  /** A capturing chained run through the eager lowerings whatever {@link #path} says, weights made as ops run. */
  Activations runEagerGraph(Map<String, HostTensor> inputs) {
    try (PointerScope scope = new PointerScope();
        InferenceMode guard = new InferenceMode()) {
      return graph().run(name, inputs, true);
    }
  }

  private PortGraph graph() {
    PortGraph g = graph.get();
    if (g == null) {
      throw new IllegalStateException("torch port is closed");
    }
    return g;
  }

  @Override
  public String name() {
    return name;
  }

  private void requireIsolated() {
    if (!name.equals(NAME)) {
      throw CrossalignException.unsupported(name + " runs chained only (its isolated runs would be the per-op aten"
          + " port): use --mode chained");
    }
  }

  /** Ops the port could not lower (they and what depends on them are skipped in chained mode). */
  @Override
  public List<UnsupportedOp> unsupported() {
    return graph().unsupported();
  }

  @Override
  public Activations run(Map<String, HostTensor> inputs) {
    return run(inputs, true);
  }

  /**
   * With {@code captureAll} false only the graph outputs are copied to the host (speed runs). On the TorchScript path
   * the whole graph is one native call, capture or not.
   */
  public Activations run(Map<String, HostTensor> inputs, boolean captureAll) {
    PortGraph g = graph();
    ScriptedGraph s = scripted.get();
    try (PointerScope scope = new PointerScope();
        InferenceMode guard = new InferenceMode()) {
      return s != null ? s.run(name, inputs, captureAll) : g.run(name, inputs, captureAll);
    }
  }

  /**
   * The chained run with every tensor handed to {@code sink} as soon as it is on the host, none kept here: a caller
   * that compares and drops each holds one tensor at a time instead of the whole run.
   */
  @Override
  public void run(Map<String, HostTensor> inputs, dev.crossalign.backend.TensorSink sink) {
    PortGraph g = graph();
    ScriptedGraph s = scripted.get();
    try (PointerScope scope = new PointerScope();
        InferenceMode guard = new InferenceMode()) {
      if (s != null) {
        // the TorchScript path's one native call returns the whole capture: each tensor is handed over and its native
        // copy freed before the next is copied, so the host never holds the run
        s.run(inputs, sink);
      } else {
        g.run(inputs, true, sink);
      }
    }
  }

  /** As {@link #runIsolated(Activations)}, each op's outputs handed to {@code sink} as they come. */
  @Override
  public void runIsolated(Activations reference, dev.crossalign.backend.TensorSink sink) {
    requireIsolated();
    PortGraph g = graph();
    ScriptedOps ops = isolated();
    try (PointerScope scope = new PointerScope();
        InferenceMode guard = new InferenceMode()) {
      if (ops != null) {
        ops.run(reference, sink, g);
      } else {
        g.runIsolated(reference, sink);
      }
    }
  }

  /**
   * The per-op methods isolated runs call, compiled on the first call (outside any PointerScope: they live until
   * {@link #close}); null when isolated runs take the eager lowerings, {@link #isolatedPath} saying why.
   */
  private synchronized ScriptedOps isolated() {
    ScriptedOps have = isolatedOps.get();
    if (have != null || isolatedPath != null) {
      return have;
    }
    if (isolatedSource == null) {
      isolatedPath = path.kind() == TorchPath.Kind.EAGER ? path : TorchPath.eager("requested");
      return null;
    }
    ScriptedOps.Attempt a;
    try (InferenceMode guard = new InferenceMode()) {
      a = ScriptedOps.prepare(isolatedSource.model(), isolatedSource.registry(), scripted.get(), graph());
    }
    if (a.ops() == null) {
      graph().materialize(); // isolated runs take the eager lowerings of every op
    }
    isolatedOps.set(a.ops());
    isolatedPath = a.path();
    return a.ops();
  }

  /** The model outputs' names, in order (what {@link Activations#outputNames()} of a run lists). */
  @Override
  public List<String> outputNames() {
    return graph().outputNames();
  }

  /** Which code runs chained and speed runs, and why. */
  public TorchPath path() {
    return path;
  }

  /** Mean wall time of one lowered op over the runs of {@link #profile}. */
  public record OpTime(int index, String op, String output, double meanMs) {}

  /**
   * Runs the chained graph on the per-op eager path (the only one that has ops to time, whatever {@link #path} says)
   * {@code runs} times (outputs only, no capture) timing each lowered op's forward; returns
   * the ops in graph order with their mean milliseconds per run. On CPU libtorch ops are synchronous, so the times are
   * the ops' own; on CUDA they are launch times only (no device sync).
   */
  public List<OpTime> profile(Map<String, HostTensor> inputs, int runs) {
    if (runs < 1) {
      throw CrossalignException.input("profile runs must be at least 1, got " + runs);
    }
    PortGraph g = graph();
    g.materialize(); // weights made now, not timed as the first run's ops
    g.profiling(true);
    long[] nanos;
    try {
      for (int i = 0; i < runs; i++) {
        try (PointerScope scope = new PointerScope();
            InferenceMode guard = new InferenceMode()) {
          g.run(NAME, inputs, false);
        }
      }
    } finally {
      nanos = g.profiling(false);
    }
    List<OpTime> out = new java.util.ArrayList<>();
    for (dev.crossalign.tflite.Operator op : g.subgraph().operators()) {
      if (g.isLowered(op.index())) {
        String output = op.outputs().length == 0 ? "" : g.subgraph().tensor(op.outputs()[0]).name();
        out.add(new OpTime(op.index(), op.opName(), output, nanos[op.index()] / 1e6 / runs));
      }
    }
    return out;
  }

  @Override
  public Activations runIsolated(Activations reference) {
    requireIsolated();
    Activations.Builder out = Activations.builder(NAME);
    runIsolated(reference, out);
    outputNames().forEach(out::output);
    return out.build();
  }

  /** Which code isolated runs took ({@code torch.isolated_path} in a report); null before the first isolated run. */
  public TorchPath isolatedPath() {
    return isolatedPath;
  }

  @Override
  public Map<String, String> info() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("libtorch", TorchRuntime.version());
    m.put("device", device.toString());
    m.put("path", name.equals(NAME) ? path.describe() : path.describe() + ", rewritten for " + name);
    TorchPath iso = isolatedPath;
    if (iso != null) {
      m.put("isolated_path", iso.describe());
    }
    m.put("intra_op_threads", Integer.toString(config.intraOpThreads()));
    TorchRuntime.threads().forEach((pool, n) -> m.put("threads." + pool, n));
    TorchRuntime.malloc().forEach((k, v) -> m.put("malloc." + k, v));
    if (config.deterministicAlgorithms() && !TorchRuntime.fillsUninitializedMemory()) {
      m.put("fill_uninitialized_memory", "false (latency run)");
    }
    if (OpenMpWaitPolicy.state() != null) {
      m.put("omp_wait_policy", OpenMpWaitPolicy.state());
    }
    if (OpenBlasCore.pinned() != null) {
      m.put("openblas_coretype", OpenBlasCore.pinned() + " (OPENBLAS_CORETYPE in the environment)");
    }
    OpenBlasCore.cores().forEach((lib, core) -> m.put("openblas_core." + lib, core));
    m.putAll(rewriteInfo);
    return m;
  }

  @Override
  public void close() {
    ScriptedOps o = isolatedOps.getAndSet(null);
    ScriptedGraph s = scripted.getAndSet(null);
    PortGraph g = graph.getAndSet(null);
    try {
      if (o != null) {
        o.close();
      }
      if (s != null) {
        s.close();
      }
    } finally {
      if (g != null) {
        g.close();
      }
    }
  }

  static CrossalignException closed() {
    return new CrossalignException(CrossalignException.Kind.INTERNAL, "torch port used after close");
  }
}
