package dev.crossalign.report;

import dev.crossalign.align.AlignmentResult;
import dev.crossalign.align.Comparison;
import dev.crossalign.align.ErrorScale;
import dev.crossalign.align.Metrics;
import dev.crossalign.UnsupportedOp;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The report for CI dashboards: JUnit XML, one {@code <testsuite>} per backend pair and mode, one {@code <testcase>}
 * per compared tensor in it (classname = model + "." + pair + "." + mode, name = tensor name).
 *
 * <ul>
 *   <li>A comparison out of tolerance, or with a shape mismatch, is a {@code <failure>} whose message carries max_abs,
 *       rel_l2, cosine and the tolerance (or the reason).
 *   <li>A missing output is {@code <skipped>} when the result lists unsupported ops (the candidate could not run the
 *       graph that far, the verdict is INCOMPLETE), else a {@code <failure>}: an output lost without a reason is a
 *       misalignment, and CI must not turn green on it.
 *   <li>Each unsupported op type is one {@code <skipped>} testcase in a suite of its own (classname = model +
 *       ".unsupported", name = the op).
 * </ul>
 *
 * No times or timestamps are written, so one result always gives the same bytes.
 */
public final class JUnitReport {
  private JUnitReport() {}

  /** The XML document as a string. */
  public static String render(AlignmentResult r) {
    Map<String, List<Comparison>> suites = new LinkedHashMap<>();
    for (List<Comparison> group : JsonReport.byTensor(r.comparisons())) {
      for (Comparison c : group) {
        suites.computeIfAbsent(c.pair() + "." + c.mode().jsonName(), k -> new ArrayList<>()).add(c);
      }
    }
    int tests = 0;
    int failures = 0;
    int skipped = 0;
    StringBuilder body = new StringBuilder();
    for (Map.Entry<String, List<Comparison>> e : suites.entrySet()) {
      String classname = r.model() + "." + e.getKey();
      StringBuilder cases = new StringBuilder();
      int f = 0;
      int s = 0;
      for (Comparison c : e.getValue()) {
        cases.append("    <testcase classname=\"").append(xml(classname)).append("\" name=\"").append(xml(c.name()))
            .append('"');
        Outcome o = outcome(r, c);
        switch (o.kind) {
          case PASS -> cases.append("/>\n");
          case FAIL -> {
            f++;
            cases.append(">\n      <failure type=\"").append(o.type).append("\" message=\"").append(xml(o.message))
                .append("\">").append(xml(o.detail)).append("</failure>\n    </testcase>\n");
          }
          case SKIP -> {
            s++;
            cases.append(">\n      <skipped message=\"").append(xml(o.message)).append("\"/>\n    </testcase>\n");
          }
        }
      }
      suite(body, classname, e.getValue().size(), f, s, cases);
      tests += e.getValue().size();
      failures += f;
      skipped += s;
    }
    if (!r.unsupported().isEmpty()) {
      String classname = r.model() + ".unsupported";
      StringBuilder cases = new StringBuilder();
      for (UnsupportedOp u : r.unsupported()) {
        cases.append("    <testcase classname=\"").append(xml(classname)).append("\" name=\"").append(xml(u.op()))
            .append("\">\n      <skipped message=\"").append(xml(u.op() + " x" + u.count() + ": " + u.reason()))
            .append("\"/>\n    </testcase>\n");
      }
      suite(body, classname, r.unsupported().size(), 0, r.unsupported().size(), cases);
      tests += r.unsupported().size();
      skipped += r.unsupported().size();
    }
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"" + xml("crossalign " + r.model())
        + "\" tests=\"" + tests + "\" failures=\"" + failures + "\" errors=\"0\" skipped=\"" + skipped + "\">\n"
        + body + "</testsuites>\n";
  }

  /** Writes {@link #render} to {@code file} atomically (temp file in the same directory + move). */
  public static void write(AlignmentResult result, Path file) {
    byte[] bytes = render(result).getBytes(StandardCharsets.UTF_8);
    JsonReport.writeAtomically(file, out -> out.write(bytes));
  }

  private static void suite(StringBuilder body, String name, int tests, int failures, int skipped,
      CharSequence cases) {
    body.append("  <testsuite name=\"").append(xml(name)).append("\" tests=\"").append(tests)
        .append("\" failures=\"").append(failures).append("\" errors=\"0\" skipped=\"").append(skipped).append("\">\n")
        .append(cases).append("  </testsuite>\n");
  }

  private enum Kind { PASS, FAIL, SKIP }

  private record Outcome(Kind kind, String type, String message, String detail) {}

  private static Outcome outcome(AlignmentResult r, Comparison c) {
    String tol = "atol " + Numbers.shortest(r.tolerance().atol()) + ", rtol " + Numbers.shortest(r.tolerance().rtol());
    switch (c.status()) {
      case COMPARED: {
        Metrics m = c.metrics();
        if (m.pass()) {
          return new Outcome(Kind.PASS, null, null, null);
        }
        if (m.hasNonFinite() && (m.nonFiniteMismatch() > 0 || !r.tolerance().acceptNonFinite())) {
          String nf = "NaN/Inf: ref " + m.nanRef() + " NaN, " + m.infRef() + " Inf (first at flat "
              + m.firstNonFiniteRef() + "), cand " + m.nanCand() + " NaN, " + m.infCand() + " Inf (first at flat "
              + m.firstNonFiniteCand() + "); " + (m.nonFiniteMismatch() > 0
                  ? m.nonFiniteMismatch() + " positions disagree"
                  : "both sides agree element by element (--accept-nonfinite accepts that)");
          return new Outcome(Kind.FAIL, "nonfinite", nf, "op " + c.op() + ", shape " + c.shape() + "; " + tol);
        }
        // ErrorScale's rule: on a numerically zero reference only the absolute error means something
        String msg = ErrorScale.zeroReference(m)
            ? "max_abs " + Numbers.sci(m.maxAbs(), 3) + " on a numerically zero reference (max|ref| "
                + Numbers.sci(ErrorScale.maxAbsRef(m), 2) + " < " + Numbers.shortest(ErrorScale.NEGLIGIBLE)
                + ": rel_l2 and cosine say nothing) (" + tol + ")"
            : "max_abs " + Numbers.sci(m.maxAbs(), 3) + ", rel_l2 " + Numbers.sci(m.relL2(), 3) + ", cosine "
                + Numbers.fixed(m.cosine(), 7) + " (" + tol + ")";
        String detail = (m.outOfTolerance() + m.nonFiniteMismatch()) + " of " + m.count() + " elements fail"
            + (m.nonFiniteMismatch() > 0 ? " (" + m.nonFiniteMismatch() + " non-finite mismatches)" : "")
            + "; op " + c.op() + ", shape " + c.shape()
            + "; mean ref " + Numbers.sci(m.meanRef(), 4) + " cand " + Numbers.sci(m.meanCand(), 4)
            + ", mean_diff " + Numbers.sci(m.meanDiff(), 4) + ", sum_diff " + Numbers.sci(m.sumDiff(), 4)
            + (m.argmax() >= 0 ? "; worst at " + m.argmaxIndex() + ": ref " + Numbers.sci(m.refAtArgmax(), 6)
                + " cand " + Numbers.sci(m.candAtArgmax(), 6) : "");
        return new Outcome(Kind.FAIL, "out_of_tolerance", msg, detail);
      }
      case SHAPE_MISMATCH:
        return new Outcome(Kind.FAIL, "shape_mismatch", "shape mismatch" + (c.detail() == null ? "" : ": "
            + c.detail()), "op " + c.op() + ", reference shape " + c.shape());
      default: {
        String why = "missing in the candidate" + (c.detail() == null ? "" : ": " + c.detail());
        return r.unsupported().isEmpty()
            ? new Outcome(Kind.FAIL, "missing", why, "op " + c.op() + ", reference shape " + c.shape())
            : new Outcome(Kind.SKIP, null, why + " (unsupported ops)", null);
      }
    }
  }

  /**
   * Escapes for XML 1.0 text and double-quoted attributes. Characters XML 1.0 cannot hold at all (most C0 controls,
   * lone surrogates, U+FFFE/U+FFFF) become U+FFFD; tab, CR and LF are written as character references so that
   * attribute values keep them.
   */
  static String xml(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder sb = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      switch (ch) {
        case '&' -> sb.append("&amp;");
        case '<' -> sb.append("&lt;");
        case '>' -> sb.append("&gt;");
        case '"' -> sb.append("&quot;");
        case '\'' -> sb.append("&apos;");
        case '\t' -> sb.append("&#9;");
        case '\n' -> sb.append("&#10;");
        case '\r' -> sb.append("&#13;");
        default -> {
          if (Character.isHighSurrogate(ch) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
            sb.append(ch).append(s.charAt(++i));
          } else if (ch < 0x20 || Character.isSurrogate(ch) || ch == '\uFFFE' || ch == '\uFFFF') {
            sb.append('\uFFFD');
          } else {
            sb.append(ch);
          }
        }
      }
    }
    return sb.toString();
  }
}
