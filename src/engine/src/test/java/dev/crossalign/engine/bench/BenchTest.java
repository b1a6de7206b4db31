package dev.crossalign.engine.bench;

import dev.crossalign.engine.RunSpec;
import dev.crossalign.backend.BackendKind;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.crossalign.CrossalignException;
import dev.crossalign.backend.Device;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.engine.InputGenerator;
import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.onnx.OnnxValueInfo;
import dev.crossalign.port.PortBackend;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteModel;
import dev.crossalign.tflite.TfliteWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchTest {
  @TempDir Path dir;

  /** x[1,8,8,3] -> RELU -> ADD(x) -> y: two lowered ops. */
  private static byte[] tinyTflite() {
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, 1, 8, 8, 3);
    int r = w.tensor("r", TensorType.FLOAT32, 1, 8, 8, 3);
    int y = w.tensor("y", TensorType.FLOAT32, 1, 8, 8, 3);
    w.op(BuiltinOp.RELU, new OpOptions.None(), new int[] {x}, new int[] {r});
    w.op(BuiltinOp.ADD, new OpOptions.Arithmetic(11, dev.crossalign.tflite.Activation.NONE), new int[] {r, x}, new int[] {y});
    w.outputs(y);
    return w.build();
  }

  @Test
  void percentilesFollowNumpyLinearInterpolation() {
    double[] s = {10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
    BackendStats b = BackendStats.of("x", s);
    // numpy.percentile([1..10], [10, 50, 90]) = [1.9, 5.5, 9.1]
    assertThat(b.p10Ms()).isCloseTo(1.9, within(1e-12));
    assertThat(b.medianMs()).isCloseTo(5.5, within(1e-12));
    assertThat(b.p90Ms()).isCloseTo(9.1, within(1e-12));
    assertThat(b.runs()).isEqualTo(10);
    assertThat(BackendStats.of("one", new double[] {3}).p90Ms()).isEqualTo(3);
  }

  @Test
  void interleavedRunOfEveryBackendWithAHandBuiltOnnxModel() throws Exception {
    Path model = dir.resolve("tiny.tflite");
    Files.write(model, tinyTflite());
    Path onnx = dir.resolve("tiny.onnx");
    new OnnxGraphBuilder("tiny")
        .addInput("x", DType.FLOAT32, new int[] {1, 8, 8, 3})
        .addNode("Relu", List.of("x"), List.of("r"))
        .addNode("Add", List.of("r", "x"), List.of("y"))
        .addOutput("y", DType.FLOAT32, new int[] {1, 8, 8, 3})
        .build()
        .write(onnx);
    BenchResult r = Bench.run(new BenchRequest(model, List.of(BackendKind.TFLITE, BackendKind.TFLITE_XNNPACK,
        BackendKind.TORCH, BackendKind.ONNXRUNTIME), RunSpec.of(Device.CPU, 0, 1), 2, 7, onnx, true));
    assertThat(r.backends()).extracting(BackendStats::name)
        .containsExactly("tflite", "tflite-xnnpack", "torch", "onnxruntime");
    for (BackendStats s : r.backends()) {
      assertThat(s.runs()).isEqualTo(7);
      assertThat(s.p10Ms()).isPositive().isLessThanOrEqualTo(s.medianMs());
      assertThat(s.medianMs()).isLessThanOrEqualTo(s.p90Ms());
      // each run's CPU window encloses its wall window by a few calls: at one thread CPU <= wall, give or take them
      assertThat(s.cpuMedianMs()).isPositive().isLessThanOrEqualTo(s.medianMs() + 0.05);
    }
    assertThat(r.cpuRatios()).containsOnlyKeys("tflite", "torch", "onnxruntime");
    assertThat(r.cpuRatios().get("torch"))
        .isCloseTo(r.stats("torch").cpuMedianMs() / r.stats("tflite-xnnpack").cpuMedianMs(), within(1e-12));
    // the torch leg opened for latency: malloc keeps large buffers for the rest of the process, and bench says so
    String arenas = System.getenv("MALLOC_ARENA_MAX") == null || System.getenv("MALLOC_ARENA_MAX").isEmpty()
        ? "unset" : System.getenv("MALLOC_ARENA_MAX");
    if (System.getenv("GLIBC_TUNABLES") == null || !System.getenv("GLIBC_TUNABLES").contains("arena_max")) {
      String allocator = dev.crossalign.backend.NativeMemory.allocator();
      if (allocator.equals("glibc")) {
        assertThat(r.machine().get("malloc")).isEqualTo(
            "allocator=glibc, arena_max=" + arenas + ", mmap_threshold=33554432, trim_threshold=67108864");
        assertThat(r.notes()).anyMatch(n -> n.contains("glibc's malloc") && n.contains("CROSSALIGN_MALLOC"));
      } else {
        // a preloaded malloc keeps its own caches: glibc's settings would describe a malloc nobody calls
        assertThat(r.machine().get("malloc")).isEqualTo("allocator=" + allocator);
        assertThat(r.notes()).noneMatch(n -> n.contains("glibc's malloc"));
      }
    }
    // and which kernels OpenBLAS (libtorch's one-thread matmuls) runs, with the environment's pin if any
    String pin = System.getenv("OPENBLAS_CORETYPE");
    assertThat(r.machine().get("openblas")).matches("openblas=\\w+, openblas_nolapack=\\w+"
        + (pin == null ? "" : "; pinned by OPENBLAS_CORETYPE=" + java.util.regex.Pattern.quote(pin)));
    double x = r.stats("tflite-xnnpack").medianMs();
    assertThat(r.ratios()).containsOnlyKeys("tflite", "torch", "onnxruntime");
    assertThat(r.ratios().get("torch")).isCloseTo(r.stats("torch").medianMs() / x, within(1e-12));
    assertThat(r.portOps()).extracting(PortBackend.OpTime::op).containsExactly("RELU", "ADD");
    assertThat(r.portOps()).allMatch(o -> o.meanMs() > 0);
    // nothing skipped; a loaded machine may add noise notes (BackendStats.noiseNote), nothing else
    // and, when this JVM may have several malloc arenas, that a timed thread can fault its buffers in every run
    // and, under glibc's malloc, that a preloaded tcmalloc would serve libtorch's tensors for less
    assertThat(r.notes()).allMatch(n -> n.startsWith("noisy: ") || n.startsWith("glibc may give this process")
        || n.startsWith("the natives allocate through glibc's malloc"));
    boolean glibc = dev.crossalign.backend.NativeMemory.allocator().equals("glibc");
    assertThat(r.notes().stream().anyMatch(n -> n.startsWith("glibc may give")))
        .isEqualTo(glibc && !"1".equals(arenas));
    assertThat(r.machine().get("cores")).isEqualTo(Integer.toString(Runtime.getRuntime().availableProcessors()));

    Path json = dir.resolve("bench.json");
    r.writeJson(json);
    JsonNode n = new ObjectMapper().readTree(json.toFile());
    assertThat(n.get("backends")).hasSize(4);
    assertThat(n.get("backends").get(2).get("name").asText()).isEqualTo("torch");
    assertThat(n.get("backends").get(2).get("median_ms").asDouble()).isEqualTo(r.stats("torch").medianMs());
    assertThat(n.get("backends").get(2).get("cpu_median_ms").asDouble()).isEqualTo(r.stats("torch").cpuMedianMs());
    assertThat(n.get("cpu_ratios").get("torch").asDouble()).isEqualTo(r.cpuRatios().get("torch"));
    assertThat(n.get("ratios").get("onnxruntime").asDouble()).isEqualTo(r.ratios().get("onnxruntime"));
    assertThat(n.get("threads").asInt()).isEqualTo(1);
    assertThat(n.get("machine").get("java").asText()).startsWith(System.getProperty("java.version"));
    assertThat(n.get("torch_ops")).hasSize(2);
  }

  @Test
  void profileTimesEveryLoweredOpOfTheDemo() {
    TfliteModel m = TfliteModel.read(dev.crossalign.engine.DemoModel.bytes(), "demo");
    Map<String, HostTensor> in = InputGenerator.inputs(m, 0, -1, 1, Map.of());
    try (PortBackend port = PortBackend.open(m, Device.CPU, DeterminismConfig.DETERMINISTIC)) {
      List<PortBackend.OpTime> ops = port.profile(in, 2);
      // every op that runs each time: all but the fp16 weights' DEQUANTIZE, folded at prepare time
      List<Integer> live = m.main().operators().stream()
          .filter(o -> o.builtin() != BuiltinOp.DEQUANTIZE && o.builtin() != BuiltinOp.DENSIFY)
          .map(dev.crossalign.tflite.Operator::index).toList();
      assertThat(live).hasSizeLessThan(m.main().operators().size());
      assertThat(ops).extracting(PortBackend.OpTime::index).isEqualTo(live);
      assertThat(ops).allMatch(o -> o.meanMs() > 0);
      // profiling is off again: a plain run is unaffected and a second profile starts from zero
      assertThat(port.run(in, false).outputNames()).isNotEmpty();
      assertThat(port.profile(in, 1)).hasSize(ops.size());
    }
  }

  @Test
  void onnxInputsAreFedByNameOrByPosition() {
    HostTensor t = HostTensor.ofFloats(new int[] {1}, dev.crossalign.tensor.Layout.ANY, new float[] {1});
    Map<String, HostTensor> in = Map.of("x", t);
    assertThat(Bench.feeds(List.of(new OnnxValueInfo("x", 1, List.of(1L))), in)).containsEntry("x", t);
    assertThat(Bench.feeds(List.of(new OnnxValueInfo("input_0", 1, List.of(1L))), in)).containsEntry("input_0", t);
  }

  @Test
  void onnxruntimeWithoutAModelIsSkippedWithANote() throws Exception {
    Path model = dir.resolve("tiny.tflite");
    Files.write(model, tinyTflite());
    boolean exporter;
    try {
      Class.forName(OnnxSource.EXPORTER);
      exporter = true;
    } catch (ClassNotFoundException e) {
      exporter = false;
    }
    BenchResult r = Bench.run(new BenchRequest(model, List.of(BackendKind.TORCH, BackendKind.ONNXRUNTIME),
        RunSpec.of(Device.CPU, 0, 1), 0, 2, null, false));
    if (exporter) {
      assertThat(r.backends()).extracting(BackendStats::name).containsExactly("torch", "onnxruntime");
    } else {
      assertThat(r.backends()).extracting(BackendStats::name).containsExactly("torch");
      assertThat(r.notes()).anyMatch(s -> s.contains("exporter"));
    }
    assertThat(r.ratios()).isEmpty(); // no tflite-xnnpack to compare against
  }

  @Test
  void badRequestsAreInputErrors() {
    assertThatThrownBy(() -> BackendKind.parse("tensorrt", BackendKind.Use.BENCH))
        .isInstanceOf(CrossalignException.class).hasMessageContaining("tensorrt")
        .hasMessageContaining("[tflite, tflite-xnnpack, torch, torch-xnnpack, onnxruntime]");
    assertThatThrownBy(() -> new BenchRequest(null, List.of(BackendKind.TFLITE, BackendKind.CUDNN),
        RunSpec.of(Device.CPU, 0, 1), 1, 1, null, false))
        .isInstanceOf(CrossalignException.class).hasMessageContaining("unknown bench backend 'cudnn'");
    assertThatThrownBy(() -> new BenchRequest(null, List.of(BackendKind.TORCH), RunSpec.of(Device.CPU, 0, 0), 1, 1,
        null, false))
        .isInstanceOf(CrossalignException.class).hasMessageContaining("--threads");
    assertThatThrownBy(() -> new BenchRequest(null, List.of(BackendKind.TORCH, BackendKind.TORCH),
        RunSpec.of(Device.CPU, 0, 1), 1, 1, null, false))
        .isInstanceOf(CrossalignException.class).hasMessageContaining("twice");
  }
}
