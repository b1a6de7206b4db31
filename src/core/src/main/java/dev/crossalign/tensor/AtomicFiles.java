package dev.crossalign.tensor;

import dev.crossalign.CrossalignException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Writes a file so that readers see either the old content or the whole new one: a temp file in the same directory
 * (same file system, so the move is a rename), flushed and synced, then moved over the target.
 */
public final class AtomicFiles {
  private AtomicFiles() {}

  /** What writes the content. */
  @FunctionalInterface
  public interface Body {
    void writeTo(OutputStream out) throws IOException;
  }

  /** Writes {@code bytes} to {@code target} atomically; failures are one-line INPUT errors naming the file. */
  public static void write(Path target, byte[] bytes) {
    write(target, out -> out.write(bytes));
  }

  /** Writes what {@code body} streams to {@code target} atomically; the parent directories are created. */
  public static void write(Path target, Body body) {
    write(target, body, true);
  }

  /** As {@link #write(Path, Body)} into a directory that must already exist (a missing one is an INPUT error). */
  public static void replace(Path target, Body body) {
    write(target, body, false);
  }

  private static void write(Path target, Body body, boolean createDirectories) {
    Path abs = target.toAbsolutePath();
    Path dir = abs.getParent();
    Path tmp = null;
    try {
      if (dir != null && createDirectories) {
        Files.createDirectories(dir);
      }
      tmp = tempBeside(abs);
      try (FileChannel fc = FileChannel.open(tmp, StandardOpenOption.WRITE);
          OutputStream out = new BufferedOutputStream(Channels.newOutputStream(fc), 1 << 16)) {
        body.writeTo(out);
        out.flush();
        fc.force(true);
      }
      try {
        Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
      }
      tmp = null;
    } catch (IOException e) {
      throw CrossalignException.input("cannot write " + target + ": " + describe(e));
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // the original failure is the one to report
        }
      }
    }
  }

  /**
   * A new empty file next to {@code target} (same directory, so the final move is a rename), created with the
   * permissions any file the user creates gets: 0666 less the umask, as open(2) gives. Files.createTempFile would make
   * it 0600, which other users and services (a model server reading an exported model) cannot read.
   */
  public static Path tempBeside(Path target) throws IOException {
    Path abs = target.toAbsolutePath();
    Path dir = abs.getParent() == null ? Path.of(".").toAbsolutePath() : abs.getParent();
    for (int attempt = 0; ; attempt++) {
      Path p = dir.resolve("." + abs.getFileName() + "."
          + Long.toUnsignedString(java.util.concurrent.ThreadLocalRandom.current().nextLong(), 36) + ".tmp");
      try {
        return Files.createFile(p);
      } catch (java.nio.file.FileAlreadyExistsException e) {
        if (attempt >= 10) {
          throw e;
        }
      }
    }
  }

  static String describe(IOException e) {
    String m = e.getMessage();
    String what = e.getClass().getSimpleName();
    return m == null ? what : what + " " + m.replace('\n', ' ');
  }
}
