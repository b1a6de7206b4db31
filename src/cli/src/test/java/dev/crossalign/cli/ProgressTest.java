package dev.crossalign.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressTest {
  static final long MS = 1_000_000L;

  final AtomicLong now = new AtomicLong(5_000 * MS);
  final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  final PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);

  String out() {
    return bytes.toString(StandardCharsets.UTF_8);
  }

  static long count(String s, char c) {
    return s.chars().filter(x -> x == c).count();
  }

  @Test
  void silentForTheFirstSecond() {
    try (Progress p = new Progress("tflite", 10, err, now::get, true)) {
      for (int i = 0; i < 10; i++) {
        now.addAndGet(90 * MS);
        p.step(1);
      }
      assertThat(p.done()).isEqualTo(10);
    }
    // 900 ms in all: nothing drawn, and close adds nothing
    assertThat(out()).isEmpty();
  }

  @Test
  void redrawsAtMostTenTimesASecond() {
    Progress p = new Progress("torch", 3000, err, now::get, true);
    now.addAndGet(1000 * MS);
    // 3000 steps, 1 ms apart: 3 s of steps
    for (int i = 0; i < 3000; i++) {
      p.step(1);
      now.addAndGet(MS);
    }
    long draws = count(out(), '\r');
    // first draw at 1 s, then one per 100 ms for 3 s
    assertThat(draws).isBetween(28L, 31L);
    p.close();
    p.close();
    String s = out();
    assertThat(count(s, '\n')).isEqualTo(1);
    // the last line is padded over the longer one before it (which had an ETA)
    assertThat(s).containsPattern("torch \\[#{30}\\] 3000/3000 4\\.0s +\n$");
  }

  @Test
  void barShowsTheFraction() {
    Progress p = new Progress("onnx", 4, err, now::get, true);
    now.addAndGet(1500 * MS);
    p.step(1);
    // 1 of 4 in 1.5 s: 3 more take 4.5 s
    assertThat(out()).isEqualTo("\ronnx [" + "#".repeat(8) + ".".repeat(22) + "] 1/4 1.5s ETA 5s");
    // steps past the total are capped; negative ones ignored
    now.addAndGet(200 * MS);
    p.step(10);
    p.step(-3);
    assertThat(p.done()).isEqualTo(4);
    p.close();
    assertThat(out()).endsWith("\ronnx [" + "#".repeat(30) + "] 4/4 1.7s" + " ".repeat(" ETA 5s".length()) + "\n");
  }

  @Test
  void quietDrawsNothing() {
    try (Progress p = new Progress("x", 5, err, now::get, false)) {
      now.addAndGet(5000 * MS);
      p.step(5);
    }
    assertThat(out()).isEmpty();
    // the public factory is quiet when asked, and when stderr is not a terminal (as under the test runner)
    assertThat(System.console()).isNull();
    PrintStream saved = System.err;
    System.setErr(err);
    try (Progress q = Progress.start("y", 3, true); Progress r = Progress.start("z", 3)) {
      Thread.sleep(1100);
      q.step(1);
      r.step(2);
      assertThat(q.done()).isEqualTo(1);
      assertThat(r.done()).isEqualTo(2);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      System.setErr(saved);
    }
    assertThat(out()).isEmpty();
  }

  @Test
  void showsThePhaseAndAnEta() {
    Progress p = new Progress("batch", 10, err, now::get, true);
    p.phase("row 1 face.tflite");
    now.addAndGet(2000 * MS);
    p.step(4);
    // 4 rows in 2 s: 6 more take 3 s
    assertThat(out()).isEqualTo("\rbatch [" + "#".repeat(12) + ".".repeat(18) + "] 4/10 2.0s ETA 3s row 1 face.tflite");
    now.addAndGet(200 * MS);
    p.phase("row 5 hand.tflite");
    assertThat(out()).endsWith("] 4/10 2.2s ETA 3s row 5 hand.tflite");
    p.close();
  }

  @Test
  void theLaunchersTerminalTestDecides() {
    String saved = System.getProperty("crossalign.stderr.tty");
    try {
      System.setProperty("crossalign.stderr.tty", "true");
      assertThat(Progress.stderrIsTerminal()).isTrue();
      System.setProperty("crossalign.stderr.tty", "false");
      assertThat(Progress.stderrIsTerminal()).isFalse();
      System.clearProperty("crossalign.stderr.tty");
      assertThat(Progress.stderrIsTerminal()).isEqualTo(System.console() != null);
    } finally {
      if (saved == null) {
        System.clearProperty("crossalign.stderr.tty");
      } else {
        System.setProperty("crossalign.stderr.tty", saved);
      }
    }
  }
}
