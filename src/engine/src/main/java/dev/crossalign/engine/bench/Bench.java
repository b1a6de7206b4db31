package dev.crossalign.engine.bench;

import dev.crossalign.CrossalignException;
import dev.crossalign.backend.Backend;
import dev.crossalign.backend.BackendKind;
import dev.crossalign.backend.BackendSpec;
import dev.crossalign.backend.Backends;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.onnx.OrtBackend;
import dev.crossalign.engine.DemoModel;
import dev.crossalign.engine.InputGenerator;
import dev.crossalign.onnx.OnnxModel;
import dev.crossalign.onnx.OnnxValueInfo;
import dev.crossalign.port.PortBackend;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tflite.TfliteModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Inference latency of several backends on one model in one process: every backend opened, {@code warmup} untimed
 * rounds, then {@code runs} rounds in which each backend runs once, round robin with a rotating start, so that machine
 * noise (other processes, frequency changes) hits all backends alike. Inference only: TFLite-XNNPACK, the torch port
 * and ONNX Runtime copy out the graph outputs only. tflite is the reference interpreter as validate runs it
 * (builtin kernels, every tensor preserved and copied out), so it includes the capture.
 */
public final class Bench {
  private Bench() {}

  /** One backend made ready to run the same inputs again and again. */
  interface Leg extends AutoCloseable {
    String name();

    void runOnce();

    @Override
    void close();
  }

  /** Runs on a big-stack thread: ONNX Runtime overflows the default stack on exported models (see BigStack). */
  public static BenchResult run(BenchRequest req) {
    return run(req, step -> {});
  }

  /**
   * As above, telling {@code onStep} after each unit of work: each backend opened ("opened torch"), each warm-up
   * round and each timed round; {@link #steps} of them in all.
   */
  public static BenchResult run(BenchRequest req, java.util.function.Consumer<String> onStep) {
    return dev.crossalign.backend.BigStack.call("crossalign-bench", () -> runHere(req, onStep));
  }

  /** The number of calls {@link #run(BenchRequest, java.util.function.Consumer)} makes to its callback. */
  public static int steps(BenchRequest req) {
    return req.backends().size() + req.warmup() + req.runs();
  }

  /** {@link #machine} plus what the legs set or found: malloc's settings, OpenBLAS's kernels. */
  private static Map<String, String> machineAfterRuns(List<String> notes) {
    Map<String, String> machine = machine();
    Map<String, String> malloc = dev.crossalign.port.TorchRuntime.malloc();
    if (!malloc.isEmpty()) {
      // a torch leg set malloc's thresholds for this process (every leg's allocations are under them)
      machine.put("malloc", malloc.entrySet().stream()
          .map(e -> e.getKey() + "=" + e.getValue()).collect(java.util.stream.Collectors.joining(", ")));
      if (dev.crossalign.backend.NativeMemory.GLIBC.equals(malloc.get("allocator"))) {
        notes.add("the natives allocate through glibc's malloc: libtorch's fresh tensor per op costs less under"
            + " gperftools' tcmalloc, which the launcher's bench preloads when the machine has libtcmalloc_minimal"
            + " (CROSSALIGN_MALLOC)");
      }
      if (malloc.containsKey("arena_max") && !"1".equals(malloc.get("arena_max"))) {
        notes.add("glibc may give this process several malloc arenas (MALLOC_ARENA_MAX=" + malloc.get("arena_max")
            + "): a timed thread on a secondary arena can fault its buffers in again on every run; the launcher's"
            + " bench sets MALLOC_ARENA_MAX=1");
      }
    }
    String blas = dev.crossalign.port.TorchRuntime.openBlas();
    if (blas != null) {
      machine.put("openblas", blas); // libtorch's one-thread 1x1 convs and matmuls run on these kernels
    }
    return machine;
  }

  private static BenchResult runHere(BenchRequest req, java.util.function.Consumer<String> onStep) {
    TfliteModel model =
        req.model() == null ? TfliteModel.read(DemoModel.bytes(), DemoModel.LABEL) : TfliteModel.read(req.model());
    Map<String, HostTensor> inputs = InputGenerator.inputs(model, req.seed(), req.run().inputRange().low(),
        req.run().inputRange().high(), Map.of());
    List<String> notes = new ArrayList<>();
    List<Leg> legs = new ArrayList<>();
    List<PortBackend.OpTime> ops = null;
    try {
      for (BackendKind b : req.backends()) {
        Leg leg = open(b, model, inputs, req, notes);
        if (leg != null) {
          legs.add(leg);
        }
        onStep.accept("opened " + b.id());
      }
      if (legs.isEmpty()) {
        throw CrossalignException.unsupported("no backend could run " + model.label() + ": " + notes);
      }
      double[][][] samples = timedRounds(legs, req, onStep);
      List<BackendStats> stats = new ArrayList<>();
      for (int j = 0; j < legs.size(); j++) {
        stats.add(BackendStats.of(legs.get(j).name(), samples[0][j], samples[1][j]));
      }
      for (BackendStats s : stats) {
        if (s.noiseNote() != null) {
          notes.add(s.noiseNote());
        }
      }
      Map<String, Double> ratios = ratiosToXnnpack(stats);
      if (req.profileOps()) {
        for (Leg l : legs) {
          // the per-op profile times the aten eager port: torch's, never a rewritten variant's
          if (l instanceof TorchLeg t && t.name.equals(BackendKind.TORCH.id())) {
            ops = t.port.profile(inputs, req.runs());
          }
        }
        if (ops == null) {
          notes.add("per-op profile needs the " + BackendKind.TORCH.id() + " backend");
        }
      }
      Map<String, String> machine = machineAfterRuns(notes);
      return new BenchResult(model.label(), stats, ratios, machine, req.threads(), req.warmup(), notes, ops);
    } finally {
      for (Leg l : legs) {
        l.close();
      }
    }
  }

  /**
   * The warm-up rounds, then the timed rounds interleaved round robin (each round starts one leg later, so that no
   * backend always runs first): wall milliseconds per leg and round ([0]) and this thread's CPU milliseconds ([1],
   * empty where the JVM cannot measure it).
   */
  private static double[][][] timedRounds(List<Leg> legs, BenchRequest req,
      java.util.function.Consumer<String> onStep) {
    for (int i = 0; i < req.warmup(); i++) {
      for (Leg l : legs) {
        l.runOnce();
      }
      onStep.accept("warm-up round " + (i + 1) + "/" + req.warmup());
    }
    int n = legs.size();
    java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
    boolean cpu = mx.isCurrentThreadCpuTimeSupported() && mx.isThreadCpuTimeEnabled();
    double[][] samples = new double[n][req.runs()];
    double[][] cpuMs = new double[n][cpu ? req.runs() : 0];
    for (int r = 0; r < req.runs(); r++) {
      for (int k = 0; k < n; k++) {
        int j = (r + k) % n;
        long c0 = cpu ? mx.getCurrentThreadCpuTime() : 0;
        long t0 = System.nanoTime();
        legs.get(j).runOnce();
        samples[j][r] = (System.nanoTime() - t0) / 1e6;
        if (cpu) {
          cpuMs[j][r] = (mx.getCurrentThreadCpuTime() - c0) / 1e6;
        }
      }
      onStep.accept("timed round " + (r + 1) + "/" + req.runs());
    }
    return new double[][][] {samples, cpuMs};
  }

  /** Each backend's median over tflite-xnnpack's, when that baseline ran. */
  private static Map<String, Double> ratiosToXnnpack(List<BackendStats> stats) {
    Map<String, Double> ratios = new LinkedHashMap<>();
    BackendStats x = stats.stream().filter(s -> s.name().equals(BackendKind.TFLITE_XNNPACK.id())).findFirst()
        .orElse(null);
    if (x != null) {
      for (BackendStats s : stats) {
        if (s != x) {
          ratios.put(s.name(), s.medianMs() / x.medianMs());
        }
      }
    }
    return ratios;
  }

  /** {@code kind} opened through its provider for latency runs; null (with a note) when it has no model to run. */
  private static Leg open(BackendKind kind, TfliteModel model, Map<String, HostTensor> inputs, BenchRequest req,
      List<String> notes) {
    OnnxModel onnx = null;
    if (kind.format() == BackendKind.ModelFormat.ONNX) {
      String[] why = new String[1];
      onnx = OnnxSource.resolve(req.onnx(), model, why);
      if (onnx == null) {
        notes.add(why[0]);
        return null;
      }
    }
    OnnxModel given = onnx;
    Backend backend = Backends.open(kind, new BackendSpec(model, () -> given, req.device(),
        DeterminismConfig.DETERMINISTIC.withSeed(req.seed()).withIntraOpThreads(req.threads()),
        BackendSpec.Purpose.LATENCY));
    if (backend instanceof PortBackend port) {
      if (!port.unsupported().isEmpty()) {
        notes.add(kind.id() + " runs only part of the graph: unsupported " + port.unsupported());
      }
      if (port.path().kind() != dev.crossalign.port.TorchPath.Kind.TORCHSCRIPT) {
        notes.add(kind.id() + " runs op by op: " + port.path().describe());
      }
      return new TorchLeg(kind.id(), port, inputs);
    }
    Map<String, HostTensor> feeds;
    try {
      feeds = backend instanceof OrtBackend ort ? feeds(ort.inputs(), inputs) : inputs;
    } catch (RuntimeException e) {
      backend.close();
      throw e;
    }
    return new SimpleLeg(kind.id(), () -> backend.run(feeds), backend::close);
  }

  /** The TFLite inputs by the ONNX model's input names: same names, or by position when the names differ. */
  static Map<String, HostTensor> feeds(List<OnnxValueInfo> onnxInputs, Map<String, HostTensor> inputs) {
    Map<String, HostTensor> feeds = new LinkedHashMap<>();
    boolean byName = onnxInputs.stream().allMatch(i -> inputs.containsKey(i.name()));
    if (byName) {
      onnxInputs.forEach(i -> feeds.put(i.name(), inputs.get(i.name())));
      return feeds;
    }
    if (onnxInputs.size() != inputs.size()) {
      throw CrossalignException.input("the ONNX model has inputs " + onnxInputs.stream().map(OnnxValueInfo::name)
          .toList() + ", the TFLite model " + inputs.keySet());
    }
    List<HostTensor> vals = new ArrayList<>(inputs.values());
    for (int i = 0; i < onnxInputs.size(); i++) {
      feeds.put(onnxInputs.get(i).name(), vals.get(i));
    }
    return feeds;
  }

  private record SimpleLeg(String name, Runnable body, Runnable closer) implements Leg {
    @Override
    public void runOnce() {
      body.run();
    }

    @Override
    public void close() {
      closer.run();
    }
  }

  /** The port, run outputs-only (no capture), and kept for --profile-ops. */
  private static final class TorchLeg implements Leg {
    final String name;
    final PortBackend port;
    final Map<String, HostTensor> inputs;

    TorchLeg(String name, PortBackend port, Map<String, HostTensor> inputs) {
      this.name = name;
      this.port = port;
      this.inputs = inputs;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public void runOnce() {
      port.run(inputs, false);
    }

    @Override
    public void close() {
      port.close();
    }
  }

  /** Cores, CPU model, OS and Java of this machine. */
  public static Map<String, String> machine() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
    m.put("cpu", cpuModel());
    m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
        + System.getProperty("os.arch"));
    m.put("java", System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")");
    return m;
  }

  private static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux: unknown
    }
    return "unknown";
  }
}
