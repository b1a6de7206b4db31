package dev.crossalign.report;

import dev.crossalign.tensor.AtomicFiles;
import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.crossalign.CrossalignException;
import dev.crossalign.align.AlignmentResult;
import dev.crossalign.align.Comparison;
import dev.crossalign.align.ErrorScale;
import dev.crossalign.align.Mode;
import dev.crossalign.align.Metrics;
import dev.crossalign.UnsupportedOp;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * The machine-readable report. Schema (every key always present, in this order):
 *
 * <pre>
 * { "verdict": "aligned" | "misaligned" | "incomplete",
 *   "model": str, "device": str, "seed": int,
 *   "tolerance": {"atol": num, "rtol": num, "atol_scaled_by_max_abs_ref": bool, "accept_nonfinite": bool},
 *   "backends": [str, ...],                       // reference first
 *   "first_divergence": null | {"tensor": str, "pair": str, "mode": "chained" | "isolated" | "weights"},
 *   "counts": {"comparisons": int, "failing": int, "nonfinite": int, "nonfinite_failing": int},
 *   "comparison_counts": {pair: {"chained": int, "isolated": int, "weights": int}},  // modes present only
 *   "tensors": [ {"name", "op", "index", "shape": [int...],
 *                 "comparisons": [ {"pair", "mode", "max_abs", "mean_abs", "rel_l2", "cosine", "mean_ref",
 *                                   "mean_cand", "mean_diff", "sum_diff", "min_ref", "max_ref", "min_cand",
 *                                   "max_cand", "nan_ref", "nan_cand", "inf_ref", "inf_cand",
 *                                   "first_nonfinite_ref", "first_nonfinite_cand" (flat index, -1: none), "distinct_ref",
 *                                   "distinct_cand" (null: not counted, a passing continuous tensor), "permutation": null | [int...],
 *                                   "status": "compared" | "shape_mismatch" | "missing",
 *                                   "zero_reference": bool, "pass": bool} ]} ],
 *   "unsupported": [ {"op", "count", "reason"} ],
 *   "notes": [str, ...],
 *   "truth": null | {...},                         // the float64 truth (validate --truth / --tolerance auto): TruthJson
 *   "config": {str: str},                          // keys sorted
 *   "timing_ms": {str: num} }                      // keys sorted; the only non-deterministic values
 * </pre>
 *
 * Conventions: tensors are in the reference's topological order (index ascending, unknown index last), each with its
 * comparisons in the order the result lists them. When a comparison's status is not "compared", its metric fields are
 * null and "pass" is false. A non-finite double (NaN, +-Infinity) is written as null: with {@link Metrics}' rules
 * that happens only for a mean/min/max over no finite element (the nan/inf counts say why) or an overflow of a
 * float64 sum. A distinct count equal to {@value Metrics#DISTINCT_CAP} means "that many or more". Doubles are written
 * with {@link Double#toString}, so one result always gives the same bytes; the writer uses "\n" line ends and
 * two-space indents on every platform.
 */
public final class JsonReport {
  private static final JsonFactory FACTORY = new JsonFactory();
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private JsonReport() {}

  /** The report as text with {@code value} added under {@code key} after the report's own fields (compare's matching). */
  public static String toJson(AlignmentResult result, String key, JsonNode value) {
    try {
      com.fasterxml.jackson.databind.node.ObjectNode root =
          (com.fasterxml.jackson.databind.node.ObjectNode) MAPPER.readTree(toJson(result));
      root.set(key, value);
      return MAPPER.writer(prettyPrinter()).writeValueAsString(root) + "\n";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Two-space indents, "\n" line ends and "key": value spacing on every platform. */
  private static DefaultPrettyPrinter prettyPrinter() {
    DefaultIndenter indenter = new DefaultIndenter("  ", "\n");
    return new DefaultPrettyPrinter(
        Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER))
        .withObjectIndenter(indenter)
        .withArrayIndenter(indenter);
  }

  /** Writes the report to {@code out} (UTF-8); flushes and leaves the stream open. */
  public static void write(AlignmentResult result, OutputStream out) throws IOException {
    try (JsonGenerator g = FACTORY.createGenerator(out, JsonEncoding.UTF8)) {
      g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
      g.setPrettyPrinter(prettyPrinter());
      writeResult(g, result);
      g.writeRaw('\n');
      g.flush();
    }
  }

  /**
   * Writes the report to {@code target} atomically: into a temporary file in the same directory, then moved over the
   * target, so a reader never sees a partial file and a failure leaves any earlier file untouched.
   *
   * @throws CrossalignException (INPUT) when the file cannot be written, with the path and the reason
   */
  public static void write(AlignmentResult result, Path target) {
    writeAtomically(target, out -> write(result, out));
  }

  /** The report as a string, exactly the bytes {@link #write(AlignmentResult, OutputStream)} writes. */
  public static String toJson(AlignmentResult result) {
    java.io.ByteArrayOutputStream bos = new java.io.ByteArrayOutputStream();
    try {
      write(result, bos);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bos.toString(java.nio.charset.StandardCharsets.UTF_8);
  }

  /** Reads a report back as a tree. */
  public static JsonNode read(Path path) {
    try {
      return MAPPER.readTree(path.toFile());
    } catch (IOException e) {
      throw CrossalignException.input("cannot read JSON report " + path + ": " + oneLine(e));
    }
  }

  /** Through {@link AtomicFiles}, into a directory that must exist (a report does not create folders). */
  static void writeAtomically(Path target, AtomicFiles.Body body) {
    Path abs = target.toAbsolutePath();
    Path dir = abs.getParent();
    if (dir == null || !Files.isDirectory(dir)) {
      throw CrossalignException.input("cannot write " + target + ": directory " + dir + " does not exist");
    }
    AtomicFiles.replace(abs, body);
  }

  private static String oneLine(IOException e) {
    String what = e instanceof NoSuchFileException ? "no such file or directory"
        : e.getClass().getSimpleName().replace("Exception", "");
    String msg = e.getMessage();
    return msg == null ? what : (what + " (" + msg.replace('\n', ' ') + ")");
  }

  /** The report's members in schema order, one writer per member or group of members. */
  private static void writeResult(JsonGenerator g, AlignmentResult r) throws IOException {
    g.writeStartObject();
    writeRun(g, r);
    writeCounts(g, r);
    writeComparisonCounts(g, r);
    writeTensors(g, r);
    writeUnsupported(g, r);
    g.writeArrayFieldStart("notes");
    for (String n : r.notes()) {
      g.writeString(n);
    }
    g.writeEndArray();
    TruthJson.write(g, r);
    g.writeObjectFieldStart("config");
    for (Map.Entry<String, String> e : r.config().entrySet()) {
      g.writeStringField(e.getKey(), e.getValue());
    }
    g.writeEndObject();
    g.writeObjectFieldStart("timing_ms");
    for (Map.Entry<String, Double> e : r.timingMs().entrySet()) {
      number(g, e.getKey(), e.getValue());
    }
    g.writeEndObject();
    g.writeEndObject();
  }

  /** What was run and how it was judged: verdict, model, device, seed, tolerance, backends, first divergence. */
  private static void writeRun(JsonGenerator g, AlignmentResult r) throws IOException {
    g.writeStringField("verdict", r.verdict().jsonName());
    g.writeStringField("model", r.model());
    g.writeStringField("device", r.device());
    g.writeNumberField("seed", r.seed());
    g.writeObjectFieldStart("tolerance");
    number(g, "atol", r.tolerance().atol());
    number(g, "rtol", r.tolerance().rtol());
    g.writeBooleanField("atol_scaled_by_max_abs_ref", r.tolerance().scaleAtol());
    g.writeBooleanField("accept_nonfinite", r.tolerance().acceptNonFinite());
    g.writeEndObject();
    g.writeArrayFieldStart("backends");
    for (String b : r.backends()) {
      g.writeString(b);
    }
    g.writeEndArray();
    Comparison fd = r.firstDivergence();
    if (fd == null) {
      g.writeNullField("first_divergence");
    } else {
      g.writeObjectFieldStart("first_divergence");
      g.writeStringField("tensor", fd.name());
      g.writeStringField("pair", fd.pair());
      g.writeStringField("mode", fd.mode().jsonName());
      g.writeEndObject();
    }
  }

  /** The comparisons made (status compared), per pair and mode: what the verdict line counts. */
  private static void writeComparisonCounts(JsonGenerator g, AlignmentResult r) throws IOException {
    g.writeObjectFieldStart("comparison_counts");
    for (Map.Entry<String, Map<Mode, Integer>> e : r.counts().byPair().entrySet()) {
      g.writeObjectFieldStart(e.getKey());
      for (Map.Entry<Mode, Integer> m : e.getValue().entrySet()) {
        g.writeNumberField(m.getKey().jsonName(), m.getValue());
      }
      g.writeEndObject();
    }
    g.writeEndObject();
  }

  /** One object per tensor, in the reference's topological order, with its comparisons. */
  private static void writeTensors(JsonGenerator g, AlignmentResult r) throws IOException {
    g.writeArrayFieldStart("tensors");
    for (List<Comparison> group : byTensor(r.comparisons())) {
      Comparison head = group.get(0);
      g.writeStartObject();
      g.writeStringField("name", head.name());
      g.writeStringField("op", head.op());
      g.writeNumberField("index", head.index());
      g.writeFieldName("shape");
      intArray(g, head.shape());
      g.writeArrayFieldStart("comparisons");
      for (Comparison c : group) {
        writeComparison(g, c);
      }
      g.writeEndArray();
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  private static void writeUnsupported(JsonGenerator g, AlignmentResult r) throws IOException {
    g.writeArrayFieldStart("unsupported");
    for (UnsupportedOp u : r.unsupported()) {
      g.writeStartObject();
      g.writeStringField("op", u.op());
      g.writeNumberField("count", u.count());
      g.writeStringField("reason", u.reason());
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  /** The headline's numbers: comparisons, failing ones, and those with NaN/Inf (failing unless accepted). */
  private static void writeCounts(JsonGenerator g, AlignmentResult r) throws IOException {
    long failing = 0;
    long nonFinite = 0;
    long nonFiniteFailing = 0;
    for (Comparison c : r.comparisons()) {
      boolean nf = c.metrics() != null && c.metrics().hasNonFinite();
      failing += c.passed() ? 0 : 1;
      nonFinite += nf ? 1 : 0;
      nonFiniteFailing += nf && !c.passed() ? 1 : 0;
    }
    g.writeObjectFieldStart("counts");
    g.writeNumberField("comparisons", r.comparisons().size());
    g.writeNumberField("failing", failing);
    g.writeNumberField("nonfinite", nonFinite);
    g.writeNumberField("nonfinite_failing", nonFiniteFailing);
    g.writeEndObject();
  }

  private static void writeComparison(JsonGenerator g, Comparison c) throws IOException {
    Metrics m = c.metrics();
    g.writeStartObject();
    g.writeStringField("pair", c.pair());
    g.writeStringField("mode", c.mode().jsonName());
    if (m == null) {
      for (String k : List.of("max_abs", "mean_abs", "rel_l2", "cosine", "mean_ref", "mean_cand", "mean_diff",
          "sum_diff", "min_ref", "max_ref", "min_cand", "max_cand", "nan_ref", "nan_cand", "inf_ref", "inf_cand",
          "first_nonfinite_ref", "first_nonfinite_cand", "distinct_ref", "distinct_cand")) {
        g.writeNullField(k);
      }
    } else {
      number(g, "max_abs", m.maxAbs());
      number(g, "mean_abs", m.meanAbs());
      number(g, "rel_l2", m.relL2());
      number(g, "cosine", m.cosine());
      number(g, "mean_ref", m.meanRef());
      number(g, "mean_cand", m.meanCand());
      number(g, "mean_diff", m.meanDiff());
      number(g, "sum_diff", m.sumDiff());
      number(g, "min_ref", m.minRef());
      number(g, "max_ref", m.maxRef());
      number(g, "min_cand", m.minCand());
      number(g, "max_cand", m.maxCand());
      g.writeNumberField("nan_ref", m.nanRef());
      g.writeNumberField("nan_cand", m.nanCand());
      g.writeNumberField("inf_ref", m.infRef());
      g.writeNumberField("inf_cand", m.infCand());
      g.writeNumberField("first_nonfinite_ref", m.firstNonFiniteRef());
      g.writeNumberField("first_nonfinite_cand", m.firstNonFiniteCand());
      distinct(g, "distinct_ref", m.distinctRef());
      distinct(g, "distinct_cand", m.distinctCand());
    }
    g.writeFieldName("permutation");
    if (c.permutation() == null) {
      g.writeNull();
    } else {
      intArray(g, c.permutation());
    }
    g.writeStringField("status", c.status().jsonName());
    // ErrorScale's rule: true where max|ref| < 1e-6, so that rel_l2 and cosine say nothing and max_abs is the error
    g.writeBooleanField("zero_reference", m != null && ErrorScale.zeroReference(m));
    g.writeBooleanField("pass", c.passed());
    g.writeEndObject();
  }

  /** Integer arrays on one line ("[1, 4, 4, 3]"): they are short, and one number per line helps nobody. */
  private static void intArray(JsonGenerator g, List<Integer> values) throws IOException {
    StringJoiner j = new StringJoiner(", ", "[", "]");
    for (Integer v : values) {
      j.add(Integer.toString(v));
    }
    g.writeRawValue(j.toString());
  }

  static void number(JsonGenerator g, String field, double v) throws IOException {
    if (Double.isFinite(v)) {
      g.writeNumberField(field, v);
    } else {
      g.writeNullField(field);
    }
  }

  /** Comparisons grouped by tensor name, groups in topological order (unknown index last, then first appearance). */
  static List<List<Comparison>> byTensor(List<Comparison> comparisons) {
    Map<String, List<Comparison>> groups = new LinkedHashMap<>();
    for (Comparison c : comparisons) {
      groups.computeIfAbsent(c.name(), k -> new ArrayList<>()).add(c);
    }
    List<List<Comparison>> out = new ArrayList<>(groups.values());
    out.sort(Comparator.comparingLong(gr -> gr.get(0).index() < 0 ? Long.MAX_VALUE : gr.get(0).index()));
    return out;
  }

  /** A distinct-value count, null when it was not counted (-1). */
  private static void distinct(JsonGenerator g, String field, int n) throws IOException {
    if (n < 0) {
      g.writeNullField(field);
    } else {
      g.writeNumberField(field, n);
    }
  }
}
