package dev.crossalign.cli;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * A one-line progress bar on stderr for steps that take more than a second: nothing is drawn before a second has
 * passed, then the line is redrawn in place with '\r' at most every 100 ms, with the current phase's name and, once
 * a unit is done, an ETA. Quiet (draws nothing) when asked to be (-q) or when stderr is not a terminal: the launcher
 * tests that ({@code [ -t 2 ]}) and passes it as {@code -Dcrossalign.stderr.tty}, so a bar still shows with stdout
 * redirected; without the launcher ({@code java -jar}) the JVM's own test, {@code System.console()}, decides. Safe to step from
 * several threads; {@link #close()} is idempotent and ends a drawn line with a newline.
 *
 * <pre>
 * try (Progress p = Progress.start("torch", layers)) {
 *   for (...) { ...; p.step(1); }
 * }
 * </pre>
 */
public final class Progress implements AutoCloseable {
  static final long DELAY_NANOS = 1_000_000_000L;
  static final long REDRAW_NANOS = 100_000_000L;
  static final int BAR = 30;

  private final String label;
  private final int total;
  private final PrintStream out;
  private final LongSupplier clock;
  private final boolean enabled;
  private final long started;
  private final AtomicBoolean closed = new AtomicBoolean();
  private long done;
  private String phase = "";
  private long lastDraw = Long.MIN_VALUE;
  private boolean drawn;
  private int width;

  Progress(String label, int total, PrintStream out, LongSupplier clock, boolean enabled) {
    if (total < 0) {
      throw new IllegalArgumentException("total must be >= 0, got " + total);
    }
    this.label = label == null ? "" : label;
    this.total = total;
    this.out = out;
    this.clock = clock;
    this.enabled = enabled;
    this.started = clock.getAsLong();
  }

  /** A bar on stderr, quiet when stderr is not a terminal. */
  public static Progress start(String label, int total) {
    return start(label, total, false);
  }

  /** A bar on stderr, quiet when {@code quiet} or when stderr is not a terminal. */
  public static Progress start(String label, int total, boolean quiet) {
    return new Progress(label, total, System.err, System::nanoTime, !quiet && stderrIsTerminal());
  }

  /** The launcher's answer (crossalign.stderr.tty), else whether the JVM has a console. */
  static boolean stderrIsTerminal() {
    String tty = System.getProperty("crossalign.stderr.tty");
    if (tty != null) {
      return Boolean.parseBoolean(tty);
    }
    return System.console() != null;
  }

  /** Names what is being done now ("torch chained", "row 12 face.tflite"); shown after the counts. */
  public void phase(String name) {
    synchronized (this) {
      phase = name == null ? "" : name;
    }
    step(0);
  }

  /** Records {@code n} more finished units (negative n is ignored) and redraws if it is time to. */
  public void step(int n) {
    synchronized (this) {
      if (n > 0) {
        done = Math.min((long) total, done + n);
      }
      if (!enabled || closed.get()) {
        return;
      }
      long now = clock.getAsLong();
      if (now - started < DELAY_NANOS || (drawn && now - lastDraw < REDRAW_NANOS)) {
        return;
      }
      draw(now);
    }
  }

  /** Units recorded so far (capped at total). */
  public synchronized long done() {
    return done;
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    synchronized (this) {
      if (drawn) {
        draw(clock.getAsLong());
        out.print('\n');
        out.flush();
      }
    }
  }

  private void draw(long now) {
    double frac = total == 0 ? 1 : (double) done / total;
    int fill = (int) Math.round(frac * BAR);
    double elapsed = (now - started) / 1e9;
    String line = String.format(Locale.ROOT, "%s [%s%s] %d/%d %.1fs", label, "#".repeat(fill), ".".repeat(BAR - fill),
        done, total, elapsed);
    if (done > 0 && done < total) {
      line += String.format(Locale.ROOT, " ETA %.0fs", elapsed / done * (total - done));
    }
    if (!phase.isEmpty()) {
      line += " " + phase;
    }
    // pad over a longer previous line so no tail of it is left on screen
    String pad = line.length() < width ? " ".repeat(width - line.length()) : "";
    width = Math.max(width, line.length());
    out.print("\r" + line + pad);
    out.flush();
    lastDraw = now;
    drawn = true;
  }
}
