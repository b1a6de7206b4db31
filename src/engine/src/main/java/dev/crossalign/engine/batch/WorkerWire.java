package dev.crossalign.engine.batch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The line protocol between a batch and its worker processes, one JSON document per line. The batch writes the
 * {@link BatchOptions} once, then one {@link ManifestRow} per line; the worker answers each row with one line
 * {@code MARKER + RowResult JSON}. Lines without the marker (a native library printing to stdout) are not answers.
 */
final class WorkerWire {
  /** Starts every answer line; the batch looks for it anywhere in a line, in case native output left a partial line. */
  static final String MARKER = "@@crossalign-row ";

  private static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private WorkerWire() {}

  static String options(BatchOptions o) {
    try {
      return JSON.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  static BatchOptions options(String line) throws JsonProcessingException {
    return JSON.readValue(line, BatchOptions.class);
  }

  /** A row, and whether the worker keeps its model open after it (see {@link RowRunner#run}). */
  static String row(ManifestRow r, boolean keepModel) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("row", r.row());
    m.put("model", r.model() == null ? null : r.model().toString());
    m.put("seed", r.seed());
    m.put("input", r.input());
    m.put("atol", r.atol());
    m.put("rtol", r.rtol());
    m.put("backends", r.backends());
    m.put("keep_model", keepModel);
    try {
      return JSON.writeValueAsString(m);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  static ManifestRow row(String line) throws JsonProcessingException {
    JsonNode n = JSON.readTree(line);
    List<String> backends = null;
    if (n.path("backends").isArray()) {
      backends = new ArrayList<>();
      for (JsonNode b : n.get("backends")) {
        backends.add(b.asText());
      }
    }
    return new ManifestRow(n.get("row").asInt(), text(n, "model") == null ? null : Path.of(text(n, "model")),
        n.get("seed").asLong(), text(n, "input"), number(n, "atol"), number(n, "rtol"), backends);
  }

  /** Whether a row line asks the worker to keep the row's model open after it (absent: keep). */
  static boolean keepModel(String line) throws JsonProcessingException {
    return JSON.readTree(line).path("keep_model").asBoolean(true);
  }

  private static String text(JsonNode n, String f) {
    return n.path(f).isTextual() ? n.get(f).asText() : null;
  }

  private static Double number(JsonNode n, String f) {
    return n.path(f).isNumber() ? n.get(f).asDouble() : null;
  }

  /** The answer in a line of the worker's stdout, or null when the line holds none. */
  static String answer(String line) {
    int at = line.indexOf(MARKER);
    return at < 0 ? null : line.substring(at + MARKER.length());
  }
}
