package dev.crossalign.benchmarks;

import dev.crossalign.backend.Backend;
import dev.crossalign.backend.BackendKind;
import dev.crossalign.backend.BackendSpec;
import dev.crossalign.backend.Backends;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.backend.tflite.TfliteOptions;
import dev.crossalign.engine.InputGenerator;
import dev.crossalign.engine.Reference;
import dev.crossalign.port.PortBackend;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tflite.TfliteModel;
import java.util.Map;
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
import org.openjdk.jmh.annotations.TearDown;

/**
 * One inference per call, one thread per backend, each opened through its provider: tflite is the reference
 * interpreter as validate runs it (builtin kernels, every tensor preserved and copied out), tflite-xnnpack the XNNPACK
 * delegate (outputs only), torch the port (outputs only).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
public class InferenceBench {
  @Param({"demo", "face_detection_short_range.tflite", "face_detection_full_range.tflite"})
  public String model;

  @Param({BackendKind.Ids.TFLITE, BackendKind.Ids.TFLITE_XNNPACK, BackendKind.Ids.TORCH})
  public String backend;

  private Backend opened;
  /** The port's outputs-only run; null for the interpreters. */
  private PortBackend port;
  private Map<String, HostTensor> inputs;

  @Setup(Level.Trial)
  public void open() {
    TfliteModel m = Models.load(model);
    inputs = InputGenerator.inputs(m, 0, -1, 1, Map.of());
    BackendKind kind = BackendKind.byId(backend);
    if (kind == null) {
      throw new IllegalArgumentException(backend);
    }
    opened = switch (kind) {
      case TFLITE -> Reference.open(m, TfliteOptions.defaults());
      case TFLITE_XNNPACK -> Reference.open(m, TfliteOptions.defaults().withDelegate(TfliteOptions.Delegate.XNNPACK));
      case TORCH -> Backends.open(kind, new BackendSpec(m, null, Device.CPU, DeterminismConfig.DETERMINISTIC,
          BackendSpec.Purpose.LATENCY));
      default -> throw new IllegalArgumentException(backend);
    };
    port = opened instanceof PortBackend p ? p : null;
  }

  @Benchmark
  public Object infer() {
    return port != null ? port.run(inputs, false) : opened.run(inputs);
  }

  @TearDown(Level.Trial)
  public void close() {
    if (opened != null) {
      opened.close();
    }
  }
}
