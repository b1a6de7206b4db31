package dev.crossalign.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.backend.BackendKind;
import java.util.List;
import java.util.Map;
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
