package dev.crossalign.engine.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.crossalign.testutil.TestModels;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.Operator;
import dev.crossalign.tflite.TfliteModel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rows in worker processes: a row whose worker dies natively is recorded as crashed, a hung row as timeout, every other
 * row finishes, and --resume leaves crashed rows alone unless --retry-crashed. The crash is a real SIGSEGV in the
 * worker (the test hook of {@link WorkerMain}), so the test holds whatever model checks refuse up front; a real model
 * with an operator input set to -1 (PAD, MEAN or RESHAPE's second input) is run too.
 */
class CrashIsolationTest {
  private static final String CRASH = "crossalign.worker.test.crashOnRow";
  private static final String HANG = "crossalign.worker.test.hangOnRow";

  @TempDir Path dir;

  @AfterEach
  void clearHooks() {
    System.clearProperty(CRASH);
    System.clearProperty(HANG);
  }

  private static BatchOptions chained() {
    BatchOptions d = BatchOptions.defaults();
    return d.withMode(dev.crossalign.engine.ValidationRequest.RunMode.CHAINED);
  }

  private static BatchRunner.Config processes(int workers, boolean resume, boolean retry, Duration timeout) {
    return new BatchRunner.Config(workers, Isolation.PROCESS, resume, retry, timeout, 512);
  }

  private Path manifest(String name, String... models) throws Exception {
    StringBuilder sb = new StringBuilder("model,seed\n");
    for (int i = 0; i < models.length; i++) {
      sb.append(models[i]).append(',').append(i + 1).append('\n');
    }
    Path p = dir.resolve(name);
    Files.writeString(p, sb.toString());
    return p;
  }

  /** The last line of each row, by row number. */
  private static Map<Integer, RowResult> byRow(Path out) {
    Map<Integer, RowResult> m = new HashMap<>();
    for (RowResult r : JsonlSink.readDone(out)) {
      m.put(r.row(), r);
    }
    return m;
  }

  @Test
  void crashedRowIsRecordedTheOthersFinishAndResumeLeavesItAlone() throws Exception {
    Path m = manifest("m.csv", "demo", "demo", "demo", "demo");
    Path out = dir.resolve("o.jsonl");
    System.setProperty(CRASH, "2");
    BatchRunner.Summary s =
        BatchRunner.run(Manifest.read(m), chained(), processes(1, false, false, Duration.ofMinutes(10)), out, null);
    assertThat(s.ran()).isEqualTo(4);
    assertThat(s.crashed()).isEqualTo(1);
    assertThat(s.aligned()).isEqualTo(3);
    assertThat(s.exitStatus()).isEqualTo(2);
    assertThat(s.workersStarted()).isEqualTo(2); // the first died at row 2, its successor ran rows 3 and 4
    assertThat(s.recycled()).isZero(); // a died worker is replaced, not counted as recycled
    assertThat(s.peakRssKb()).isPositive();
    Map<Integer, RowResult> rows = byRow(out);
    assertThat(rows).containsOnlyKeys(1, 2, 3, 4);
    RowResult crashed = rows.get(2);
    assertThat(crashed.verdict()).isEqualTo("crashed");
    assertThat(crashed.exitStatus()).isEqualTo(2);
    assertThat(crashed.crash()).isNotNull();
    assertThat(crashed.crash().exitCode()).isNotZero();
    assertThat(crashed.crash().signal()).isEqualTo("SIGSEGV");
    assertThat(crashed.crash().fault()).startsWith("SIGSEGV (0xb)");
    assertThat(crashed.error()).contains("worker process died").contains("SIGSEGV").doesNotContain("\n");
    for (int r : List.of(1, 3, 4)) {
      assertThat(rows.get(r).verdict()).as("row %d", r).isEqualTo("aligned");
      assertThat(rows.get(r).tensorsCompared()).isPositive();
      assertThat(rows.get(r).crash()).isNull();
      assertThat(rows.get(r).cpuMs()).as("row %d: the worker's CPU time over it", r).isPositive();
    }
    assertThat(crashed.cpuMs()).as("a crashed row has no CPU time: its worker could not say").isNull();
    assertThat(s.tenths()).as("4 rows are too few for tenths").isNull();

    // --resume: the crashed row is done, nothing runs, nothing is written
    System.clearProperty(CRASH);
    long size = Files.size(out);
    BatchRunner.Summary again =
        BatchRunner.run(Manifest.read(m), chained(), processes(1, true, false, Duration.ofMinutes(10)), out, null);
    assertThat(again.ran()).isZero();
    assertThat(again.skipped()).isEqualTo(4);
    assertThat(again.exitStatus()).isEqualTo(2);
    assertThat(again.workersStarted()).isZero();
    assertThat(Files.size(out)).isEqualTo(size);

    // --resume --retry-crashed: row 2 runs again (the hook is off now), its new line wins
    BatchRunner.Summary retry =
        BatchRunner.run(Manifest.read(m), chained(), processes(1, true, true, Duration.ofMinutes(10)), out, null);
    assertThat(retry.ran()).isEqualTo(1);
    assertThat(retry.skipped()).isEqualTo(3);
    assertThat(retry.exitStatus()).isZero();
    assertThat(retry.aligned()).isEqualTo(4);
    assertThat(Files.readAllLines(out)).hasSize(5);
    assertThat(byRow(out).get(2).verdict()).isEqualTo("aligned");
  }

  @Test
  void hungRowTimesOutAndTheNextRowRunsOnANewWorker() throws Exception {
    Path m = manifest("h.csv", "demo", "demo", "demo");
    Path out = dir.resolve("h.jsonl");
    System.setProperty(HANG, "2");
    // Long enough for a cold worker's first row on a loaded 2-core machine, short enough for a test.
    Duration timeout = Duration.ofSeconds(40);
    long t0 = System.nanoTime();
    BatchRunner.Summary s = BatchRunner.run(Manifest.read(m), chained(), processes(1, false, false, timeout), out,
        null);
    double seconds = (System.nanoTime() - t0) / 1e9;
    assertThat(s.timedOut()).isEqualTo(1);
    assertThat(s.workersStarted()).isEqualTo(2);
    Map<Integer, RowResult> rows = byRow(out);
    assertThat(rows.get(2).verdict()).isEqualTo("timeout");
    assertThat(rows.get(2).exitStatus()).isEqualTo(2);
    assertThat(rows.get(2).error()).contains("timed out after 40 s");
    assertThat(rows.get(2).crashedOrTimedOut()).isTrue();
    assertThat(rows.get(1).verdict()).isEqualTo("aligned");
    assertThat(rows.get(3).verdict()).isEqualTo("aligned");
    assertThat(seconds).as("the hung row costs its timeout, not forever").isGreaterThanOrEqualTo(40);
  }

  @Test
  void aWorkerAboveTheRecyclingThresholdIsReplacedAfterItsRow() throws Exception {
    Path m = manifest("c.csv", "demo", "demo");
    Path out = dir.resolve("c.jsonl");
    // 1 MiB: every worker's resident set is above it after its row (a JVM alone is tens of MiB)
    BatchRunner.Config recycleAll =
        new BatchRunner.Config(1, Isolation.PROCESS, false, false, Duration.ofMinutes(10), 512, 1);
    BatchRunner.Summary s = BatchRunner.run(Manifest.read(m), chained(), recycleAll, out, null);
    assertThat(s.aligned()).isEqualTo(2);
    assertThat(s.recycled()).isEqualTo(2);
    assertThat(s.workersStarted()).isEqualTo(2); // row 2 ran on a new worker
    assertThat(s.crashed()).isZero();
    long self = ProcStatus.kb(ProcessHandle.current().pid(), "VmRSS");
    assertThat(s.peakRssKb()).as("a worker's peak (VmHWM) after a demo row, kB").isBetween(20_000L, 4_000_000L);
    // the sampled tree holds this JVM and, while a row ran, its worker: at least the smaller of the two
    assertThat(s.peakTreeRssKb()).isGreaterThan(Math.min(self, s.peakRssKb()))
        .isLessThan(ProcStatus.meminfoKb("MemTotal"));
  }

  @Test
  void realModelWithARequiredInputSetToMinusOneCostsOnlyItsRow() throws Exception {
    Path real = TestModels.require("face_detection_short_range.tflite");
    Path bad = dir.resolve("minus_one.tflite");
    String which = mutateSecondInput(real, bad);
    assumeTrue(which != null, "no PAD/MEAN/RESHAPE whose input vector is unique in the file");
    Path m = manifest("r.csv", real.toString(), bad.toString(), real.toString());
    Path out = dir.resolve("r.jsonl");
    BatchRunner.Summary s =
        BatchRunner.run(Manifest.read(m), chained(), processes(1, false, false, Duration.ofMinutes(10)), out, null);
    Map<Integer, RowResult> rows = byRow(out);
    assertThat(rows).containsOnlyKeys(1, 2, 3);
    assertThat(rows.get(1).verdict()).isEqualTo("aligned");
    assertThat(rows.get(3).verdict()).isEqualTo("aligned");
    // Crashed when TFLite faults on it; refused (exit 2 or 3, one line) once the op-input checks catch it first.
    RowResult r = rows.get(2);
    System.out.println("mutated " + which + ": " + r.toJson());
    assertThat(r.verdict()).as(r.toJson()).isIn("crashed", "error");
    assertThat(r.exitStatus()).isIn(2, 3);
    assertThat(s.total()).isEqualTo(3);
  }

  /** Sets the second input of the first PAD, MEAN or RESHAPE to -1, patching its int32 vector in place. */
  static String mutateSecondInput(Path src, Path dst) throws Exception {
    byte[] bytes = Files.readAllBytes(src);
    TfliteModel model = TfliteModel.read(src);
    Set<BuiltinOp> kinds = EnumSet.of(BuiltinOp.PAD, BuiltinOp.MEAN, BuiltinOp.RESHAPE);
    List<Operator> ops = new ArrayList<>(model.main().operators());
    ops.sort(Comparator.comparingInt(Operator::index));
    for (Operator op : ops) {
      if (op.builtin() == null || !kinds.contains(op.builtin()) || op.inputs().length < 2 || op.inputs()[1] < 0) {
        continue;
      }
      ByteBuffer pat = ByteBuffer.allocate(4 * (op.inputs().length + 1)).order(ByteOrder.LITTLE_ENDIAN);
      pat.putInt(op.inputs().length);
      for (int i : op.inputs()) {
        pat.putInt(i);
      }
      List<Integer> at = find(bytes, pat.array());
      if (at.size() == 1) {
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(at.get(0) + 8, -1);
        Files.write(dst, bytes);
        return op.builtin() + " #" + op.index();
      }
    }
    return null;
  }

  private static List<Integer> find(byte[] hay, byte[] needle) {
    List<Integer> at = new ArrayList<>();
    outer:
    for (int i = 0; i + needle.length <= hay.length; i += 4) { // flatbuffer vectors are 4-aligned
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      at.add(i);
    }
    return at;
  }
}
