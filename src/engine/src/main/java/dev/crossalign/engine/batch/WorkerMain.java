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
 * receives row N; {@code crossalign.worker.test.hangOnRow=N} makes it sleep instead of answering row N. They exist so
 * that the batch's crash and timeout handling is tested whatever the model checks of the day refuse.
 */
public final class WorkerMain {
  /** Exit status of a worker that ran out of Java heap: it answers that row, then exits to be replaced. */
  static final int EXIT_OUT_OF_MEMORY = 3;

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
          try {
            r = worker.validate(row, WorkerWire.keepModel(line));
          } catch (OutOfMemoryError e) {
            Map<String, Double> timing = new TreeMap<>();
            timing.put("total", (System.nanoTime() - t0) / 1e6);
            r = RowResult.error(row, 2, "out of Java heap in the batch worker (-Xmx"
                + Runtime.getRuntime().maxMemory() / (1 << 20) + "m): give the batch more --max-memory or fewer"
                + " --workers", timing);
            exitAfter = true;
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
}
