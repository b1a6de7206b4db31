package dev.crossalign.engine.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.crossalign.port.PortBackend;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a benchmark measured: per-backend latency, each backend's median over tflite-xnnpack's (above 1 = slower than
 * XNNPACK; absent when XNNPACK was not run), the machine, the threads, notes (skipped backends), and the torch port's
 * per-op profile when asked for.
 */
public record BenchResult(
    String model,
    List<BackendStats> backends,
    Map<String, Double> ratios,
    Map<String, String> machine,
    int threads,
    int warmup,
    List<String> notes,
    List<PortBackend.OpTime> portOps) {
  /** The bench document's mapper. */
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public BenchResult {
    backends = List.copyOf(backends);
    ratios = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(ratios));
    machine = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(machine));
    notes = List.copyOf(notes);
    portOps = portOps == null ? List.of() : List.copyOf(portOps);
  }

  public BackendStats stats(String name) {
    return backends.stream().filter(b -> b.name().equals(name)).findFirst().orElse(null);
  }

  public String toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("model", model);
    List<Map<String, Object>> bs = new ArrayList<>();
    for (BackendStats b : backends) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("name", b.name());
      e.put("median_ms", b.medianMs());
      e.put("p10_ms", b.p10Ms());
      e.put("p90_ms", b.p90Ms());
      e.put("runs", b.runs());
      e.put("p90_over_p10", b.spread());
      e.put("cpu_median_ms", Double.isNaN(b.cpuMedianMs()) ? null : b.cpuMedianMs());
      bs.add(e);
    }
    m.put("backends", bs);
    m.put("ratios", ratios);
    m.put("ratios_against", dev.crossalign.backend.BackendKind.TFLITE_XNNPACK.id());
    m.put("cpu_ratios", cpuRatios());
    m.put("machine", machine);
    m.put("threads", threads);
    m.put("warmup", warmup);
    m.put("notes", notes);
    if (!portOps.isEmpty()) {
      List<Map<String, Object>> ops = new ArrayList<>();
      for (PortBackend.OpTime o : portOps) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("index", o.index());
        e.put("op", o.op());
        e.put("output", o.output());
        e.put("mean_ms", o.meanMs());
        ops.add(e);
      }
      m.put("torch_ops", ops);
    }
    try {
      return JSON.writeValueAsString(m);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Each backend's median CPU time over tflite-xnnpack's (the bench thread's CPU per run: at one thread, the ratio of
   * work, which a busy machine moves far less than the wall ratio); empty without XNNPACK or CPU times.
   */
  public Map<String, Double> cpuRatios() {
    Map<String, Double> out = new LinkedHashMap<>();
    BackendStats x = stats(dev.crossalign.backend.BackendKind.TFLITE_XNNPACK.id());
    if (x != null && !Double.isNaN(x.cpuMedianMs())) {
      for (BackendStats b : backends) {
        if (b != x && !Double.isNaN(b.cpuMedianMs())) {
          out.put(b.name(), b.cpuMedianMs() / x.cpuMedianMs());
        }
      }
    }
    return out;
  }

  public void writeJson(Path file) {
    dev.crossalign.tensor.AtomicFiles.write(file, (toJson() + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }
}
