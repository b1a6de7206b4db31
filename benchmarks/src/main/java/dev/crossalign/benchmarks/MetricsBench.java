package dev.crossalign.benchmarks;

import dev.crossalign.align.Metrics;
import dev.crossalign.align.Tolerance;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Metrics.of over two 16M-float tensors (2 x 64 MiB read per call): GB/s = 2 * 4 * 16M / 1e9 / (seconds per call).
 * "random" values make the distinct-value counters saturate; "few" has 256 distinct values.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx3g"})
public class MetricsBench {
  public static final int N = 16 * 1024 * 1024;

  @Param({"random", "few"})
  public String values;

  private HostTensor ref;
  private HostTensor cand;

  @Setup(Level.Trial)
  public void make() {
    SplittableRandom r = new SplittableRandom(1);
    float[] a = new float[N];
    float[] b = new float[N];
    for (int i = 0; i < N; i++) {
      a[i] = values.equals("few") ? (r.nextInt(256) - 128) / 16f : (float) r.nextDouble(-1, 1);
      b[i] = a[i] + (float) (r.nextDouble(-1, 1) * 1e-6);
    }
    int[] shape = {16, 1024, 1024};
    ref = HostTensor.ofFloats(shape, Layout.ANY, a);
    cand = HostTensor.ofFloats(shape, Layout.ANY, b);
  }

  @Benchmark
  public Metrics metrics() {
    return Metrics.of(ref, cand, Tolerance.DEFAULT);
  }
}
