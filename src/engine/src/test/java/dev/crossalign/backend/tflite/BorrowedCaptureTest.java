package dev.crossalign.backend.tflite;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.backend.Activations;
import dev.crossalign.backend.CapturedTensor;
import dev.crossalign.backend.TensorSink;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.testutil.TestModels;
import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

/**
 * A sink that borrows data (validate's spill file) gets views of the interpreter's own memory: the same tensors, in
 * the same order, with the same bytes as the heap copies another sink gets (the oracle: the copying capture, itself
 * checked against the interpreter in TfliteBackendTest), and the capture allocates a small fraction of the run's
 * bytes on the heap instead of a copy of each tensor.
 */
class BorrowedCaptureTest {
  /** Checksums each tensor in place (CRC32 reads a direct buffer without copying it) and keeps nothing. */
  private static final class Borrowing implements TensorSink {
    final Map<String, Long> crc = new LinkedHashMap<>(512);
    final long[] slots = new long[1024];
    int n;
    boolean allDirect = true;

    @Override
    public boolean borrowsData() {
      return true;
    }

    @Override
    public void accept(CapturedTensor t) {
      CRC32 c = new CRC32();
      c.update(t.tensor().data().duplicate());
      allDirect &= t.tensor().data().isDirect() || t.tensor().data().capacity() == 0;
      slots[n++] = c.getValue();
      crc.put(t.name(), 0L);
    }
  }

  @Test
  void aBorrowingSinkReadsTheSameBytesInPlaceWithoutAHeapCopyPerTensor() {
    byte[] model = TestModels.bytes(TestModels.SHORT_RANGE);
    try (TfliteBackend b = TfliteBackend.open(model, TestModels.SHORT_RANGE, TfliteOptions.defaults())) {
      Map<String, HostTensor> in = TfliteBackendTest.seededInput(b, 7);
      Activations copied = b.run(in);
      long runBytes = 0;
      Map<String, Long> expected = new LinkedHashMap<>();
      for (CapturedTensor t : copied.tensors()) {
        assertThat(t.tensor().data().isDirect()).as("the default sink keeps heap copies").isFalse();
        CRC32 c = new CRC32();
        c.update(t.tensor().data().duplicate());
        expected.put(t.name(), c.getValue());
        runBytes += t.tensor().data().remaining();
      }
      b.run(in, new Borrowing()); // warm-up: classes and the JIT's first allocations
      Borrowing sink = new Borrowing();
      com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
      long a0 = mx.getCurrentThreadAllocatedBytes();
      List<String> outputs = b.run(in, sink);
      long allocated = mx.getCurrentThreadAllocatedBytes() - a0;

      assertThat(outputs).isEqualTo(copied.outputNames());
      assertThat(sink.allDirect).as("views of the interpreter's memory").isTrue();
      assertThat(List.copyOf(sink.crc.keySet())).isEqualTo(List.copyOf(expected.keySet()));
      long[] want = expected.values().stream().mapToLong(Long::longValue).toArray();
      assertThat(java.util.Arrays.copyOf(sink.slots, sink.n)).isEqualTo(want);
      // the copying capture allocates at least runBytes (measured: short range's run is ~5.7 MB)
      assertThat(runBytes).isGreaterThan(4L << 20);
      assertThat(allocated).as("heap bytes allocated by a borrowed capture of %d bytes", runBytes)
          .isLessThan(runBytes / 8);
    }
  }
}
