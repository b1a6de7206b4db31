package dev.crossalign.testutil;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.port.OpRegistry;
import dev.crossalign.port.codegen.GeneratedModel;
import dev.crossalign.port.codegen.PyGenerator;
import dev.crossalign.port.codegen.TorchScriptModule;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.Subgraph;
import dev.crossalign.tflite.TfliteModel;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The generated PyTorch code of a writer-built model, compiled by libtorch's TorchScript compiler from Java and run
 * whole-graph with capture, against the real interpreter's tensors: every op test that goes through {@link
 * PortHarness#assertAligned} checks the op's code generation with the same tolerance as its port lowering. A model
 * with an op that has no code generation is skipped here (and recorded in {@link #notGenerated}).
 */
public final class GeneratedCodeCheck {
  /** Op names met in tests whose code generation was refused, with the reason. */
  public static final Map<String, String> notGenerated = new ConcurrentHashMap<>();
  /** Op names whose generated code was checked against the interpreter. */
  public static final Set<String> checked = ConcurrentHashMap.newKeySet();

  private GeneratedCodeCheck() {}

  public static void assertAligned(byte[] bytes, Map<Integer, HostTensor> inputs, Map<String, HostTensor> ref,
      double atol) {
    String mode = System.getProperty("crossalign.codegenCheck", "run");
    if (mode.equals("off")) {
      return;
    }
    TfliteModel model = TfliteModel.read(bytes, "test");
    Subgraph g = model.main();
    GeneratedModel gen = PyGenerator.generate(model, OpRegistry.load(), "Model", PyGenerator.Boundary.NHWC);
    if (!gen.complete()) {
      gen.refusals().forEach(u -> notGenerated.putIfAbsent(u.op(), u.reason()));
      return;
    }
    if (mode.equals("generate")) {
      return;
    }
    Map<String, HostTensor> named = new LinkedHashMap<>();
    inputs.forEach((idx, h) -> named.put(g.tensor(idx).name(), h));
    TorchScriptModule.Run run;
    try (TorchScriptModule m = TorchScriptModule.compile(gen)) {
      run = m.run(named, true);
    } catch (RuntimeException e) {
      throw new AssertionError("generated code failed:\n" + gen.source(), e);
    }
    int compared = 0;
    double worstAll = 0;
    for (Map.Entry<String, HostTensor> e : run.captured().entrySet()) {
      HostTensor want = ref.get(e.getKey());
      if (want == null) {
        continue;
      }
      HostTensor have = e.getValue();
      assertThat(have.shape()).as("generated code: shape of " + e.getKey()).isEqualTo(want.shape());
      double worst = 0;
      for (long i = 0; i < want.numel(); i++) {
        double a = want.getDouble(i);
        double b = have.getDouble(i);
        double d = Math.abs(a - b);
        if (Double.isNaN(d)) {
          d = (Double.isNaN(a) && Double.isNaN(b)) || a == b ? 0 : Double.POSITIVE_INFINITY;
        }
        worst = Math.max(worst, d);
      }
      assertThat(worst).as("generated code: max abs error of '" + e.getKey() + "'\n" + gen.source())
          .isLessThanOrEqualTo(atol);
      compared++;
      worstAll = Math.max(worstAll, worst);
    }
    for (int o : g.outputs()) {
      String n = g.tensor(o).name();
      if (ref.containsKey(n)) {
        HostTensor have = run.outputs().get(n).withLayout(Layout.ANY);
        HostTensor cap = run.captured().get(n);
        assertThat(cap == null || java.util.Arrays.equals(cap.shape(), have.shape())).isTrue();
      }
    }
    assertThat(compared).as("generated code: tensors compared").isPositive();
    model.main().operators().forEach(op -> checked.add(op.opName()));
    System.out.printf("[codegen] %s: %d tensors, worst abs %.3g (atol %.3g)%n",
        model.main().operators().stream().map(op -> op.opName()).distinct().toList(), compared, worstAll, atol);
  }
}
