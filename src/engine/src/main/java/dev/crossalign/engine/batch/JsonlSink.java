package dev.crossalign.engine.batch;

import dev.crossalign.CrossalignException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Appends whole JSON lines to a file opened in APPEND mode: each line is one write() of line + newline, then fsync, so
 * a batch killed at any moment keeps every line it finished and at most a torn last line (which {@link #readDone}
 * ignores and {@link #open} cuts off before appending).
 */
public final class JsonlSink implements AutoCloseable {
  private final FileChannel channel;
  private final Path path;

  private JsonlSink(FileChannel channel, Path path) {
    this.channel = channel;
    this.path = path;
  }

  /** Opens (creating) {@code path} for appending; a torn last line from a killed run is cut off first. */
  public static JsonlSink open(Path path) {
    ResultsFile.requireAppendable(path);
    try {
      Path parent = path.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      cutTornTail(path);
      FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.APPEND, java.nio.file.LinkOption.NOFOLLOW_LINKS);
      return new JsonlSink(ch, path);
    } catch (IOException e) {
      throw CrossalignException.input("cannot open " + path + " for appending: " + e.getMessage());
    }
  }

  private static void cutTornTail(Path path) throws IOException {
    if (!Files.isRegularFile(path)) {
      return;
    }
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE,
        java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      long size = ch.size();
      if (size == 0) {
        return;
      }
      long pos = size;
      ByteBuffer one = ByteBuffer.allocate(1);
      while (pos > 0) {
        one.clear();
        ch.read(one, pos - 1);
        if (one.get(0) == '\n') {
          break;
        }
        pos--;
      }
      if (pos != size) {
        ch.truncate(pos);
        ch.force(true);
      }
    }
  }

  /** Writes one line (no newline inside) with a single write() and forces it to disk. */
  public synchronized void append(String line) {
    if (line.indexOf('\n') >= 0) {
      throw new IllegalArgumentException("a JSON line must not contain a newline");
    }
    ByteBuffer buf = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
    try {
      // One write() in APPEND mode puts the whole line at the end; a regular file takes it whole, the loop is only
      // for the contract of WritableByteChannel.
      while (buf.hasRemaining()) {
        channel.write(buf);
      }
      channel.force(false);
    } catch (IOException e) {
      throw new CrossalignException(CrossalignException.Kind.ENVIRONMENT, "cannot write " + path + ": "
          + e.getMessage());
    }
  }

  /** The complete result lines already in {@code path} (none when it does not exist); a torn or foreign line is skipped. */
  public static List<RowResult> readDone(Path path) {
    List<RowResult> out = new ArrayList<>();
    ResultsFile.requireAppendable(path);
    if (!Files.isRegularFile(path)) {
      return out;
    }
    String text;
    try {
      text = Files.readString(path, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw CrossalignException.input("cannot read " + path + " to resume: " + e.getMessage());
    }
    int start = 0;
    while (true) {
      int nl = text.indexOf('\n', start);
      if (nl < 0) {
        break; // a tail without newline is a torn line: not done
      }
      String line = text.substring(start, nl).trim();
      start = nl + 1;
      if (line.isEmpty()) {
        continue;
      }
      try {
        out.add(RowResult.parse(line));
      } catch (IOException e) {
        // not a result line: ignored, the row it might have been reruns
      }
    }
    return out;
  }

  @Override
  public synchronized void close() {
    try {
      channel.close();
    } catch (IOException e) {
      throw new CrossalignException(CrossalignException.Kind.ENVIRONMENT, "cannot close " + path + ": "
          + e.getMessage());
    }
  }
}
