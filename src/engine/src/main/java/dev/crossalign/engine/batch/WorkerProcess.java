package dev.crossalign.engine.batch;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One batch worker process: a child JVM (the same java binary and class path as this one) running {@link WorkerMain},
 * long-lived, answering many rows over stdin/stdout (see {@link WorkerWire}). A native crash while a row runs kills
 * this process only: {@link #run} then reports how it died, and the caller starts a new one. Owned by one thread.
 */
final class WorkerProcess implements AutoCloseable {
  private static final int TAIL_LINES = 40;
  /** A worker's initial heap (MiB): it grows to -Xmx as rows need it. */
  static final int INITIAL_HEAP_MB = 64;
  /**
   * glibc's malloc arenas for a worker, unless the environment sets MALLOC_ARENA_MAX: by default glibc gives each
   * thread that allocates natively (libtorch's and ONNX Runtime's pools) an arena of its own, up to 8 per core, and
   * memory freed in one is not reused by another, so a long-lived worker's resident set creeps.
   */
  static final String MALLOC_ARENAS = "2";

  /**
   * How to start worker JVMs.
   *
   * @param java the java binary
   * @param classPath the class path, as this JVM has it
   * @param heapMb the worker's -Xmx in MiB
   * @param scratch a folder for the workers' JVM crash logs (read to say what faulted, then deleted)
   * @param extraProperties system properties passed through to every worker (-Dkey=value)
   */
  record Jvm(Path java, String classPath, int heapMb, Path scratch, List<String> extraProperties) {
    Jvm {
      extraProperties = List.copyOf(extraProperties);
    }

    /** This JVM's binary and class path; this JVM's crossalign.* and org.bytedeco.* properties passed on. */
    static Jvm current(int heapMb, Path scratch) {
      List<String> props = new ArrayList<>();
      for (String k : System.getProperties().stringPropertyNames()) {
        if (k.startsWith("crossalign.") || k.startsWith("org.bytedeco.")) {
          props.add("-D" + k + "=" + System.getProperty(k));
        }
      }
      props.sort(null);
      String cp = System.getProperty("java.class.path");
      List<String> abs = new ArrayList<>();
      for (String e : cp.split(File.pathSeparator)) {
        abs.add(e.isEmpty() ? e : Path.of(e).toAbsolutePath().toString());
      }
      return new Jvm(Path.of(System.getProperty("java.home"), "bin", "java"),
          String.join(File.pathSeparator, abs), heapMb, scratch, props);
    }

    List<String> command() {
      List<String> cmd = new ArrayList<>();
      cmd.add(java.toString());
      cmd.add("-Xmx" + heapMb + "m");
      // The heap starts small and stays near its live set: without -Xms the JVM commits 1/64 of the machine's memory
      // at start, and the serial collector's young generation, touched by every row, becomes resident in full.
      cmd.add("-Xms" + Math.min(heapMb, INITIAL_HEAP_MB) + "m");
      // Two or more workers share the cores: one GC thread each, and a heap that is given back when idle.
      cmd.add("-XX:+UseSerialGC");
      cmd.add("-XX:MinHeapFreeRatio=10");
      cmd.add("-XX:MaxHeapFreeRatio=30");
      cmd.add("-XX:ErrorFile=" + scratch.resolve("worker-%p.log"));
      cmd.add("-XX:-CreateCoredumpOnCrash");
      cmd.add("-XX:+DisplayVMOutputToStderr");
      cmd.add("-Djava.awt.headless=true");
      cmd.addAll(extraProperties);
      cmd.add("-cp");
      cmd.add(classPath);
      cmd.add(WorkerMain.class.getName());
      return cmd;
    }
  }

  /** What became of one row sent to the worker. */
  sealed interface Outcome {
    /** The worker answered: the row's JSON line and its parsed fields. */
    record Answered(String json, RowResult result) implements Outcome {}

    /** The worker died before answering; it cannot be used again. */
    record Died(RowResult.Crash crash, String message) implements Outcome {}

    /** The worker did not answer in time and was killed; it cannot be used again. */
    record TimedOut() implements Outcome {}
  }

  private final Jvm jvm;
  private final Process process;
  private final BufferedWriter stdin;
  /** Answers, in order; an empty Optional marks the end of the worker's stdout. */
  private final BlockingQueue<Optional<String>> answers = new LinkedBlockingQueue<>();
  private final Deque<String> tail = new ArrayDeque<>();
  private long peakRssKb;
  private boolean dead;

  private WorkerProcess(Jvm jvm, Process process) {
    this.jvm = jvm;
    this.process = process;
    this.stdin = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
    Thread out = new Thread(() -> pumpAnswers(process), "crossalign-worker-out-" + process.pid());
    out.setDaemon(true);
    out.start();
    Thread err = new Thread(() -> pumpErrors(process), "crossalign-worker-err-" + process.pid());
    err.setDaemon(true);
    err.start();
  }

  /** Starts a worker and sends it the batch options. */
  static WorkerProcess start(Jvm jvm, BatchOptions options) {
    Process p;
    try {
      ProcessBuilder pb = new ProcessBuilder(jvm.command());
      pb.environment().putIfAbsent("MALLOC_ARENA_MAX", MALLOC_ARENAS);
      p = pb.start();
    } catch (IOException e) {
      throw new dev.crossalign.CrossalignException(dev.crossalign.CrossalignException.Kind.ENVIRONMENT,
          "cannot start a batch worker process (" + jvm.java() + "): " + e.getMessage());
    }
    WorkerProcess w = new WorkerProcess(jvm, p);
    w.send(WorkerWire.options(options));
    return w;
  }

  long pid() {
    return process.pid();
  }

  private void pumpAnswers(Process p) {
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        String a = WorkerWire.answer(line);
        if (a != null) {
          answers.add(Optional.of(a));
        } else {
          remember(line);
        }
      }
    } catch (IOException e) {
      // the process is gone: the end marker below says so
    } finally {
      answers.add(Optional.empty());
    }
  }

  private void pumpErrors(Process p) {
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        remember(line);
      }
    } catch (IOException e) {
      // the process is gone
    }
  }

  private void remember(String line) {
    synchronized (tail) {
      if (tail.size() == TAIL_LINES) {
        tail.removeFirst();
      }
      tail.addLast(line);
    }
  }

  private boolean send(String line) {
    try {
      stdin.write(line);
      stdin.write('\n');
      stdin.flush();
      return true;
    } catch (IOException e) {
      return false; // the worker died: its end of stdout says how
    }
  }

  /** Sends one row and waits for its answer, at most {@code timeout}. */
  Outcome run(ManifestRow row, boolean keepModel, Duration timeout) {
    if (dead) {
      throw new IllegalStateException("worker " + pid() + " is dead");
    }
    send(WorkerWire.row(row, keepModel));
    Optional<String> a;
    try {
      a = answers.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      kill();
      throw new dev.crossalign.CrossalignException(dev.crossalign.CrossalignException.Kind.INTERNAL,
          "batch interrupted");
    }
    if (a == null) {
      kill();
      return new Outcome.TimedOut();
    }
    if (a.isEmpty()) {
      return died();
    }
    sampleRss();
    String json = a.get();
    try {
      return new Outcome.Answered(json, RowResult.parse(json));
    } catch (IOException e) {
      kill();
      return new Outcome.Died(new RowResult.Crash(-1, null, null),
          "the batch worker answered with a line that is not a result: " + RowResult.oneLine(json));
    }
  }

  private Outcome died() {
    dead = true;
    int code;
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
      }
      code = process.exitValue();
    } catch (InterruptedException | IllegalThreadStateException e) {
      Thread.currentThread().interrupt();
      code = -1;
    }
    String signal = code > 128 && code < 128 + 65 ? Signals.name(code - 128) : null;
    Path log = jvm.scratch().resolve("worker-" + process.pid() + ".log");
    List<String> lines = new ArrayList<>();
    try {
      if (Files.isRegularFile(log)) {
        lines.addAll(Files.readAllLines(log, StandardCharsets.ISO_8859_1));
      }
    } catch (IOException e) {
      // no crash log to read: the tail of stderr may still say
    } finally {
      try {
        Files.deleteIfExists(log);
      } catch (IOException e) {
        // left in the scratch folder, removed with it
      }
    }
    synchronized (tail) {
      lines.addAll(tail);
    }
    String fault = CrashLog.fault(lines);
    if (signal == null && fault != null) {
      // The JVM caught the fault, wrote its report and exited (1 without a core dump): the signal is the fault's.
      signal = fault.substring(0, fault.indexOf(' ') < 0 ? fault.length() : fault.indexOf(' '));
    }
    StringBuilder msg = new StringBuilder("the batch worker process died while running this row (exit ").append(code);
    if (signal != null) {
      msg.append(", ").append(signal);
    }
    msg.append(')');
    if (fault != null) {
      msg.append(": ").append(fault);
    } else {
      String last = lastMessage(lines);
      if (last != null) {
        msg.append("; its last message: ").append(last);
      }
    }
    msg.append("; the batch went on with a new worker");
    return new Outcome.Died(new RowResult.Crash(code, signal, fault), msg.toString());
  }

  private static String lastMessage(List<String> lines) {
    for (int i = lines.size() - 1; i >= 0; i--) {
      String l = lines.get(i).strip();
      if (!l.isEmpty() && !l.startsWith("#")) {
        return l.length() > 300 ? l.substring(0, 300) + "..." : l;
      }
    }
    return null;
  }

  /** Peak resident set (VmHWM, kB) of this worker so far, as last sampled; 0 where /proc is not there. */
  long peakRssKb() {
    return peakRssKb;
  }

  /** The worker's resident set now (VmRSS, kB); 0 once it is gone or where /proc is not there. */
  long rssKb() {
    return dead ? 0 : ProcStatus.kb(process.pid(), "VmRSS");
  }

  private void sampleRss() {
    long hwm = ProcStatus.kb(process.pid(), "VmHWM");
    if (hwm > peakRssKb) {
      peakRssKb = hwm;
    }
  }

  private void kill() {
    sampleRss(); // a hung worker's peak counts too
    dead = true;
    process.destroyForcibly();
    try {
      process.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Ends the worker: stdin closed (it exits by itself), killed if it does not within 30 s. */
  @Override
  public void close() {
    if (!dead) {
      sampleRss();
      dead = true;
      try {
        stdin.close();
      } catch (IOException e) {
        // already gone
      }
      try {
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          process.waitFor(30, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
      }
    }
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "worker %d (-Xmx%dm)", process.pid(), jvm.heapMb());
  }
}
