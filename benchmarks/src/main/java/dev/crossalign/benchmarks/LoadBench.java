package dev.crossalign.benchmarks;

import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.backend.tflite.TfliteBackend;
import dev.crossalign.backend.tflite.TfliteOptions;
import dev.crossalign.engine.Reference;
import dev.crossalign.port.PortBackend;
import dev.crossalign.tflite.TfliteModel;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/** Model load: the pure-Java reader, the reader + TFLite interpreter, the reader + torch port preparation. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
public class LoadBench {
  @Param({"demo", "face_detection_short_range.tflite", "face_detection_full_range.tflite"})
  public String model;

  @Benchmark
  public TfliteModel read() {
    return Models.load(model);
  }

  @Benchmark
  public int openTflite() {
    try (TfliteBackend t = Reference.open(Models.load(model), TfliteOptions.defaults())) {
      return t.tensorCount();
    }
  }

  @Benchmark
  public int prepareTorch() {
    try (PortBackend p = PortBackend.open(Models.load(model), Device.CPU, DeterminismConfig.DETERMINISTIC)) {
      return p.unsupported().size();
    }
  }
}
