package dev.crossalign.engine.batch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.crossalign.align.AlignmentResult;
import dev.crossalign.align.Comparison;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One finished batch row, as one JSON line: row, model, seed, verdict (aligned, misaligned, incomplete, error,
 * crashed, timeout), exit_status (0 aligned, 1 misaligned, 2 unusable input, crashed or timed out, 3 unsupported ops),
 * max_rel_l2 (over compared tensors; null when none), first_divergence (null or {tensor, op, pair, mode}: the field
 * names of validate's JSON), tensors_compared, error (one line or null), crash (null, or how the row's worker process
 * died), timing_ms, cpu_ms (the worker process's user + system CPU time over the row, all its threads; null where it is
 * not the row's alone: thread isolation, a crashed or timed-out row), unsupported ([{op, count, reason}]: why a row is
 * incomplete).
 */
public record RowResult(
    int row,
    String model,
    long seed,
    String verdict,
    int exitStatus,
    Double maxRelL2,
    Map<String, String> firstDivergence,
    int tensorsCompared,
    String error,
    Crash crash,
    SortedMap<String, Double> timingMs,
    java.util.List<dev.crossalign.UnsupportedOp> unsupported,
    Double cpuMs) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Verdicts of rows whose worker process did not answer: rerun on resume only with --retry-crashed. */
  public static final String CRASHED = "crashed";

  public static final String TIMEOUT = "timeout";

  /**
   * How a row's worker process ended.
   *
   * @param exitCode the process's exit status as Java reports it (128 + N when killed by signal N; a JVM that dies of
   *     a native fault aborts: 134)
   * @param signal the signal that ended the process ("SIGKILL"...), or the fatal signal the JVM reported before it
   *     exited ("SIGSEGV"), or null when it exited by itself
   * @param fault what the JVM's crash log says of the fault, e.g. "SIGSEGV (0xb) in libtensorflowlite_jni.so+0x1a2b3",
   *     or null when there is no crash log
   */
  public record Crash(int exitCode, String signal, String fault) {}

  public RowResult {
    unsupported = unsupported == null ? java.util.List.of() : java.util.List.copyOf(unsupported);
  }

  /** A row with no unsupported ops and no crash. */
  public RowResult(int row, String model, long seed, String verdict, int exitStatus, Double maxRelL2,
      Map<String, String> firstDivergence, int tensorsCompared, String error, SortedMap<String, Double> timingMs) {
    this(row, model, seed, verdict, exitStatus, maxRelL2, firstDivergence, tensorsCompared, error, null, timingMs,
        java.util.List.of(), null);
  }

  /** A row with no unsupported ops. */
  public RowResult(int row, String model, long seed, String verdict, int exitStatus, Double maxRelL2,
      Map<String, String> firstDivergence, int tensorsCompared, String error, Crash crash,
      SortedMap<String, Double> timingMs) {
    this(row, model, seed, verdict, exitStatus, maxRelL2, firstDivergence, tensorsCompared, error, crash, timingMs,
        java.util.List.of(), null);
  }

  /** This row with the worker process's CPU time over it (ms, user + system, every thread). */
  RowResult withCpuMs(double ms) {
    return new RowResult(row, model, seed, verdict, exitStatus, maxRelL2, firstDivergence, tensorsCompared, error,
        crash, timingMs, unsupported, ms);
  }

  /** The row's wall time in its worker ({@code timing_ms.total}), or NaN when the line has none. */
  public double wallMs() {
    Double t = timingMs == null ? null : timingMs.get("total");
    return t == null ? Double.NaN : t;
  }

  /** True for a row whose worker died or was killed for taking too long. */
  public boolean crashedOrTimedOut() {
    return CRASHED.equals(verdict) || TIMEOUT.equals(verdict);
  }

  /**
   * Why the row is not aligned, in one line for the batch summary ("misaligned at 'conv' (tflite~torch chained)",
   * "incomplete: unsupported CUSTOM x1 (reason)", "crashed (exit 2): ..."); null for an aligned row.
   */
  public String problem() {
    if (exitStatus == 0) {
      return null;
    }
    if (error != null) {
      return verdict + " (exit " + exitStatus + "): " + error;
    }
    StringBuilder sb = new StringBuilder(verdict);
    if (firstDivergence != null) {
      sb.append(" at '").append(firstDivergence.get("tensor")).append("' (").append(firstDivergence.get("pair"))
          .append(' ').append(firstDivergence.get("mode")).append(')');
    }
    if (!unsupported.isEmpty()) {
      sb.append(firstDivergence != null ? "; " : ": ").append("unsupported ");
      sb.append(String.join(", ", unsupported.stream().map(u -> u.op() + " x" + u.count() + " (" + u.reason() + ")")
          .toList()));
    }
    return sb.toString();
  }

  public String key() {
    return ManifestRow.key(row, model, seed);
  }

  static RowResult of(ManifestRow r, AlignmentResult result, Map<String, Double> timing) {
    double max = Double.NaN;
    int compared = 0;
    for (Comparison c : result.comparisons()) {
      if (c.status() == Comparison.Status.COMPARED) {
        compared++;
        double v = c.metrics().relL2();
        if (!Double.isNaN(v) && (Double.isNaN(max) || v > max)) {
          max = v; // a NaN rel_l2 (no finite pair) is not a maximum; its comparison fails and says so
        }
      }
    }
    Map<String, String> first = null;
    Comparison f = result.firstDivergence();
    if (f != null) {
      first = new LinkedHashMap<>();
      first.put("tensor", f.name());
      first.put("op", f.op());
      first.put("pair", f.pair());
      first.put("mode", f.mode().name().toLowerCase(java.util.Locale.ROOT));
    }
    int status = switch (result.verdict()) {
      case ALIGNED -> 0;
      case MISALIGNED -> 1;
      case INCOMPLETE -> 3;
    };
    return new RowResult(r.row(), r.modelLabel(), r.seed(), result.verdict().name().toLowerCase(java.util.Locale.ROOT),
        status, compared == 0 || Double.isNaN(max) ? null : max, first, compared, null, null, new TreeMap<>(timing),
        result.unsupported(), null);
  }

  static RowResult error(ManifestRow r, int status, String message, Map<String, Double> timing) {
    return new RowResult(r.row(), r.modelLabel(), r.seed(), "error", status, null, null, 0, oneLine(message),
        new TreeMap<>(timing));
  }

  /** A row whose worker process died while running it (exit status 2: the row's input could not be validated). */
  static RowResult crashed(ManifestRow r, Crash crash, String message, double totalMs) {
    TreeMap<String, Double> timing = new TreeMap<>();
    timing.put("total", totalMs);
    return new RowResult(r.row(), r.modelLabel(), r.seed(), CRASHED, 2, null, null, 0, oneLine(message), crash,
        timing);
  }

  /** A row that ran past the row timeout; its worker was killed (exit status 2). */
  static RowResult timedOut(ManifestRow r, double timeoutS, double totalMs) {
    TreeMap<String, Double> timing = new TreeMap<>();
    timing.put("total", totalMs);
    return new RowResult(r.row(), r.modelLabel(), r.seed(), TIMEOUT, 2, null, null, 0,
        String.format(java.util.Locale.ROOT, "row timed out after %.0f s (--row-timeout); its worker was killed",
            timeoutS), null, timing);
  }

  static String oneLine(String s) {
    return s == null ? "unknown error" : s.replace('\r', ' ').replace('\n', ' ');
  }

  /** The JSON line, without its newline. */
  public String toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("row", row);
    m.put("model", model);
    m.put("seed", seed);
    m.put("verdict", verdict);
    m.put("exit_status", exitStatus);
    m.put("max_rel_l2", maxRelL2);
    m.put("first_divergence", firstDivergence);
    m.put("tensors_compared", tensorsCompared);
    m.put("error", error);
    if (crash == null) {
      m.put("crash", null);
    } else {
      Map<String, Object> c = new LinkedHashMap<>();
      c.put("exit_code", crash.exitCode());
      c.put("signal", crash.signal());
      c.put("fault", crash.fault());
      m.put("crash", c);
    }
    m.put("timing_ms", timingMs);
    m.put("cpu_ms", cpuMs);
    java.util.List<Map<String, Object>> ops = new java.util.ArrayList<>();
    for (dev.crossalign.UnsupportedOp u : unsupported) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("op", u.op());
      o.put("count", u.count());
      o.put("reason", u.reason());
      ops.add(o);
    }
    m.put("unsupported", ops);
    try {
      return JSON.writeValueAsString(m);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** "row 12 face.tflite: aligned" from a result line, or "" when it is not one. */
  public static String label(String line) {
    try {
      JsonNode n = JSON.readTree(line);
      return "row " + n.path("row").asText() + " " + n.path("model").asText() + ": " + n.path("verdict").asText();
    } catch (JsonProcessingException e) {
      return "";
    }
  }

  /**
   * Reads a line written by {@link #toJson}: the fields resume and summaries need (row, model, seed, verdict, status,
   * first divergence, error, crash, timing_ms, cpu_ms, unsupported), not max_rel_l2.
   */
  static RowResult parse(String line) throws JsonProcessingException {
    JsonNode n = JSON.readTree(line);
    if (n == null || !n.has("row") || !n.has("model") || !n.has("seed") || !n.has("exit_status")) {
      throw new com.fasterxml.jackson.core.JsonParseException(null, "not a batch result line");
    }
    Map<String, String> first = null;
    if (n.path("first_divergence").isObject()) {
      first = new LinkedHashMap<>();
      for (String k : java.util.List.of("tensor", "op", "pair", "mode")) {
        first.put(k, n.path("first_divergence").path(k).asText());
      }
    }
    java.util.List<dev.crossalign.UnsupportedOp> ops = new java.util.ArrayList<>();
    for (JsonNode u : n.path("unsupported")) {
      ops.add(new dev.crossalign.UnsupportedOp(u.path("op").asText(), u.path("count").asInt(),
          u.path("reason").asText()));
    }
    return new RowResult(n.get("row").asInt(), n.get("model").asText(), n.get("seed").asLong(),
        n.path("verdict").asText(), n.get("exit_status").asInt(), null, first, n.path("tensors_compared").asInt(),
        n.path("error").isNull() || n.path("error").isMissingNode() ? null : n.path("error").asText(),
        crash(n.path("crash")), timing(n.path("timing_ms")), ops,
        n.path("cpu_ms").isNumber() ? n.get("cpu_ms").asDouble() : null);
  }

  private static TreeMap<String, Double> timing(JsonNode t) {
    TreeMap<String, Double> m = new TreeMap<>();
    t.fields().forEachRemaining(e -> {
      if (e.getValue().isNumber()) {
        m.put(e.getKey(), e.getValue().asDouble());
      }
    });
    return m;
  }

  private static Crash crash(JsonNode c) {
    return c.isObject()
        ? new Crash(c.path("exit_code").asInt(), c.path("signal").isTextual() ? c.get("signal").asText() : null,
            c.path("fault").isTextual() ? c.get("fault").asText() : null)
        : null;
  }
}
