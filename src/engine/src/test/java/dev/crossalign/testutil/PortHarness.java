package dev.crossalign.testutil;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.backend.Activations;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.backend.tflite.TfliteBackend;
import dev.crossalign.backend.tflite.TfliteOptions;
import dev.crossalign.port.OpRegistry;
import dev.crossalign.port.PortBackend;
import dev.crossalign.port.TorchPath;
import dev.crossalign.port.codegen.PyGenerator;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.Operator;
import dev.crossalign.tflite.Subgraph;
import dev.crossalign.tflite.TensorInfo;
import dev.crossalign.tflite.TfliteModel;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Runs a writer-built model through the real TFLite interpreter (the oracle) and through the torch port, chained and
 * isolated, and measures every op output the port produced against the interpreter's.
 */
public final class PortHarness {
  private PortHarness() {}

  /**
   * Worst absolute error per compared tensor name: chained as the backend runs it (the TorchScript path where the
   * model's ops all have code generation), isolated, and chained on the per-op eager path (the oracle kept for it).
   */
  public record Result(Map<String, Double> chained, Map<String, Double> isolated, Map<String, HostTensor> reference,
      Map<String, Double> chainedEager) {
    public double worst() {
      double w = 0;
      for (double v : chained.values()) {
        w = Math.max(w, v);
      }
      for (double v : chainedEager.values()) {
        w = Math.max(w, v);
      }
      for (double v : isolated.values()) {
        w = Math.max(w, v);
      }
      return w;
    }
  }

  /** Float inputs uniform in [lo, hi), integer inputs uniform in [0, 4). */
  public static Map<Integer, HostTensor> randomInputs(TfliteModel model, long seed, double lo, double hi) {
    SplittableRandom rnd = new SplittableRandom(seed);
    Subgraph g = model.main();
    Map<Integer, HostTensor> in = new LinkedHashMap<>();
    for (int idx : g.inputs()) {
      TensorInfo t = g.tensor(idx);
      int n = (int) HostTensor.numel(t.shape());
      Layout layout = t.shape().length == 4 ? Layout.NHWC : Layout.ANY;
      if (t.type().dtype() == DType.INT32) {
        int[] v = new int[n];
        for (int i = 0; i < n; i++) {
          v[i] = rnd.nextInt(4);
        }
        in.put(idx, HostTensor.ofInts(t.shape(), layout, v));
      } else {
        in.put(idx, HostTensor.ofFloats(t.shape(), layout, RandomTensors.uniform(rnd, n, lo, hi)));
      }
    }
    return in;
  }

  public static Result run(byte[] bytes, long seed, double lo, double hi) {
    TfliteModel model = TfliteModel.read(bytes, "test");
    Map<Integer, HostTensor> inputs = randomInputs(model, seed, lo, hi);
    return run(bytes, inputs);
  }

  public static Result run(byte[] bytes, Map<Integer, HostTensor> inputs) {
    TfliteModel model = TfliteModel.read(bytes, "test");
    Subgraph g = model.main();
    Map<Integer, HostTensor> ref = reference(bytes, inputs);
    Map<String, HostTensor> byName = new HashMap<>();
    Activations.Builder refActs = Activations.builder("tflite");
    for (Map.Entry<Integer, HostTensor> e : ref.entrySet()) {
      if (e.getKey() >= g.tensors().size()) {
        continue; // a kernel's scratch tensor the interpreter appended (ADD_N's), not a model tensor
      }
      String name = g.tensor(e.getKey()).name();
      byName.put(name, e.getValue());
      refActs.add(name, "?", e.getKey(), e.getValue());
    }
    Map<String, HostTensor> named = new LinkedHashMap<>();
    for (Map.Entry<Integer, HostTensor> e : inputs.entrySet()) {
      named.put(g.tensor(e.getKey()).name(), e.getValue());
    }
    boolean generated = PyGenerator.generate(model, OpRegistry.load(), "Model", PyGenerator.Boundary.NHWC).complete();
    try (PortBackend port = PortBackend.open(model, Device.CPU, DeterminismConfig.DETERMINISTIC);
        PortBackend eager = PortBackend.openEager(model, Device.CPU, DeterminismConfig.DETERMINISTIC)) {
      assertThat(port.unsupported()).as("ops the port could not lower").isEmpty();
      // every op generated: the backend must have compiled it (a compiler refusal would hide behind the eager path)
      assertThat(port.path().kind()).as("torch path: " + port.path().describe())
          .isEqualTo(generated ? TorchPath.Kind.TORCHSCRIPT : TorchPath.Kind.EAGER);
      Activations chained = port.run(named);
      Activations isolated = port.runIsolated(refActs.build());
      Activations chainedEager = eager.run(named);
      return new Result(diff(byName, chained), diff(byName, isolated), byName, diff(byName, chainedEager));
    }
  }

  /**
   * The interpreter's tensors by index: {@link TfliteOracle} (builtin kernels only), or for a model with a custom op
   * the reference backend, whose kernels for MediaPipe's custom ops run TFLite's XNNPACK delegate (its op inputs and
   * outputs read back by index after the run).
   */
  public static Map<Integer, HostTensor> reference(byte[] bytes, Map<Integer, HostTensor> inputs) {
    Subgraph g = TfliteModel.read(bytes, "test").main();
    if (g.operators().stream().noneMatch(Operator::isCustom)) {
      return TfliteOracle.run(bytes, inputs);
    }
    try (TfliteBackend tflite = TfliteBackend.open(bytes, "test", TfliteOptions.defaults())) {
      Map<String, HostTensor> named = new LinkedHashMap<>();
      inputs.forEach((i, t) -> named.put(tflite.tensorName(i), t));
      tflite.run(named);
      Map<Integer, HostTensor> out = new LinkedHashMap<>(inputs);
      for (Operator op : g.operators()) {
        for (int i : op.outputs()) {
          out.put(i, tflite.tensorAt(i));
        }
      }
      return out;
    }
  }

  /** Asserts every tensor both sides have agrees within {@code atol} (absolute), chained and isolated. */
  public static Result assertAligned(byte[] bytes, long seed, double lo, double hi, double atol) {
    Map<Integer, HostTensor> inputs = randomInputs(TfliteModel.read(bytes, "test"), seed, lo, hi);
    Result r = run(bytes, inputs);
    assertThat(r.chained()).as("tensors compared in chained mode").isNotEmpty();
    // isolated mode feeds each op the reference's own inputs: an empty map would let a broken runIsolated pass unseen
    assertThat(r.isolated()).as("tensors compared in isolated mode").isNotEmpty();
    assertThat(r.chained().values()).as("chained max abs error per tensor " + r.chained()).allMatch(v -> v <= atol);
    assertThat(r.isolated().values()).as("isolated max abs error per tensor " + r.isolated()).allMatch(v -> v <= atol);
    assertThat(r.chainedEager().values()).as("eager chained max abs error per tensor " + r.chainedEager())
        .allMatch(v -> v <= atol);
    GeneratedCodeCheck.assertAligned(bytes, inputs, r.reference(), atol); // the same op as generated PyTorch code
    return r;
  }

  private static Map<String, Double> diff(Map<String, HostTensor> ref, Activations cand) {
    Map<String, Double> out = new LinkedHashMap<>();
    for (var c : cand.tensors()) {
      HostTensor r = ref.get(c.name());
      if (r == null || c.op().equals("INPUT")) {
        continue;
      }
      HostTensor t = c.tensor();
      if (t.layout() == Layout.NCHW) {
        t = t.permute(new int[] {0, 2, 3, 1}, Layout.NHWC);
      }
      assertThat(t.shape()).as("shape of " + c.name()).isEqualTo(r.shape());
      double worst = 0;
      for (long i = 0; i < r.numel(); i++) {
        double a = r.getDouble(i);
        double b = t.getDouble(i);
        double d = Math.abs(a - b);
        if (Double.isNaN(d)) {
          d = (Double.isNaN(a) && Double.isNaN(b)) || a == b ? 0 : Double.POSITIVE_INFINITY;
        }
        worst = Math.max(worst, d);
      }
      out.put(c.name(), worst);
    }
    return out;
  }
}
