package dev.crossalign.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.align.Mode;
import dev.crossalign.align.Tolerance;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.BackendKind;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The {@code cpu.*} entries of {@code timing_ms}: the stepping thread's CPU time, which sleeping does not add to and
 * which cannot exceed the step's wall time (the oracle: a thread runs on at most one core at a time).
 */
class StepCpuTimingTest {
  @Test
  void sleepingAddsNoCpuTimeAndSpinningAddsAtMostItsWallTime() throws InterruptedException {
    long c0 = ThreadCpu.nanos();
    Thread.sleep(200);
    assertThat(ThreadCpu.msSince(c0)).as("CPU ms over a 200 ms sleep").isLessThan(50);
    long c1 = ThreadCpu.nanos();
    long t1 = System.nanoTime();
    double x = 0;
    while (System.nanoTime() - t1 < 100_000_000L) {
      x += Math.sqrt(x + 1);
    }
    double wall = (System.nanoTime() - t1) / 1e6;
    assertThat(x).isPositive();
    assertThat(ThreadCpu.msSince(c1)).as("CPU ms of a %.0f ms spin", wall).isGreaterThan(0).isLessThanOrEqualTo(wall + 1);
  }

  @Test
  void aLegStepsCpuLeavesOutWhatItsComparisonsTookAndOnlyThat() {
    float[] v = new float[1 << 21];
    for (int i = 0; i < v.length; i++) {
      v[i] = (i % 1000) * 1e-3f;
    }
    HostTensor t = HostTensor.ofFloats(new int[] {1, v.length}, Layout.ANY, v);
    Activations ref = Activations.builder("tflite").add("a", "INPUT", 0, t).add("b", "ADD", 1, t).build();
    Activations cand = Activations.builder("torch").add("a", "INPUT", 0, t).add("b", "ADD", 1, t).build();
    WorstPair worst = new WorstPair("tflite", Set.of(), Set.of(), Set.of(), true);
    StreamedPair p = StreamedPair.candidateStreams(ref, "torch", "torch", Mode.CHAINED, Tolerance.DEFAULT, worst, 0);
    long c0 = ThreadCpu.nanos();
    for (int i = 0; i < 10; i++) {
      cand.tensors().forEach(p::accept); // every accept compares on this thread
    }
    double all = ThreadCpu.msSince(c0);
    double leg = ThreadCpu.legMsSince(c0, p, null);
    double alone = ThreadCpu.legMsSince(c0);
    assertThat(p.compareCpuMs()).as("comparisons' CPU ms").isGreaterThan(10).isLessThanOrEqualTo(all);
    // only the loop's own bookkeeping is left; without comparisons to leave out, it is the thread's CPU
    assertThat(leg).as("leg CPU ms of %.1f ms, comparisons %.1f", all, p.compareCpuMs())
        .isGreaterThanOrEqualTo(-1).isLessThan(all - p.compareCpuMs() + 5).isLessThan(p.compareCpuMs() / 4);
    assertThat(alone).isGreaterThanOrEqualTo(all);
  }

  @Test
  void validateReportsEachTorchAndTfliteStepsCpuTimeWithinItsWallTime() {
    ValidationRequest d = ValidationRequest.defaults(null);
    ValidationRequest req = new ValidationRequest(null, List.of(BackendKind.TFLITE, BackendKind.TORCH),
        ValidationRequest.RunMode.BOTH, d.run(), null);
    Map<String, Double> t = Validator.validate(req).result().timingMs();
    assertThat(t).containsKeys("cpu.run.tflite", "cpu.prepare.torch", "cpu.run.torch.chained",
        "cpu.run.torch.isolated");
    // prepare.torch's wall includes waiting for libtorch; run.tflite's includes opening the interpreter
    assertThat(t.get("cpu.prepare.torch")).isGreaterThan(0).isLessThanOrEqualTo(t.get("prepare.torch") + 1);
    assertThat(t.get("cpu.run.tflite")).isGreaterThan(0).isLessThanOrEqualTo(t.get("run.tflite") + 1);
    assertThat(t.get("cpu.run.torch.chained")).isGreaterThan(0);
    assertThat(t.get("cpu.run.torch.isolated")).isGreaterThan(0);
  }

  @Test
  void validateReportsOnnxRuntimesStepsCpuTime() {
    ValidationRequest d = ValidationRequest.defaults(null);
    ValidationRequest req = new ValidationRequest(null, List.of(BackendKind.TFLITE, BackendKind.ONNXRUNTIME),
        ValidationRequest.RunMode.BOTH, d.run(), null);
    Map<String, Double> t = Validator.validate(req).result().timingMs();
    assertThat(t).containsKeys("cpu.prepare.onnxruntime", "cpu.run.onnxruntime.chained",
        "cpu.run.onnxruntime.isolated");
    // ONNX Runtime runs on the leg's thread with one intra-op thread: its CPU is within the step's wall time
    assertThat(t.get("cpu.prepare.onnxruntime")).isGreaterThan(0)
        .isLessThanOrEqualTo(t.get("prepare.onnxruntime") + 1);
    assertThat(t.get("cpu.run.onnxruntime.chained")).isGreaterThan(0)
        .isLessThanOrEqualTo(t.get("run.onnxruntime.chained") + 1);
    assertThat(t.get("cpu.run.onnxruntime.isolated")).isGreaterThan(0)
        .isLessThanOrEqualTo(t.get("run.onnxruntime.isolated") + 1);
  }
}
