package dev.crossalign.backend;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The native libraries' own log lines, kept off the user's terminal. TFLite ("INFO: Created TensorFlow Lite XNNPACK
 * delegate", "ERROR: Node number 3 (ADD) failed to prepare"), libtorch ("[W... NNPACK.cpp:56] Could not initialize
 * NNPACK!") and ONNX Runtime ("... [W:onnxruntime:...]") write straight to file descriptor 2, and the bytedeco TFLite
 * preset gives Java no ErrorReporter it could subclass. {@link #install()} points descriptor 2 at a pipe that a daemon
 * thread reads: lines in those libraries' formats are kept (the last {@value #KEEP}) for {@link #errorsSince} to fold
 * into crossalign's own one-line message; any other line is passed on to the real stderr at once, and Java's
 * System.err writes to the real stderr directly. The CLI installs it unless --verbose; a library user who does not
 * call install() sees the native lines as before.
 */
public final class NativeLog {
  private static final int KEEP = 256;
  /** TFLite's MinimalLogger, libtorch's c10 warnings, ONNX Runtime's default logger. */
  private static final Pattern NATIVE_LINE = Pattern.compile(
      "^(?:(?:INFO|WARNING|ERROR|VERBOSE): .*"
          + "|\\[[WIEF]\\d{4} \\d\\d:\\d\\d:\\d\\d\\.\\d+ .*"
          + "|\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d+ \\[[VIWEF]:onnxruntime.*)$");
  private static final String SYNC = "\u0001crossalign-native-log-sync ";

  private interface LibC extends Library {
    int dup(int fd);

    int dup2(int from, int to);

    int pipe(int[] fds);

    long write(int fd, byte[] buf, long n);

    long read(int fd, byte[] buf, long n);
  }

  private static final Object LOCK = new Object();
  private static LibC libc;
  private static int realStderr = -1;
  private static final Deque<Line> kept = new ArrayDeque<>();
  private static long written;
  private static long seen;
  private static long syncs;

  private record Line(long seq, String text) {}

  /** A point in the log: what came after it is "since" it. */
  public record Mark(long seq) {}

  private NativeLog() {}

  /**
   * Captures descriptor 2 for the rest of the process and points System.err at the real stderr. Idempotent; false (and
   * nothing changed) where it cannot (no libc through JNA, a platform without pipes).
   */
  public static boolean install() {
    synchronized (LOCK) {
      if (libc != null) {
        return true;
      }
      try {
        LibC c = Native.load("c", LibC.class);
        System.err.flush();
        int saved = c.dup(2);
        int[] fds = new int[2];
        if (saved < 0 || c.pipe(fds) != 0) {
          return false;
        }
        if (c.dup2(fds[1], 2) < 0) {
          return false;
        }
        libc = c;
        realStderr = saved;
        System.setErr(new PrintStream(new FdOutputStream(c, saved), true, StandardCharsets.UTF_8));
        Thread t = new Thread(() -> pump(c, fds[0]), "native-log");
        t.setDaemon(true);
        t.start();
        return true;
      } catch (UnsatisfiedLinkError | RuntimeException e) {
        return false;
      }
    }
  }

  public static boolean installed() {
    synchronized (LOCK) {
      return libc != null;
    }
  }

  public static Mark mark() {
    synchronized (LOCK) {
      return new Mark(seen);
    }
  }

  /** Native log lines captured since the mark (empty when not installed), after what is in the pipe was read. */
  public static List<String> since(Mark mark) {
    LibC c;
    synchronized (LOCK) {
      c = libc;
    }
    if (c == null) {
      return List.of();
    }
    sync(c);
    List<String> out = new ArrayList<>();
    synchronized (LOCK) {
      for (Line l : kept) {
        if (l.seq() > mark.seq()) {
          out.add(l.text());
        }
      }
    }
    return out;
  }

  /**
   * The ERROR lines since the mark, prefix dropped, joined with "; " and cut to one readable line; null when there were
   * none or nothing is captured.
   */
  public static String errorsSince(Mark mark) {
    StringBuilder b = new StringBuilder();
    for (String l : since(mark)) {
      if (l.startsWith("ERROR: ")) {
        String msg = l.substring("ERROR: ".length()).strip();
        if (!msg.isEmpty() && b.indexOf(msg) < 0) {
          b.append(b.length() == 0 ? "" : "; ").append(msg);
        }
      }
    }
    if (b.length() == 0) {
      return null;
    }
    String s = b.toString().replaceAll("\\p{Cntrl}", "?");
    return s.length() > 400 ? s.substring(0, 400) + "..." : s;
  }

  /** Writes a marker line into the pipe and waits (at most 2 s) until the reader has seen it. */
  private static void sync(LibC c) {
    long id;
    synchronized (LOCK) {
      id = ++syncs;
    }
    byte[] m = (SYNC + id + "\n").getBytes(StandardCharsets.US_ASCII);
    c.write(2, m, m.length);
    long deadline = System.nanoTime() + 2_000_000_000L;
    synchronized (LOCK) {
      while (written < id && System.nanoTime() < deadline) {
        try {
          LOCK.wait(50);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  private static void pump(LibC c, int readFd) {
    byte[] buf = new byte[8192];
    java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
    while (true) {
      long n = c.read(readFd, buf, buf.length);
      if (n <= 0) {
        return;
      }
      for (int i = 0; i < n; i++) {
        if (buf[i] == '\n') {
          try {
            take(c, line.toString(StandardCharsets.UTF_8));
          } catch (RuntimeException e) {
            // never stop reading: a full pipe would block every native write to stderr
          }
          line.reset();
        } else if (line.size() < 1 << 16) {
          line.write(buf[i]); // a line longer than 64 KiB is cut, not held without bound
        }
      }
    }
  }

  private static void take(LibC c, String text) {
    if (text.startsWith(SYNC)) {
      synchronized (LOCK) {
        written = Math.max(written, Long.parseLong(text.substring(SYNC.length()).strip()));
        LOCK.notifyAll();
      }
      return;
    }
    if (NATIVE_LINE.matcher(text).matches()) {
      synchronized (LOCK) {
        kept.addLast(new Line(++seen, text));
        if (kept.size() > KEEP) {
          kept.removeFirst();
        }
      }
      return;
    }
    byte[] b = (text + "\n").getBytes(StandardCharsets.UTF_8);
    c.write(realStderr, b, b.length);
  }

  /** Writes to a raw file descriptor (the real stderr, saved before descriptor 2 was redirected). */
  private static final class FdOutputStream extends OutputStream {
    private final LibC c;
    private final int fd;

    FdOutputStream(LibC c, int fd) {
      this.c = c;
      this.fd = fd;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      byte[] chunk = off == 0 && len == b.length ? b : java.util.Arrays.copyOfRange(b, off, off + len);
      int done = 0;
      while (done < chunk.length) {
        byte[] rest = done == 0 ? chunk : java.util.Arrays.copyOfRange(chunk, done, chunk.length);
        long n = c.write(fd, rest, rest.length);
        if (n <= 0) {
          throw new IOException("write to stderr failed");
        }
        done += (int) n;
      }
    }
  }
}
