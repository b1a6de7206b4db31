package dev.crossalign.backend.tflite;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.tensor.HostTensor;
import dev.crossalign.testutil.TestModels;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;

/** 200 runs must not grow native memory: per-run temporaries die in their PointerScope. */
class TfliteBackendMemoryTest {

  static long vmRssBytes() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        String[] p = line.trim().split("\\s+");
        return Long.parseLong(p[1]) * 1024L; // kB
      }
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }

  static long heapCommitted() {
    MemoryUsage h = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    return h.getCommitted();
  }

  /** Code cache, metaspace: the JIT keeps compiling during the first few hundred runs. */
  static long nonHeapCommitted() {
    return ManagementFactory.getMemoryMXBean().getNonHeapMemoryUsage().getCommitted();
  }

  /**
   * RSS once the JVM has given back what it can: G1 uncommits heap concurrently after a GC, so one reading can carry
   * hundreds of MB of heap still on its way out. Take the lowest of readings until two in a row agree within 1 MB.
   */
  static long settledRss() throws IOException, InterruptedException {
    long best = Long.MAX_VALUE;
    long prev = -1;
    for (int i = 0; i < 30; i++) {
      System.gc();
      Thread.sleep(100);
      long now = vmRssBytes();
      best = Math.min(best, now);
      if (prev >= 0 && Math.abs(now - prev) < (1L << 20) && i >= 3) {
        break;
      }
      prev = now;
    }
    return best;
  }

  @Test
  void twoHundredRunsKeepRssFlat() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        Files.isReadable(Path.of("/proc/self/status")), "needs Linux /proc/self/status for VmRSS");
    byte[] model = TestModels.bytes(TestModels.SHORT_RANGE);
    try (TfliteBackend b = TfliteBackend.open(model, "short", TfliteOptions.defaults())) {
      Map<String, HostTensor> in = TfliteBackendTest.seededInput(b, 1);
      // Warm-up: JIT, glibc arenas and the heap's young regions reach their working size in the first few hundred runs
      // (measured: a one-off step of ~25 MB between runs 200 and 400, then flat to +1 MB over 2,000 runs).
      for (int i = 0; i < 500; i++) {
        b.run(in);
        b.executionPlan();
        b.info();
      }
      long rss0 = settledRss();
      long heap0 = heapCommitted();
      long nonHeap0 = nonHeapCommitted();
      long javacpp0 = Pointer.totalBytes();
      for (int i = 0; i < 200; i++) {
        assertThat(b.run(in).size()).isEqualTo(165);
        b.executionPlan();
        b.info();
      }
      long rss1 = settledRss();
      long heap1 = heapCommitted();
      long nonHeap1 = nonHeapCommitted();
      long javacpp1 = Pointer.totalBytes();
      // Heap, code cache and metaspace growth are the JVM's business, not a leak: take them out of the RSS delta.
      long nativeGrowth = (rss1 - rss0) - Math.max(0, heap1 - heap0) - Math.max(0, nonHeap1 - nonHeap0);
      System.out.printf(
          "200 runs: RSS %d -> %d MB, heap committed %d -> %d MB, non-heap %d -> %d MB, JavaCPP tracked %d -> %d"
              + " bytes, native growth %.1f MB%n",
          rss0 >> 20, rss1 >> 20, heap0 >> 20, heap1 >> 20, nonHeap0 >> 20, nonHeap1 >> 20, javacpp0, javacpp1,
          nativeGrowth / 1048576.0);
      assertThat(nativeGrowth).isLessThan(50L << 20);
      // JavaCPP's own count of live native allocations: nothing per run may survive its scope.
      assertThat(javacpp1 - javacpp0).isLessThan(64L * 1024);
    }
  }

  /** Each open builds an interpreter with a preserved arena of several MB: a missed free would show at once. */
  @Test
  void hundredOpenCloseCyclesKeepRssFlat() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        Files.isReadable(Path.of("/proc/self/status")), "needs Linux /proc/self/status for VmRSS");
    byte[] model = TestModels.bytes(TestModels.SHORT_RANGE);
    Map<String, HostTensor> in;
    try (TfliteBackend b = TfliteBackend.open(model, "short", TfliteOptions.defaults())) {
      in = TfliteBackendTest.seededInput(b, 1);
    }
    for (int i = 0; i < 20; i++) {
      try (TfliteBackend b = TfliteBackend.open(model, "short", TfliteOptions.defaults())) {
        b.run(in);
      }
    }
    long rss0 = settledRss();
    long javacpp0 = Pointer.totalBytes();
    for (int i = 0; i < 100; i++) {
      try (TfliteBackend b = TfliteBackend.open(model, "short", TfliteOptions.defaults())) {
        b.run(in);
      }
    }
    long rss1 = settledRss();
    System.out.printf("open/close x100: RSS %d -> %d MB, JavaCPP tracked %d -> %d bytes%n",
        rss0 >> 20, rss1 >> 20, javacpp0, Pointer.totalBytes());
    assertThat(rss1 - rss0).isLessThan(50L << 20);
    assertThat(Pointer.totalBytes()).isEqualTo(javacpp0);
  }
}
