package dev.crossalign.report;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.crossalign.align.AlignmentResult;
import dev.crossalign.align.Bound;
import dev.crossalign.align.Diagnosis;
import dev.crossalign.align.Hypothesis;
import dev.crossalign.align.MinTolerance;
import dev.crossalign.align.TruthError;
import dev.crossalign.align.TruthTable;
import java.io.IOException;
import java.util.List;

/**
 * The JSON report's {@code "truth"} member (issue 13): null when the run did not compute the float64 truth, else
 * (every key always present, in this order; non-finite numbers are null):
 *
 * <pre>
 * { "decides": bool,                               // --tolerance auto: "verdict" below is the exit status
 *   "verdict": "aligned" | "misaligned",           // every backend within every derived bound (no bound: not judged)
 *   "bounded": int, "unbounded": [str, ...],       // op outputs with a bound; those without ("name (OP)")
 *   "first_failure": null | failure, "failures": [failure, ...],   // failure: {"tensor", "op", "backend", "factor"}
 *   "backends": [ {"backend", "tensors", "furthest_count", "worst_tensor", "worst_op", "worst_error",
 *                  "worst_floor_factor", "worst_bound_factor", "worst_bound_tensor"} ],
 *   "min_tolerance": [ {"backend", "atol", "abs_atol", "rtol", "atol_tensor", "rtol_tensor"} ],
 *   "tensors": [ {"name", "op", "shape", "measure": "element_relative" | "scale_relative", "floor",
 *                 "bound": null | {"rule", "terms", "ulps", "max_limit", "min_limit"}, "furthest", "pass",
 *                 "errors": [ {"backend", "error", "max_abs", "rel_l2", "max_rel_err", "scaled_max_abs",
 *                              "worst_index", "truth_at", "value_at", "floor_factor", "bound_factor",
 *                              "allowed_factor", "allowance", "within",
 *                              "min_tolerance": {"atol", "abs_atol", "rtol"}} ],
 *                 "diagnoses": [ {"backend", "bound_factor", "pattern",
 *                                 "hypotheses": [ {"name", "detail", "error_before", "error_after",
 *                                                  "bound_factor_after", "explains"} ]} ]} ],
 *   "notes": [str, ...] }
 * </pre>
 *
 * "error" is the tensor's error under its measure (the largest elementwise relative error, or the largest error over
 * max|truth| for reductions) and "floor" the float32 rounding floor's under the same measure; "bound_factor" is the
 * largest |backend - truth| over the bound (at most 1 is within), "allowed_factor" the same with the backend's
 * documented allowance ("allowance" says which, null for none), which "within" and "pass" follow. The min tolerance is
 * against the reference (TFLite): {@code atol} in validate's scaled units at rtol 0, {@code rtol} at atol 0.
 */
final class TruthJson {
  private TruthJson() {}

  static void write(JsonGenerator g, AlignmentResult r) throws IOException {
    TruthTable t = r.truth();
    if (t == null) {
      g.writeNullField("truth");
      return;
    }
    g.writeObjectFieldStart("truth");
    g.writeBooleanField("decides", r.truthDecides());
    g.writeStringField("verdict", t.auto().aligned() ? "aligned" : "misaligned");
    g.writeNumberField("bounded", t.auto().bounded());
    strings(g, "unbounded", t.auto().unbounded());
    g.writeFieldName("first_failure");
    failure(g, t.auto().firstFailure());
    g.writeArrayFieldStart("failures");
    for (TruthTable.Failure f : t.auto().failures()) {
      failure(g, f);
    }
    g.writeEndArray();
    g.writeArrayFieldStart("backends");
    for (TruthTable.BackendSummary b : t.backends()) {
      g.writeStartObject();
      g.writeStringField("backend", b.backend());
      g.writeNumberField("tensors", b.tensors());
      g.writeNumberField("furthest_count", b.furthestCount());
      g.writeStringField("worst_tensor", b.worstTensor());
      g.writeStringField("worst_op", b.worstOp());
      JsonReport.number(g, "worst_error", b.worstError());
      JsonReport.number(g, "worst_floor_factor", b.worstFloorFactor());
      JsonReport.number(g, "worst_bound_factor", b.worstBoundFactor());
      g.writeStringField("worst_bound_tensor", b.worstBoundTensor());
      g.writeEndObject();
    }
    g.writeEndArray();
    g.writeArrayFieldStart("min_tolerance");
    for (TruthTable.RunTolerance m : t.minTolerance()) {
      g.writeStartObject();
      g.writeStringField("backend", m.backend());
      JsonReport.number(g, "atol", m.minTolerance().atol());
      JsonReport.number(g, "abs_atol", m.minTolerance().absAtol());
      JsonReport.number(g, "rtol", m.minTolerance().rtol());
      g.writeStringField("atol_tensor", m.atolTensor());
      g.writeStringField("rtol_tensor", m.rtolTensor());
      g.writeEndObject();
    }
    g.writeEndArray();
    g.writeArrayFieldStart("tensors");
    for (TruthTable.Row row : t.rows()) {
      row(g, t, row);
    }
    g.writeEndArray();
    strings(g, "notes", t.notes());
    g.writeEndObject();
  }

  private static void row(JsonGenerator g, TruthTable t, TruthTable.Row row) throws IOException {
    g.writeStartObject();
    g.writeStringField("name", row.tensor());
    g.writeStringField("op", row.op());
    g.writeFieldName("shape");
    g.writeArray(row.shape(), 0, row.shape().length);
    g.writeStringField("measure", row.measure().name().toLowerCase(java.util.Locale.ROOT));
    JsonReport.number(g, "floor", row.floor().under(row.measure()));
    Bound.Summary b = row.bound();
    if (b == null) {
      g.writeNullField("bound");
    } else {
      g.writeObjectFieldStart("bound");
      g.writeStringField("rule", b.rule().name().toLowerCase(java.util.Locale.ROOT));
      g.writeNumberField("terms", b.terms());
      JsonReport.number(g, "ulps", b.ulps());
      JsonReport.number(g, "max_limit", b.maxLimit());
      JsonReport.number(g, "min_limit", b.minLimit());
      g.writeEndObject();
    }
    g.writeStringField("furthest", row.furthest());
    g.writeBooleanField("pass", row.pass());
    g.writeArrayFieldStart("errors");
    for (TruthTable.BackendError e : row.errors()) {
      error(g, row, e);
    }
    g.writeEndArray();
    g.writeArrayFieldStart("diagnoses");
    for (Diagnosis d : t.diagnoses()) {
      if (d.tensor().equals(row.tensor())) {
        diagnosis(g, d);
      }
    }
    g.writeEndArray();
    g.writeEndObject();
  }

  private static void error(JsonGenerator g, TruthTable.Row row, TruthTable.BackendError e) throws IOException {
    TruthError x = e.error();
    g.writeStartObject();
    g.writeStringField("backend", e.backend());
    JsonReport.number(g, "error", x.under(row.measure()));
    JsonReport.number(g, "max_abs", x.maxAbs());
    JsonReport.number(g, "rel_l2", x.relL2());
    JsonReport.number(g, "max_rel_err", x.maxRelErr());
    JsonReport.number(g, "scaled_max_abs", x.scaledMaxAbs());
    g.writeNumberField("worst_index", x.worstIndex());
    JsonReport.number(g, "truth_at", x.truthAt());
    JsonReport.number(g, "value_at", x.valueAt());
    JsonReport.number(g, "floor_factor", e.floorFactor());
    JsonReport.number(g, "bound_factor", e.boundFactor());
    JsonReport.number(g, "allowed_factor", e.allowedFactor());
    g.writeStringField("allowance", e.allowance());
    g.writeBooleanField("within", e.within());
    MinTolerance m = e.minTolerance();
    g.writeObjectFieldStart("min_tolerance");
    JsonReport.number(g, "atol", m.atol());
    JsonReport.number(g, "abs_atol", m.absAtol());
    JsonReport.number(g, "rtol", m.rtol());
    g.writeEndObject();
    g.writeEndObject();
  }

  private static void diagnosis(JsonGenerator g, Diagnosis d) throws IOException {
    g.writeStartObject();
    g.writeStringField("backend", d.backend());
    JsonReport.number(g, "bound_factor", d.boundFactor());
    g.writeStringField("pattern", d.pattern());
    g.writeArrayFieldStart("hypotheses");
    for (Hypothesis h : d.hypotheses()) {
      g.writeStartObject();
      g.writeStringField("name", h.name());
      g.writeStringField("detail", h.detail());
      JsonReport.number(g, "error_before", h.errorBefore());
      JsonReport.number(g, "error_after", h.errorAfter());
      JsonReport.number(g, "bound_factor_after", h.boundFactorAfter());
      g.writeBooleanField("explains", h.explains());
      g.writeEndObject();
    }
    g.writeEndArray();
    g.writeEndObject();
  }

  private static void failure(JsonGenerator g, TruthTable.Failure f) throws IOException {
    if (f == null) {
      g.writeNull();
      return;
    }
    g.writeStartObject();
    g.writeStringField("tensor", f.tensor());
    g.writeStringField("op", f.op());
    g.writeStringField("backend", f.backend());
    JsonReport.number(g, "factor", f.factor());
    g.writeEndObject();
  }

  private static void strings(JsonGenerator g, String field, List<String> values) throws IOException {
    g.writeArrayFieldStart(field);
    for (String s : values) {
      g.writeString(s);
    }
    g.writeEndArray();
  }
}
