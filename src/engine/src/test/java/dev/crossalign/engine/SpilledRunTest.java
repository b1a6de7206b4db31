package dev.crossalign.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.crossalign.backend.CapturedTensor;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A run held in a temporary file gives back every tensor byte for byte (the oracle: the tensors written), with its
 * name, op, index, dtype, shape and layout, across the file's chunked reads and writes; a name written twice reads as
 * its later tensor; nothing is left in the temporary folder.
 */
class SpilledRunTest {
  @Test
  void everyTensorComesBackByteForByteWithItsDescription() {
    Random rnd = new Random(5);
    float[] big = new float[(3 << 20) / 4 + 7]; // spans four 1 MiB chunks, the last one partial
    for (int i = 0; i < big.length; i++) {
      big[i] = (float) rnd.nextGaussian();
    }
    HostTensor a = HostTensor.ofFloats(new int[] {1, 1, 1, big.length}, Layout.NHWC, big);
    HostTensor b = HostTensor.ofLongs(new int[] {3}, Layout.ANY, new long[] {-1, Long.MAX_VALUE, 42});
    HostTensor empty = HostTensor.of(DType.FLOAT32, new int[] {0, 4}, Layout.ANY, ByteBuffer.allocate(0));
    ByteBuffer bytes = ByteBuffer.allocate(5).order(ByteOrder.LITTLE_ENDIAN).put(new byte[] {1, 0, 1, 1, 0}).flip();
    HostTensor flags = HostTensor.of(DType.BOOL, new int[] {5}, Layout.ANY, bytes);
    try (SpilledRun run = SpilledRun.create("onnxruntime")) {
      run.accept(new CapturedTensor("a", "CONV_2D", 3, a));
      run.accept(new CapturedTensor("b", "INPUT", -1, b));
      run.accept(new CapturedTensor("e", "RESHAPE", 4, empty));
      run.accept(new CapturedTensor("f", "GREATER", 5, flags));
      assertThat(run.size()).isEqualTo(4);
      assertThat(run.bytes()).isEqualTo(big.length * 4L + 24 + 5);
      assertThat(run.backend()).isEqualTo("onnxruntime");
      CapturedTensor ga = run.get("a");
      assertThat(ga.op()).isEqualTo("CONV_2D");
      assertThat(ga.index()).isEqualTo(3);
      assertThat(ga.tensor().layout()).isEqualTo(Layout.NHWC);
      assertThat(ga.tensor().shape()).containsExactly(1, 1, 1, big.length);
      assertThat(ga.tensor().toFloatArray()).isEqualTo(big);
      assertThat(run.get("b").tensor().toLongArray()).containsExactly(-1, Long.MAX_VALUE, 42);
      assertThat(run.get("b").tensor().dtype()).isEqualTo(DType.INT64);
      assertThat(run.get("e").tensor().shape()).containsExactly(0, 4);
      assertThat(run.get("f").tensor().data()).isEqualTo(flags.data());
      assertThat(run.get("f").tensor().dtype()).isEqualTo(DType.BOOL);
      assertThat(run.get("missing")).isNull();
      // read again: a fresh copy, same bytes
      assertThat(run.get("a").tensor().data()).isEqualTo(a.data());
    }
  }

  @Test
  void aNameWrittenTwiceReadsAsItsLaterTensor() {
    try (SpilledRun run = SpilledRun.create("onnxruntime")) {
      run.accept(new CapturedTensor("x", "ADD", 1, HostTensor.ofFloats(new int[] {2}, Layout.ANY, new float[] {1, 2})));
      run.accept(new CapturedTensor("x", "MUL", 2, HostTensor.ofFloats(new int[] {3}, Layout.ANY,
          new float[] {7, 8, 9})));
      assertThat(run.get("x").op()).isEqualTo("MUL");
      assertThat(run.get("x").tensor().toFloatArray()).containsExactly(7, 8, 9);
    }
  }

  @Test
  void leavesNoFileBehindAndRefusesUseAfterClose() throws Exception {
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    long before = held(tmp);
    SpilledRun run = SpilledRun.create("onnxruntime");
    run.accept(new CapturedTensor("x", "ADD", 1, HostTensor.ofFloats(new int[] {1}, Layout.ANY, new float[] {1})));
    if (System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
      assertThat(held(tmp)).as("unlinked while open").isEqualTo(before);
    }
    run.close();
    run.close(); // idempotent
    assertThat(held(tmp)).isEqualTo(before);
    assertThatThrownBy(() -> run.get("x")).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void theWholeRunReadsAsViewsInWriteOrderAndStaysReadableAfterClose() {
    SpilledRun run = SpilledRun.create("tflite");
    run.accept(new CapturedTensor("in", "INPUT", 0, HostTensor.ofFloats(new int[] {2}, Layout.ANY, new float[] {1, 2})));
    run.accept(new CapturedTensor("y", "ADD", 2, HostTensor.ofFloats(new int[] {1}, Layout.ANY, new float[] {5})));
    run.accept(new CapturedTensor("in", "MUL", 3, HostTensor.ofFloats(new int[] {3}, Layout.ANY,
        new float[] {7, 8, 9})));
    dev.crossalign.backend.Activations acts = run.activations(java.util.List.of("y"));
    assertThat(acts.backend()).isEqualTo("tflite");
    assertThat(acts.outputNames()).containsExactly("y");
    // a name written again keeps its first place and its later tensor, as Activations.Builder does
    assertThat(acts.tensors()).extracting(CapturedTensor::name).containsExactly("in", "y");
    assertThat(acts.get("in").op()).isEqualTo("MUL");
    run.close();
    assertThat(acts.tensor("in").toFloatArray()).containsExactly(7, 8, 9);
    assertThat(acts.tensor("y").toFloatArray()).containsExactly(5);
  }

  /**
   * The oracle is the kernel's own count of the mapping's resident pages (/proc/self/smaps, the mapping found by the
   * view's address): reading a view maps its pages in, dropPages takes them out, and the data read afterwards is the
   * same (mapped back from the page cache).
   */
  @Test
  void droppedPagesLeaveTheProcessAndReadBackTheSame() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux"), "needs /proc");
    float[] values = new float[(8 << 20) / 4];
    Random rnd = new Random(11);
    for (int i = 0; i < values.length; i++) {
      values[i] = rnd.nextFloat();
    }
    try (SpilledRun run = SpilledRun.create("tflite")) {
      run.accept(new CapturedTensor("t", "CONV_2D", 1, HostTensor.ofFloats(new int[] {values.length}, Layout.ANY,
          values)));
      HostTensor view = run.activations(java.util.List.of("t")).tensor("t");
      long address = com.sun.jna.Pointer.nativeValue(com.sun.jna.Native.getDirectBufferPointer(view.data()));
      assertThat(view.toFloatArray()).isEqualTo(values);
      assertThat(residentKb(address)).as("pages read").isGreaterThanOrEqualTo(8 << 10);
      run.dropPages();
      assertThat(residentKb(address)).as("after dropPages").isZero();
      assertThat(view.toFloatArray()).isEqualTo(values);
      assertThat(residentKb(address)).as("read back").isGreaterThanOrEqualTo(8 << 10);
      for (long read = 0; read < SpilledRun.DROP_EVERY - (4 << 20); read += 4 << 20) {
        run.readAndDrop(4 << 20);
      }
      assertThat(residentKb(address)).as("below DROP_EVERY").isGreaterThanOrEqualTo(8 << 10);
      run.readAndDrop(4 << 20);
      assertThat(residentKb(address)).as("at DROP_EVERY").isZero();
    }
  }

  /** Rss of the mapping holding {@code address}, in kB, from /proc/self/smaps. */
  private static long residentKb(long address) throws Exception {
    boolean inside = false;
    for (String line : Files.readAllLines(Path.of("/proc/self/smaps"))) {
      if (line.matches("^[0-9a-f]+-[0-9a-f]+ .*")) {
        String[] range = line.substring(0, line.indexOf(' ')).split("-");
        inside = Long.parseUnsignedLong(range[0], 16) <= address && address < Long.parseUnsignedLong(range[1], 16);
      } else if (inside && line.startsWith("Rss:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new AssertionError("no mapping holds address " + Long.toHexString(address));
  }

  private static long held(Path tmp) throws Exception {
    try (Stream<Path> s = Files.list(tmp)) {
      return s.filter(p -> p.getFileName().toString().startsWith("crossalign-held-")).count();
    }
  }
}
