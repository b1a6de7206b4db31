package dev.crossalign.engine;

import dev.crossalign.CrossalignException;
import dev.crossalign.backend.CapturedTensor;
import dev.crossalign.backend.TensorSink;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/**
 * A candidate run that a later leg still compares with (torch~onnxruntime: ONNX Runtime's run of a mode is held while
 * the port's streams past it), kept off the heap and out of the process's memory: each tensor is written to a
 * temporary file as it streams in and read back, one at a time, when asked for. Only the index (names, shapes,
 * offsets) stays in memory. pose_landmark_heavy's run is 194 MB of float32; held on the heap it was a third of
 * validate's peak RSS (benchmarks/README.md). The file is unlinked as soon as it is open where the system allows
 * (Linux, macOS), so nothing is left behind even if the JVM dies; otherwise it goes when this is closed. One owner;
 * {@link #close} is idempotent. Not thread-safe.
 */
final class SpilledRun implements TensorSink, AutoCloseable {
  /** Reads and writes go through slices of at most this size (the JDK's temporary direct buffer per I/O call). */
  private static final int CHUNK = 1 << 20;

  private record Entry(String op, int index, DType dtype, int[] shape, Layout layout, long offset, int bytes) {}

  private final String backend;
  private final Map<String, Entry> entries = new HashMap<>();
  private FileChannel file;
  private long end;

  private SpilledRun(String backend, FileChannel file) {
    this.backend = backend;
    this.file = file;
  }

  /** An empty held run of {@code backend}, its file in the JVM's temporary folder (java.io.tmpdir). */
  static SpilledRun create(String backend) {
    try {
      Path p = Files.createTempFile("crossalign-held-", ".bin");
      FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE,
          StandardOpenOption.DELETE_ON_CLOSE);
      try {
        Files.deleteIfExists(p); // POSIX: the open channel keeps the data; no name is left to clean up
      } catch (IOException e) {
        // Windows: the file stays until close (DELETE_ON_CLOSE)
      }
      return new SpilledRun(backend, ch);
    } catch (IOException e) {
      throw new CrossalignException(CrossalignException.Kind.ENVIRONMENT, "cannot create a temporary file in "
          + System.getProperty("java.io.tmpdir") + " to hold a run for the torch~" + backend + " comparison: "
          + e.getMessage() + " (set -Djava.io.tmpdir to a writable folder)", e);
    }
  }

  String backend() {
    return backend;
  }

  /** Appends {@code t}; a name seen again: the later tensor counts, as in a run's Activations. */
  @Override
  public void accept(CapturedTensor t) {
    HostTensor h = t.tensor();
    ByteBuffer data = h.data();
    int bytes = data.remaining();
    try {
      long at = end;
      for (int pos = 0; pos < bytes; pos += CHUNK) {
        ByteBuffer slice = data.slice(pos, Math.min(CHUNK, bytes - pos));
        while (slice.hasRemaining()) {
          at += open().write(slice, at);
        }
      }
      entries.put(t.name(), new Entry(t.op(), t.index(), h.dtype(), h.shape(), h.layout(), end, bytes));
      end = at;
    } catch (IOException e) {
      throw failed("write", e);
    }
  }

  /** The held tensor {@code name}, read back onto the heap (a fresh copy each call); null when the run lacks it. */
  CapturedTensor get(String name) {
    FileChannel f = open();
    Entry e = entries.get(name);
    if (e == null) {
      return null;
    }
    ByteBuffer out = ByteBuffer.allocate(e.bytes()).order(ByteOrder.LITTLE_ENDIAN);
    try {
      for (int pos = 0; pos < e.bytes(); pos += CHUNK) {
        ByteBuffer slice = out.slice(pos, Math.min(CHUNK, e.bytes() - pos));
        while (slice.hasRemaining()) {
          if (f.read(slice, e.offset() + pos + slice.position()) < 0) {
            throw new IOException("the file ended early");
          }
        }
      }
    } catch (IOException x) {
      throw failed("read", x);
    }
    return new CapturedTensor(name, e.op(), e.index(), HostTensor.wrap(e.dtype(), e.shape(), e.layout(), out));
  }

  /** Tensors held. */
  int size() {
    return entries.size();
  }

  /** Bytes written to the file. */
  long bytes() {
    return end;
  }

  private FileChannel open() {
    if (file == null) {
      throw new IllegalStateException("held " + backend + " run used after close");
    }
    return file;
  }

  private CrossalignException failed(String what, IOException e) {
    return new CrossalignException(CrossalignException.Kind.ENVIRONMENT, "cannot " + what + " the temporary file "
        + "holding the " + backend + " run in " + System.getProperty("java.io.tmpdir") + ": " + e.getMessage(), e);
  }

  @Override
  public void close() {
    FileChannel f = file;
    file = null;
    entries.clear();
    if (f != null) {
      try {
        f.close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
