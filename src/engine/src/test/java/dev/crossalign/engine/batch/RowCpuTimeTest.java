package dev.crossalign.engine.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker process's answer carries the row's CPU time ({@code cpu_ms}), checked against the kernel's count for the
 * worker read from outside ({@code /proc/PID/stat}, utime + stime, in clock ticks), against the row's wall time times
 * the cores, and, on a row that first spins one core for a known CPU time on a thread other than the row's (the
 * worker's spinOnRow test hook), against that floor: the row's CPU time is the whole process's, not its thread's.
 */
class RowCpuTimeTest {
  private static final String SPIN = "crossalign.worker.test.spinOnRow";

  @TempDir Path dir;

  @AfterEach
  void clearHook() {
    System.clearProperty(SPIN);
  }

  /** utime + stime of a process from /proc/PID/stat, in ms. */
  private static double procCpuMs(long pid, double tickMs) throws IOException {
    String s = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII);
    String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
    // after the command: state is field 3, utime field 14, stime field 15
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * tickMs;
  }

  /** The kernel's clock tick (USER_HZ) in ms, from getconf; 10 ms (100 Hz) when getconf is not there. */
  private static double tickMs() throws InterruptedException {
    try {
      Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
      return p.waitFor() == 0 ? 1000.0 / Long.parseLong(out) : 10;
    } catch (IOException | NumberFormatException e) {
      return 10;
    }
  }

  @Test
  void eachAnswerCarriesTheWorkersCpuTimeOverItsRow() throws Exception {
    assumeTrue(Files.isReadable(Path.of("/proc/self/stat")), "the kernel's count is read from /proc (Linux only)");
    double tick = tickMs();
    int cores = Runtime.getRuntime().availableProcessors();
    System.setProperty(SPIN, "3"); // a warm row: its own thread alone costs less than the spin
    BatchOptions chained = BatchOptions.defaults().withMode(dev.crossalign.engine.ValidationRequest.RunMode.CHAINED);
    try (WorkerProcess w = WorkerProcess.start(WorkerProcess.Jvm.current(512, dir), chained)) {
      for (int row = 1; row <= 3; row++) {
        double before = procCpuMs(w.pid(), tick);
        long t0 = System.nanoTime();
        WorkerProcess.Outcome o =
            w.run(new ManifestRow(row, null, row, null, null, null, null), true, Duration.ofMinutes(5));
        double wallMs = (System.nanoTime() - t0) / 1e6;
        double after = procCpuMs(w.pid(), tick);
        assertThat(o).isInstanceOf(WorkerProcess.Outcome.Answered.class);
        WorkerProcess.Outcome.Answered a = (WorkerProcess.Outcome.Answered) o;
        RowResult r = a.result();
        assertThat(r.verdict()).as(a.json()).isEqualTo("aligned");
        assertThat(a.json()).contains("\"cpu_ms\":");
        assertThat(r.cpuMs()).as("row %d: cpu_ms", row).isNotNull().isPositive();
        // The worker counts a span inside the one read here from outside; both round to whole ticks.
        assertThat(r.cpuMs()).as("row %d: cpu_ms against /proc's utime + stime over the row (%.0f ms)", row,
            after - before).isLessThanOrEqualTo(after - before + 2 * tick);
        assertThat(r.cpuMs()).as("row %d: cpu_ms against wall %.0f ms x %d cores", row, wallMs, cores)
            .isLessThanOrEqualTo(wallMs * cores + 2 * tick);
        if (row == 3) {
          // another thread spun for SPIN_MS of its CPU time before the row ran: the row cost at least that
          assertThat(r.cpuMs()).as("the spinning row").isGreaterThanOrEqualTo(WorkerMain.SPIN_MS - tick);
          assertThat(wallMs).as("the spinning row's wall time").isGreaterThanOrEqualTo(WorkerMain.SPIN_MS - tick);
        }
      }
    }
  }
}
