package dev.crossalign.engine.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.crossalign.CrossalignException;
import dev.crossalign.engine.DemoModel;
import dev.crossalign.engine.ValidationRequest;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.testutil.TestModels;
import dev.crossalign.tflite.TensorInfo;
import dev.crossalign.tflite.TfliteModel;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Workers and heap chosen together: the estimate from the model's tensors, the count from the budget. */
class MemoryPlanTest {
  /** The largest --max-memory the plan accepts: the machine's memory. */
  private static final long ALL = MemoryPlan.machineTotalMb();

  private static List<ManifestRow> demoRows(int n) {
    return java.util.stream.IntStream.rangeClosed(1, n)
        .mapToObj(i -> new ManifestRow(i, null, i, null, null, null, null)).toList();
  }

  @Test
  void capturesFollowTheBackendsAndTheMode() {
    assertThat(MemoryPlan.captures(List.of("tflite", "torch"), ValidationRequest.RunMode.BOTH)).isEqualTo(3);
    assertThat(MemoryPlan.captures(List.of("tflite", "torch"), ValidationRequest.RunMode.CHAINED)).isEqualTo(2);
    assertThat(MemoryPlan.captures(List.of("tflite", "torch", "onnxruntime"), ValidationRequest.RunMode.BOTH))
        .isEqualTo(5);
  }

  @Test
  void estimateIsTheSumOfTheModelsTensorBytes() {
    TfliteModel demo = TfliteModel.read(DemoModel.bytes(), "demo");
    MemoryPlan.Estimate e = MemoryPlan.Estimate.of(demo, "demo");
    // independent count: every tensor's elements x 4 bytes (float32, fp16 weights counted as the fp32 they become)
    long weights = 0;
    long acts = 0;
    for (TensorInfo t : demo.main().tensors()) {
      long bytes = HostTensor.numel(t.shape()) * 4;
      if (demo.isConstant(t)) {
        weights += bytes;
      } else {
        acts += bytes;
      }
    }
    assertThat(e.weightBytes()).isEqualTo(weights);
    assertThat(e.activationBytes()).isEqualTo(acts);
    assertThat(e.fileBytes()).isEqualTo(DemoModel.bytes().length);

    MemoryPlan p = MemoryPlan.plan(demoRows(10), BatchOptions.defaults(), 1, ALL);
    long mb = 1 << 20;
    long heap = MemoryPlan.HEAP_BASE_MB
        + (long) Math.ceil((e.fileBytes() + MemoryPlan.HEAP_PER_CAPTURE * 3 * acts) / mb);
    long nat = MemoryPlan.NATIVE_BASE_MB
        + (long) Math.ceil((MemoryPlan.NATIVE_PER_WEIGHT * weights + MemoryPlan.NATIVE_PER_ACTIVATION * acts) / mb);
    assertThat(p.heapMb()).isEqualTo(heap);
    assertThat(p.perWorkerMb()).isEqualTo(heap + nat);
    assertThat(p.workers()).isEqualTo(1);
    assertThat(p.budgetMb()).isEqualTo(ALL);
    assertThat(p.recycleMb()).isEqualTo((long) Math.ceil(MemoryPlan.RECYCLE_FACTOR * (heap + nat)));
  }

  /** The heap (MiB) the rule gives one row of {@code e} holding {@code captures} captures. */
  private static long heapFor(MemoryPlan.Estimate e, int captures) {
    return MemoryPlan.HEAP_BASE_MB
        + (long) Math.ceil((e.fileBytes() + MemoryPlan.HEAP_PER_CAPTURE * captures * e.activationBytes()) / (1 << 20));
  }

  @Test
  void eachRowIsSizedWithItsOwnBackendsAndModel() {
    java.nio.file.Path face = TestModels.require(TestModels.FULL_RANGE);
    MemoryPlan.Estimate demo = MemoryPlan.Estimate.of(TfliteModel.read(DemoModel.bytes(), "demo"), "demo");
    MemoryPlan.Estimate big = MemoryPlan.Estimate.of(TfliteModel.read(face), face.toString());
    // the precondition of what follows: the demo model three-way needs less heap than the detector with two backends
    assertThat(heapFor(demo, 5)).isLessThan(heapFor(big, 3));
    // the three-way row is the small model's: the large model is sized for its own three captures, not five
    List<ManifestRow> rows = List.of(new ManifestRow(1, null, 0, null, null, null, List.of("tflite", "torch",
        "onnxruntime")), new ManifestRow(2, face, 0, null, null, null, null));
    MemoryPlan p = MemoryPlan.plan(rows, BatchOptions.defaults(), 1, ALL);
    assertThat((long) p.heapMb()).isEqualTo(heapFor(big, 3)).isLessThan(heapFor(big, 5));
    assertThat(p.largestModel()).isEqualTo(face.toString());
    // the same rows with the large model three-way: five captures of its activations
    List<ManifestRow> both = List.of(rows.get(0), new ManifestRow(2, face, 0, null, null, null, List.of("tflite",
        "torch", "onnxruntime")));
    assertThat((long) MemoryPlan.plan(both, BatchOptions.defaults(), 1, ALL).heapMb())
        .isEqualTo(heapFor(big, 5));
  }

  @Test
  void workerCountFollowsTheBudgetAndTheCores() {
    BatchOptions o = BatchOptions.defaults();
    long per = MemoryPlan.plan(demoRows(10), o, 1, ALL).perWorkerMb();
    long self = MemoryPlan.BATCH_PROCESS_MB;
    int cores = Runtime.getRuntime().availableProcessors();
    // a budget for exactly one worker and the batch itself: one, whatever the cores
    assertThat(MemoryPlan.plan(demoRows(10), o, 0, self + per).workers()).isEqualTo(1);
    assertThat(MemoryPlan.plan(demoRows(10), o, 0, self + 2 * per - 1).workers()).isEqualTo(1);
    assertThat(MemoryPlan.plan(demoRows(10), o, 0, self + 2 * per).workers()).isEqualTo(Math.min(2, cores));
    // plenty of memory: the cores, but never more workers than rows
    assertThat(MemoryPlan.plan(demoRows(1000), o, 0, ALL).workers())
        .isEqualTo((int) Math.min(cores, (ALL - self) / per));
    assertThat(MemoryPlan.plan(demoRows(1), o, 0, ALL).workers()).isEqualTo(1);
    // a cap above the machine's memory caps nothing: refused, in one line
    assertThatThrownBy(() -> MemoryPlan.plan(demoRows(10), o, 0, ALL + 1)).isInstanceOf(CrossalignException.class)
        .hasMessageContaining("--max-memory " + (ALL + 1) + " MiB is more than this machine's memory (" + ALL
            + " MiB)").hasMessageNotContaining("\n");
    // an explicit count that does not fit is refused, naming the count that would
    assertThatThrownBy(() -> MemoryPlan.plan(demoRows(10), o, 3, self + 2 * per + 1))
        .isInstanceOf(CrossalignException.class)
        .hasMessageContaining("3 workers need about " + (self + 3 * per) + " MiB")
        .hasMessageContaining("--workers 2").hasMessageNotContaining("\n");
    assertThat(MemoryPlan.plan(demoRows(10), o, 3, self + 3 * per).workers()).isEqualTo(3);
    assertThatThrownBy(() -> MemoryPlan.plan(demoRows(10), o, 0, self + per - 1))
        .isInstanceOf(CrossalignException.class).hasMessageContaining("one worker needs about " + per + " MiB")
        .hasMessageContaining("(--max-memory)");
    // a budget below the batch's own share fits no worker (no negative count)
    assertThatThrownBy(() -> MemoryPlan.plan(demoRows(10), o, 1, self - 1))
        .isInstanceOf(CrossalignException.class).hasMessageContaining("--workers 1 and a larger --max-memory");
  }

  @Test
  void theLargestModelSizesTheBatchAndUnreadableModelsAreLeftToTheirRows() throws Exception {
    java.nio.file.Path bad = java.nio.file.Files.createTempFile("bad", ".tflite");
    try {
      java.nio.file.Files.write(bad, new byte[] {1, 2, 3});
      List<ManifestRow> rows = List.of(new ManifestRow(1, bad, 0, null, null, null, null),
          new ManifestRow(2, null, 0, null, null, null, null));
      MemoryPlan p = MemoryPlan.plan(rows, BatchOptions.defaults(), 1, ALL);
      assertThat(p.largestModel()).isEqualTo(DemoModel.LABEL);
    } finally {
      java.nio.file.Files.deleteIfExists(bad);
    }
  }
}
