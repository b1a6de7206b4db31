package dev.crossalign.testutil;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

/**
 * A named pipe that tells whether anyone opened it. A thread waits to open it for writing, which the kernel lets
 * happen only once a reader opens it, so "the writer got through" means "someone opened the file"; works as root
 * (permission bits would not stop root). The writer then sends a few bytes and closes, so a reader never hangs.
 */
public final class FifoCanary implements AutoCloseable {
  private final Path path;
  private final Thread writer;

  private FifoCanary(Path path) {
    this.path = path;
    this.writer = new Thread(() -> {
      try (OutputStream out = Files.newOutputStream(path, StandardOpenOption.WRITE)) {
        out.write(new byte[64]);
      } catch (IOException ignored) {
        // a reader that closes early: it still opened the pipe
      }
    }, "fifo-canary " + path.getFileName());
    writer.setDaemon(true);
    writer.start();
  }

  /** Makes a FIFO at {@code path} (skips the test where mkfifo is missing). */
  public static FifoCanary create(Path path) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("mkfifo", path.toString()).redirectErrorStream(true).start();
    boolean done = p.waitFor(30, TimeUnit.SECONDS);
    assumeTrue(done && p.exitValue() == 0, "needs mkfifo");
    return new FifoCanary(path);
  }

  public Path path() {
    return path;
  }

  /** Whether anyone has opened the FIFO (gives a late opener 200 ms to show). */
  public boolean opened() throws InterruptedException {
    writer.join(200);
    return !writer.isAlive();
  }

  /** Releases the waiting writer (by opening the FIFO here) and removes the FIFO. */
  @Override
  public void close() throws IOException, InterruptedException {
    if (writer.isAlive()) {
      try (InputStream in = Files.newInputStream(path)) {
        in.readAllBytes();
      }
      writer.join(5_000);
    }
    Files.deleteIfExists(path);
  }
}
