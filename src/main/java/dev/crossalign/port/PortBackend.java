package dev.crossalign.port;

import dev.crossalign.UnsupportedOp;
import dev.crossalign.CrossalignException;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.Backend;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.backend.IsolatedRunner;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tflite.TfliteModel;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.global.torch;

/**
 * The TF-faithful libtorch port of a TFLite model as a backend ("torch"). Owns the prepared weights; every run's
 * temporaries live in a PointerScope, so native memory stays flat over any number of runs.
 */
public final class PortBackend implements Backend, IsolatedRunner {
  public static final String NAME = dev.crossalign.backend.BackendKind.TORCH.id();
  private final AtomicReference<PortGraph> graph;
  private final Device device;
  private final DeterminismConfig config;

  private PortBackend(PortGraph graph, Device device, DeterminismConfig config) {
    this.graph = new AtomicReference<>(graph);
    this.device = device;
    this.config = config;
  }

  public static PortBackend open(TfliteModel model, Device device, DeterminismConfig config) {
    return open(model, device, config, OpRegistry.load());
  }

  public static PortBackend open(TfliteModel model, Device device, DeterminismConfig config, OpRegistry registry) {
    TorchRuntime.configure(device, config);
    try (PointerScope scope = new PointerScope();
        InferenceMode guard = new InferenceMode()) {
      PortGraph g = new PortGraph(model, device, registry);
      return new PortBackend(g, device, config);
    }
  }

  /**
   * The port in float64 on the CPU, for isolated runs only: the float64 truth of each op on the reference's own
   * inputs (its outputs come back as FLOAT64 host tensors). Same lowerings as the float32 port.
   */
  public static PortBackend openFloat64(TfliteModel model, DeterminismConfig config) {
    TorchRuntime.configure(Device.CPU, config);
    try (PointerScope scope = new PointerScope();
        InferenceMode guard = new InferenceMode()) {
      PortGraph g = new PortGraph(model, Device.CPU, OpRegistry.load(), true);
      return new PortBackend(g, Device.CPU, config);
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
    return NAME;
  }

  /** Ops the port could not lower (they and what depends on them are skipped in chained mode). */
  public List<UnsupportedOp> unsupported() {
    return graph().unsupported();
  }

  @Override
  public Activations run(Map<String, HostTensor> inputs) {
    return run(inputs, true);
  }

  /** With {@code captureAll} false only the graph outputs are copied to the host (speed runs). */
  public Activations run(Map<String, HostTensor> inputs, boolean captureAll) {
    PortGraph g = graph();
    try (PointerScope scope = new PointerScope();
        InferenceMode guard = new InferenceMode()) {
      return g.run(NAME, inputs, captureAll);
    }
  }

  /**
   * The chained run with every tensor handed to {@code sink} as soon as it is on the host, none kept here: a caller
   * that compares and drops each holds one tensor at a time instead of the whole run.
   */
  public void run(Map<String, HostTensor> inputs, dev.crossalign.backend.TensorSink sink) {
    PortGraph g = graph();
    try (PointerScope scope = new PointerScope();
        InferenceMode guard = new InferenceMode()) {
      g.run(inputs, true, sink);
    }
  }

  /** As {@link #runIsolated(Activations)}, each op's outputs handed to {@code sink} as they come. */
  public void runIsolated(Activations reference, dev.crossalign.backend.TensorSink sink) {
    PortGraph g = graph();
    try (PointerScope scope = new PointerScope();
        InferenceMode guard = new InferenceMode()) {
      g.runIsolated(reference, sink);
    }
  }

  /** The model outputs' names, in order (what {@link Activations#outputNames()} of a run lists). */
  public List<String> outputNames() {
    return graph().outputNames();
  }

  /** Mean wall time of one lowered op over the runs of {@link #profile}. */
  public record OpTime(int index, String op, String output, double meanMs) {}

  /**
   * Runs the chained graph {@code runs} times (outputs only, no capture) timing each lowered op's forward; returns
   * the ops in graph order with their mean milliseconds per run. On CPU libtorch ops are synchronous, so the times are
   * the ops' own; on CUDA they are launch times only (no device sync).
   */
  public List<OpTime> profile(Map<String, HostTensor> inputs, int runs) {
    if (runs < 1) {
      throw CrossalignException.input("profile runs must be at least 1, got " + runs);
    }
    PortGraph g = graph();
    g.profiling(true);
    long[] nanos;
    try {
      for (int i = 0; i < runs; i++) {
        run(inputs, false);
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
    PortGraph g = graph();
    try (PointerScope scope = new PointerScope();
        InferenceMode guard = new InferenceMode()) {
      return g.runIsolated(NAME, reference);
    }
  }

  @Override
  public Map<String, String> info() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("libtorch", TorchRuntime.version());
    m.put("device", device.toString());
    m.put("intra_op_threads", Integer.toString(config.intraOpThreads()));
    TorchRuntime.threads().forEach((pool, n) -> m.put("threads." + pool, n));
    return m;
  }

  @Override
  public void close() {
    PortGraph g = graph.getAndSet(null);
    if (g != null) {
      g.close();
    }
  }

  static CrossalignException closed() {
    return new CrossalignException(CrossalignException.Kind.INTERNAL, "torch port used after close");
  }
}
