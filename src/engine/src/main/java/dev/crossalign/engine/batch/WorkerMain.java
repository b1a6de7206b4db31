package dev.crossalign.engine.batch;

import dev.crossalign.backend.BigStack;
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * The main class of a batch worker process (see {@link WorkerProcess}): reads the batch options, then rows, from stdin,
 * one JSON line each; answers every row with one marked line on stdout; exits when stdin ends. Everything else Java
 * code would print goes to stderr, so that only answers travel on stdout.
 *
 * <p>Test hooks (system properties, read once): {@code crossalign.worker.test.crashOnRow=N} makes the worker fault
 * natively (a write to address 0 through Unsafe: a real SIGSEGV, handled by the JVM as any native crash) when it
 * receives row N; {@code crossalign.worker.test.hangOnRow=N} makes it sleep instead of answering row N;
 * {@code crossalign.worker.test.spinOnRow=N} makes it spin a thread of its own for {@link #SPIN_MS} ms of that
 * thread's CPU time, and wait for it, before running row N (a row whose CPU time has a known floor, spent off the row's
 * thread as the legs' and native pools' is). They exist so that the batch's crash, timeout
 * and CPU-time handling is tested whatever the model checks of the day refuse.
 *
 * <p>Each answer carries the process's CPU time over its row ({@code cpu_ms}: user + system of every thread, the
 * legs, the native pools, the GC and the JIT): the worker runs one row at a time, so that is the row's cost whatever
 * else shares the cores, where its wall time is not.
 */
public final class WorkerMain {
  /** Exit status of a worker that ran out of Java heap: it answers that row, then exits to be replaced. */
  static final int EXIT_OUT_OF_MEMORY = 3;

  /** CPU time (ms) the spinOnRow test hook burns on the row's thread. */
  static final long SPIN_MS = 400;

  private WorkerMain() {}

  public static void main(String[] args) {
    PrintStream answers = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
    System.setOut(System.err);
    int status = BigStack.call("crossalign-worker", () -> serve(answers));
    answers.flush();
    System.exit(status);
  }

  private static int serve(PrintStream answers) {
    Integer crashOn = Integer.getInteger("crossalign.worker.test.crashOnRow");
    Integer hangOn = Integer.getInteger("crossalign.worker.test.hangOnRow");
    Integer spinOn = Integer.getInteger("crossalign.worker.test.spinOnRow");
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    try {
      String first = in.readLine();
      if (first == null) {
        return 0;
      }
      try (BatchWorker worker = new BatchWorker(WorkerWire.options(first))) {
        String line;
        while ((line = in.readLine()) != null) {
          if (line.isBlank()) {
            continue;
          }
          ManifestRow row = WorkerWire.row(line);
          if (crashOn != null && crashOn == row.row()) {
            NativeFault.segfault();
          }
          if (hangOn != null && hangOn == row.row()) {
            Thread.sleep(Long.MAX_VALUE);
          }
          RowResult r;
          boolean exitAfter = false;
          long t0 = System.nanoTime();
          long cpu0 = ProcStatus.processCpuNanos();
          try {
            if (spinOn != null && spinOn == row.row()) {
              spin();
            }
            r = worker.validate(row, WorkerWire.keepModel(line));
          } catch (OutOfMemoryError e) {
            Map<String, Double> timing = new TreeMap<>();
            timing.put("total", (System.nanoTime() - t0) / 1e6);
            r = RowResult.error(row, 2, "out of Java heap in the batch worker (-Xmx"
                + Runtime.getRuntime().maxMemory() / (1 << 20) + "m): give the batch more --max-memory or fewer"
                + " --workers", timing);
            exitAfter = true;
          }
          long cpu1 = ProcStatus.processCpuNanos();
          if (cpu0 >= 0 && cpu1 >= 0) {
            r = r.withCpuMs((cpu1 - cpu0) / 1e6);
          }
          answers.print(WorkerWire.MARKER + r.toJson() + "\n");
          answers.flush();
          if (exitAfter) {
            return EXIT_OUT_OF_MEMORY;
          }
        }
      }
      return 0;
    } catch (IOException e) {
      System.err.println("crossalign worker: " + e);
      return 2;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 2;
    }
  }

  /** Burns {@link #SPIN_MS} ms of CPU time on another thread and waits for it (the spinOnRow test hook). */
  private static void spin() throws InterruptedException {
    Thread t = new Thread(() -> {
      java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
      long until = mx.getCurrentThreadCpuTime() + SPIN_MS * 1_000_000L;
      long x = 0;
      while (mx.getCurrentThreadCpuTime() < until) {
        for (int i = 0; i < 10_000; i++) {
          x = x * 6364136223846793005L + 1442695040888963407L;
        }
      }
      if (x == 42) {
        System.err.println(x); // keeps the loop from being optimised away
      }
    }, "crossalign-worker-spin");
    t.start();
    t.join();
  }
}
