package dev.crossalign.engine;

import dev.crossalign.CrossalignException;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.CapturedTensor;
import dev.crossalign.backend.NativeMemory;
import dev.crossalign.backend.TensorSink;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A run kept off the heap and out of the process's memory: each tensor is written to a temporary file as it streams
 * in, and read back as a read-only view of the file's mapping, which costs no heap and no copy. Only the index (names,
 * shapes, offsets) stays on the heap. Holds validate's reference run (every candidate compares with it, the isolated
 * runs are fed from it) and ONNX Runtime's runs that torch~onnxruntime compares with while the port's run streams past
 * them. pose_landmark_heavy's run is 194 MB of float32; held on the heap the reference and a held run were each a
 * fifth of validate's peak RSS (benchmarks/README.md).
 *
 * <p>The pages a view reads count in the process's RSS until {@link #dropPages} (or {@link #readAndDrop}) takes them
 * out again; the data stays in the page cache, so a later read maps them back. The file is unlinked as soon as it is
 * open where the system allows (Linux, macOS), so nothing is left behind even if the JVM dies; otherwise it goes when
 * this is closed. Views handed out stay readable after {@link #close} (the mapping lives as long as they do). One
 * owner; {@link #close} is idempotent; writes from one thread at a time, reads and page drops from any.
 */
final class SpilledRun implements TensorSink, AutoCloseable {
  /** Reads and writes go through slices of at most this size (the JDK's temporary direct buffer per I/O call). */
  private static final int CHUNK = 1 << 20;

  /**
   * Each tensor starts at a multiple of this in the file, so that its view starts a page of the mapping for any page
   * size up to 64 KiB (the gaps are holes: no disk, no memory).
   */
  private static final int ALIGN = 1 << 16;

  /** One mapping spans at most this many bytes (a ByteBuffer's limit is 2 GiB); a larger tensor gets its own. */
  private static final long SEGMENT = 1L << 30;

  /** {@link #readAndDrop}: the mapping's pages are dropped each time views of this many bytes have been read. */
  static final long DROP_EVERY = 32L << 20;

  private record Entry(String op, int index, DType dtype, int[] shape, Layout layout, long offset, int bytes) {}

  /** One read-only mapping of the file, from {@code start}. */
  private record Segment(long start, MappedByteBuffer map) {
    boolean holds(Entry e) {
      return e.offset() >= start && e.offset() + e.bytes() <= start + map.capacity();
    }
  }

  private final String backend;
  /** In write order; a name written again keeps its first place and its later tensor, as in a run's Activations. */
  private final Map<String, Entry> entries = new LinkedHashMap<>();
  private final List<Segment> segments = new ArrayList<>();
  private FileChannel file;
  private long end;
  private long mappedEnd;
  private long dataBytes;
  private long readSinceDrop;

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
          + System.getProperty("java.io.tmpdir") + " to hold the " + backend + " run: " + e.getMessage()
          + " (set -Djava.io.tmpdir to a writable folder)", e);
    }
  }

  String backend() {
    return backend;
  }

  /** Appends {@code t}; a name seen again: the later tensor counts, as in a run's Activations. */
  @Override
  public synchronized void accept(CapturedTensor t) {
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
      dataBytes += bytes;
      end = (at + ALIGN - 1) / ALIGN * ALIGN;
    } catch (IOException e) {
      throw failed("write", e);
    }
  }

  /** The held tensor {@code name} as a read-only view of the file (no copy); null when the run lacks it. */
  synchronized CapturedTensor get(String name) {
    open();
    Entry e = entries.get(name);
    return e == null ? null : view(name, e);
  }

  /**
   * The whole run as {@link Activations} of views (no copy), in write order, with the run's outputs {@code outputs}.
   * The tensors' pages come and go with reads and {@link #dropPages}: the Activations hold no memory of their own.
   */
  synchronized Activations activations(List<String> outputs) {
    open();
    Activations.Builder b = Activations.builder(backend);
    entries.forEach((name, e) -> b.add(view(name, e)));
    outputs.forEach(b::output);
    return b.build();
  }

  /**
   * Tells this run that views of {@code bytes} bytes were read; each {@link #DROP_EVERY} bytes, {@link #dropPages}.
   * What keeps the pages this run's readers touch from adding up in the process's RSS.
   */
  synchronized void readAndDrop(long bytes) {
    readSinceDrop += bytes;
    if (readSinceDrop >= DROP_EVERY) {
      dropPages();
    }
  }

  /** Takes every page of this run's mappings out of the process's RSS (the data stays; reads map it back). */
  synchronized void dropPages() {
    readSinceDrop = 0;
    if (file == null) {
      return; // closed: the mappings may be gone, nothing here may touch them
    }
    for (Segment s : segments) {
      NativeMemory.dropPages(s.map());
    }
  }

  private CapturedTensor view(String name, Entry e) {
    ByteBuffer data = e.bytes() == 0 ? ByteBuffer.allocate(0) : slice(e);
    return new CapturedTensor(name, e.op(), e.index(),
        HostTensor.wrap(e.dtype(), e.shape(), e.layout(), data.order(ByteOrder.LITTLE_ENDIAN)));
  }

  private ByteBuffer slice(Entry e) {
    if (e.offset() + e.bytes() > mappedEnd) {
      mapTo(end);
    }
    for (Segment s : segments) {
      if (s.holds(e)) {
        return s.map().slice((int) (e.offset() - s.start()), e.bytes());
      }
    }
    throw new IllegalStateException("tensor at " + e.offset() + " of the held " + backend + " run is in no mapping");
  }

  /** Maps what was written after the last mapping, cut at tensor boundaries into segments of at most SEGMENT. */
  private void mapTo(long to) {
    long start = -1;
    long last = -1;
    try {
      for (Entry e : entries.values().stream().sorted(java.util.Comparator.comparingLong(Entry::offset)).toList()) {
        if (e.offset() < mappedEnd || e.bytes() == 0) {
          continue;
        }
        if (start >= 0 && e.offset() + e.bytes() - start > SEGMENT) {
          segments.add(new Segment(start, open().map(FileChannel.MapMode.READ_ONLY, start, last - start)));
          start = -1;
        }
        if (start < 0) {
          start = e.offset();
        }
        last = e.offset() + e.bytes();
      }
      if (start >= 0) {
        segments.add(new Segment(start, open().map(FileChannel.MapMode.READ_ONLY, start, last - start)));
      }
    } catch (IOException x) {
      throw failed("map", x);
    }
    mappedEnd = to;
  }

  /** Tensors held. */
  synchronized int size() {
    return entries.size();
  }

  /** Bytes of tensor data written. */
  synchronized long bytes() {
    return dataBytes;
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

  /** Closes the file; its pages leave the process's RSS now, views handed out stay readable (mapped back). */
  @Override
  public synchronized void close() {
    FileChannel f = file;
    if (f != null) {
      dropPages();
    }
    file = null;
    entries.clear();
    segments.clear();
    if (f != null) {
      try {
        f.close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
