package dev.crossalign.report;

import dev.crossalign.align.AlignmentResult;
import dev.crossalign.align.Comparison;
import dev.crossalign.align.Metrics;
import dev.crossalign.UnsupportedOp;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The report for a person at a browser: one self-contained HTML file (no network, no external fonts or scripts; it
 * works from file:// and a Content-Security-Policy forbids every fetch). It holds the verdict, the model, device,
 * versions and effective configuration; charts of max_abs and rel_l2 per tensor in topological order (log scale, one
 * series per pair and mode, atol drawn, first divergence marked); a histogram of the elementwise error of the worst
 * tensor when the caller has a sample of it, else a bar chart of the largest per-tensor max_abs; the first
 * divergence's seed checks side by side; and a sortable table of every comparison (click a header; a link ending in
 * {@code #sort=COLUMN} or {@code #sort=COLUMN-desc}, columns counted from 0, opens it sorted).
 *
 * <p>Charts are drawn by XChart to inline SVG, whose text is glyph outlines: no string from the result reaches the
 * SVG. Every string in the HTML is escaped, and the one inline script is allowed by its hash only, so markup in a
 * tensor name neither renders nor runs.
 */
public final class HtmlReport {
  /** Bars in the fallback chart. */
  static final int TOP_BARS = 30;
  /** Histogram bins per decade of |error|. */
  static final int BINS_PER_DECADE = 4;

  /** The one inline script (table sort, failing-only filter), a classpath resource beside this class. */
  private static final String SCRIPT = resource("report.js");
  /** The page's style sheet, a classpath resource beside this class. */
  private static final String STYLE = resource("report.css");
  /** The CSP source that allows exactly the inline script as written into the page, hashed from its bytes. */
  private static final String SCRIPT_HASH = sha256("\n" + SCRIPT + "\n");

  private HtmlReport() {}

  /** The report as one HTML document. */
  public static String render(AlignmentResult result) {
    return render(result, Map.of());
  }

  /**
   * The report as one HTML document.
   *
   * @param errorSamples elementwise |reference - candidate| of some tensors, keyed by tensor name (a sample or all of
   *     them; the sign is ignored). The histogram uses the entry of the worst tensor (the first divergence, else the
   *     comparison with the largest rel_l2), else the entry of the worst tensor that has one; with no usable entry it
   *     falls back to a bar chart of the largest per-tensor max_abs.
   */
  public static String render(AlignmentResult result, Map<String, float[]> errorSamples) {
    Objects.requireNonNull(result, "result");
    Objects.requireNonNull(errorSamples, "errorSamples");
    return new Page(result, errorSamples, List.of()).render();
  }

  /** Writes {@link #render(AlignmentResult)} to {@code file} atomically (temp file in the same directory + move). */
  public static void write(AlignmentResult result, Path file) {
    write(result, Map.of(), file);
  }

  /**
   * Writes {@link #render(AlignmentResult, Map)} to {@code file} atomically.
   *
   * @throws dev.crossalign.CrossalignException (INPUT) when the file cannot be written, with the path and the reason
   */
  public static void write(AlignmentResult result, Map<String, float[]> errorSamples, Path file) {
    write(result, errorSamples, List.of(), file);
  }

  /**
   * A plain table a command adds to the report (compare: how the tensors were paired), shown after the notes. Text
   * only: every cell is escaped.
   *
   * @param id the section's element id
   * @param title its heading
   * @param header column names
   * @param rows cells, one list per row
   */
  public record Section(String id, String title, List<String> header, List<List<String>> rows) {
    public Section {
      header = List.copyOf(header);
      rows = rows.stream().map(List::copyOf).toList();
    }
  }

  /** The report with {@code sections} after the notes, as one HTML document. */
  public static String render(AlignmentResult result, Map<String, float[]> errorSamples, List<Section> sections) {
    Objects.requireNonNull(result, "result");
    Objects.requireNonNull(errorSamples, "errorSamples");
    return new Page(result, errorSamples, List.copyOf(sections)).render();
  }

  /** Writes {@link #render(AlignmentResult, Map, List)} to {@code file} atomically. */
  public static void write(AlignmentResult result, Map<String, float[]> errorSamples, List<Section> sections,
      Path file) {
    byte[] bytes = render(result, errorSamples, sections).getBytes(StandardCharsets.UTF_8);
    JsonReport.writeAtomically(file, out -> out.write(bytes));
  }

  /** One rendering: the result, its tensors' positions, and the HTML being built. */
  private static final class Page {
    private final AlignmentResult r;
    private final Map<String, float[]> samples;
    private final Map<String, Integer> position = new HashMap<>();
    private final StringBuilder sb = new StringBuilder(1 << 16);

    private final List<Section> sections;

    Page(AlignmentResult r, Map<String, float[]> samples, List<Section> sections) {
      this.r = r;
      this.samples = samples;
      this.sections = sections;
      int p = 0;
      for (List<Comparison> group : JsonReport.byTensor(r.comparisons())) {
        position.put(group.get(0).name(), p++);
      }
    }

    String render() {
      String v = r.verdict().jsonName();
      sb.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
          .append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; ")
          .append("script-src '").append(SCRIPT_HASH).append("'\">\n")
          .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
          .append("<title>crossalign: ").append(Html.esc(r.verdict().name())).append(" - ")
          .append(Html.esc(r.model())).append("</title>\n<style>\n").append(STYLE).append("\n</style>\n</head>\n<body>\n");
      sb.append("<header class=\"verdict v-").append(v).append("\"><h1>").append(r.verdict().name())
          .append("</h1><p>").append(Html.esc(ConsoleReport.verdictLine(r))).append("</p></header>\n<main>\n");
      summary();
      HtmlCharts charts = new HtmlCharts(r, samples, position, sb);
      charts.errorPerTensor();
      firstDivergence();
      charts.distribution();
      unsupportedAndNotes();
      sections();
      table();
      config();
      sb.append("</main>\n<script>").append("\n" + SCRIPT + "\n").append("</script>\n</body>\n</html>\n");
      return sb.toString();
    }

    private void summary() {
      sb.append("<h2>Run</h2>\n<table>\n");
      row("model", r.model());
      row("device", r.device());
      row("seed", Long.toString(r.seed()));
      row("backends", String.join(", ", r.backends()) + (r.backends().isEmpty() ? "" : "  (reference first)"));
      row("tolerance", "atol " + Numbers.shortest(r.tolerance().atol()) + ", rtol "
          + Numbers.shortest(r.tolerance().rtol()) + (r.tolerance().scaleAtol()
              ? "  (pass: |ref - cand| <= atol * max(1, max|ref|) + rtol * |ref|)"
              : "  (pass: |ref - cand| <= atol + rtol * |ref|)"));
      row("comparisons", r.comparisons().size() + " (" + r.comparisons().stream().filter(c -> !c.passed()).count()
          + " failing)");
      String[] version = dev.crossalign.Versions.lines();
      row("crossalign", version[0]);
      row("libraries", version[1]);
      row("java", System.getProperty("java.version", "?"));
      for (Map.Entry<String, String> e : r.config().entrySet()) {
        if (e.getKey().toLowerCase(java.util.Locale.ROOT).contains("version")) {
          row(e.getKey(), e.getValue());
        }
      }
      sb.append("</table>\n");
    }

    private void row(String k, String val) {
      sb.append("<tr><th>").append(Html.esc(k)).append("</th><td class=\"mono\">").append(Html.esc(val))
          .append("</td></tr>\n");
    }

    private void config() {
      sb.append("<h2>Effective configuration</h2>\n");
      if (r.config().isEmpty()) {
        sb.append("<p class=\"muted\">none recorded</p>\n");
      } else {
        sb.append("<table>\n");
        r.config().forEach(this::row);
        sb.append("</table>\n");
      }
      if (!r.timingMs().isEmpty()) {
        sb.append("<h2>Timing (ms)</h2>\n<table>\n");
        r.timingMs().forEach((k, t) -> row(k, Numbers.fixed(t, 1)));
        sb.append("</table>\n");
      }
    }

    // ---- text sections --------------------------------------------------------------------------------------------

    private void firstDivergence() {
      Comparison fd = r.firstDivergence();
      if (fd == null) {
        return;
      }
      sb.append("<h2>First divergence</h2>\n<p><code>").append(Html.esc(fd.name())).append("</code> (")
          .append(Html.esc(fd.op())).append(", position ").append(position.get(fd.name())).append(", index ")
          .append(fd.index()).append(", shape ").append(Html.esc(fd.shape().toString())).append("), ")
          .append(Html.esc(fd.pair())).append(", ").append(fd.mode().jsonName()).append("</p>\n");
      Metrics m = fd.metrics();
      if (m == null) {
        sb.append("<p>status ").append(fd.status().jsonName());
        if (fd.detail() != null) {
          sb.append(": ").append(Html.esc(fd.detail()));
        }
        sb.append("</p>\n");
      } else {
        String[] sides = fd.pair().split("~", 2);
        String ref = sides.length == 2 ? sides[0] : "reference";
        String cand = sides.length == 2 ? sides[1] : "candidate";
        sb.append("<table>\n<tr><th>seed check</th><th>").append(Html.esc(ref)).append(" (reference)</th><th>")
            .append(Html.esc(cand)).append(" (candidate)</th><th>difference</th></tr>\n");
        checkRow("mean", m.meanRef(), m.meanCand(), "mean_diff " + Numbers.sci(m.meanDiff(), 4));
        checkRow("min", m.minRef(), m.minCand(), "sum_diff " + Numbers.sci(m.sumDiff(), 4));
        checkRow("max", m.maxRef(), m.maxCand(), "max_abs " + Numbers.sci(m.maxAbs(), 4));
        sb.append("<tr><th>distinct values</th><td class=\"n\">").append(distinct(m.distinctRef()))
            .append("</td><td class=\"n\">").append(distinct(m.distinctCand())).append("</td><td class=\"n\">")
            .append("rel_l2 ").append(Numbers.sci(m.relL2(), 4)).append("</td></tr>\n");
        sb.append("<tr><th>nan / inf</th><td class=\"n\">").append(m.nanRef()).append(" / ").append(m.infRef())
            .append("</td><td class=\"n\">").append(m.nanCand()).append(" / ").append(m.infCand())
            .append("</td><td class=\"n\">cosine ").append(Numbers.fixed(m.cosine(), 7)).append("</td></tr>\n");
        if (m.argmax() >= 0) {
          sb.append("<tr><th>worst element ").append(Html.esc(m.argmaxIndex().toString()))
              .append("</th><td class=\"n\">").append(Numbers.sci(m.refAtArgmax(), 6)).append("</td><td class=\"n\">")
              .append(Numbers.sci(m.candAtArgmax(), 6)).append("</td><td class=\"n\">flat ").append(m.argmax())
              .append("</td></tr>\n");
        }
        sb.append("<tr><th>failing elements</th><td colspan=\"3\">").append(m.outOfTolerance() + m.nonFiniteMismatch())
            .append(" of ").append(m.count());
        if (fd.permutation() != null) {
          sb.append(" (candidate permuted by ").append(Html.esc(fd.permutation().toString())).append(')');
        }
        sb.append("</td></tr>\n</table>\n");
      }
      List<Comparison> others = r.firstDivergences().stream().filter(c -> c != fd).toList();
      if (!others.isEmpty()) {
        sb.append("<p class=\"muted\">First divergence of the other pairs and modes:</p>\n<ul>\n");
        for (Comparison o : others) {
          sb.append("<li>").append(Html.esc(o.pair())).append(' ').append(o.mode().jsonName()).append(": <code>")
              .append(Html.esc(o.name())).append("</code> (").append(Html.esc(o.op())).append(", position ")
              .append(position.get(o.name())).append(")</li>\n");
        }
        sb.append("</ul>\n");
      }
    }

    private void checkRow(String what, double ref, double cand, String diff) {
      sb.append("<tr><th>").append(what).append("</th><td class=\"n\">").append(Numbers.sci(ref, 6))
          .append("</td><td class=\"n\">").append(Numbers.sci(cand, 6)).append("</td><td class=\"n\">")
          .append(Html.esc(diff)).append("</td></tr>\n");
    }

    private void sections() {
      List<Section> all = new java.util.ArrayList<>(sections);
      all.addAll(TruthSections.of(r.truth(), r.truthDecides()));
      for (Section x : all) {
        sb.append("<h2 id=\"").append(Html.esc(x.id())).append("\">").append(Html.esc(x.title()))
            .append("</h2>\n<table>\n<tr>");
        for (String h : x.header()) {
          sb.append("<th>").append(Html.esc(h)).append("</th>");
        }
        sb.append("</tr>\n");
        for (List<String> row : x.rows()) {
          sb.append("<tr>");
          for (String cell : row) {
            sb.append("<td>").append(Html.esc(cell == null ? "" : cell)).append("</td>");
          }
          sb.append("</tr>\n");
        }
        sb.append("</table>\n");
      }
    }

    private void unsupportedAndNotes() {
      if (!r.unsupported().isEmpty()) {
        sb.append("<h2>Unsupported ops</h2>\n<table>\n<tr><th>op</th><th>count</th><th>reason</th></tr>\n");
        for (UnsupportedOp u : r.unsupported()) {
          sb.append("<tr><td>").append(Html.esc(u.op())).append("</td><td class=\"n\">").append(u.count())
              .append("</td><td>").append(Html.esc(u.reason())).append("</td></tr>\n");
        }
        sb.append("</table>\n");
      }
      if (!r.notes().isEmpty()) {
        sb.append("<h2>Notes</h2>\n<ul>\n");
        for (String n : r.notes()) {
          sb.append("<li>").append(Html.esc(n)).append("</li>\n");
        }
        sb.append("</ul>\n");
      }
    }

    private void table() {
      long failing = r.comparisons().stream().filter(c -> !c.passed()).count();
      sb.append("<h2>Tensors</h2>\n<p class=\"muted\">").append(r.comparisons().size())
          .append(" comparisons; click a column to sort.</p>\n<p><label><input type=\"checkbox\" id=\"failing-only\">")
          .append(" failing only (").append(failing).append(")</label> <span class=\"muted\">(a link ending in")
          .append(" <code>#failing</code> opens it filtered)</span></p>\n")
          .append("<table class=\"sortable\" id=\"tensors\">\n<thead><tr>")
          .append("<th class=\"num\">#</th><th>tensor</th><th>op</th><th>shape</th><th>pair</th><th>mode</th>")
          .append("<th class=\"num\">max_abs</th><th class=\"num\">mean_abs</th><th class=\"num\">rel_l2</th>")
          .append("<th class=\"num\">cosine</th><th>pass</th></tr></thead>\n<tbody>\n");
      Comparison fd = r.firstDivergence();
      for (List<Comparison> group : JsonReport.byTensor(r.comparisons())) {
        for (Comparison c : group) {
          Metrics m = c.metrics();
          String cls = c == fd ? " class=\"fail first\"" : (c.passed() ? "" : " class=\"fail\"");
          int pos = position.get(c.name());
          sb.append("<tr").append(cls).append("><td class=\"n\" data-v=\"").append(pos).append("\">").append(pos)
              .append("</td>");
          text(c.name(), "mono");
          text(c.op(), null);
          text(c.shape().toString(), "nw");
          text(c.pair(), null);
          text(c.mode().jsonName(), null);
          num(m == null ? Double.NaN : m.maxAbs(), false);
          num(m == null ? Double.NaN : m.meanAbs(), false);
          num(m == null ? Double.NaN : m.relL2(), false);
          num(m == null ? Double.NaN : m.cosine(), true);
          text(passText(c), null);
          sb.append("</tr>\n");
        }
      }
      sb.append("</tbody>\n</table>\n");
    }

    private void text(String s, String cls) {
      String e = Html.esc(s);
      sb.append("<td").append(cls == null ? "" : " class=\"" + cls + "\"").append(" data-v=\"").append(e)
          .append("\">").append(e).append("</td>");
    }

    private void num(double v, boolean fixed) {
      sb.append("<td class=\"n\" data-v=\"").append(Double.isFinite(v) ? Double.toString(v) : "").append("\">")
          .append(Double.isNaN(v) ? "-" : (fixed ? Numbers.fixed(v, 7) : Numbers.sci(v, 3))).append("</td>");
    }
  }

  static String passText(Comparison c) {
    return switch (c.status()) {
      case COMPARED -> c.metrics().pass() ? "yes" : "NO";
      case SHAPE_MISMATCH -> "NO (shape)";
      case MISSING -> "NO (missing)";
    };
  }

  private static String distinct(int n) {
    if (n < 0) {
      return "-"; // not counted: a continuous tensor that passed
    }
    return n >= Metrics.DISTINCT_CAP ? "&ge;" + Metrics.DISTINCT_CAP : Integer.toString(n);
  }

  /**
   * A UTF-8 text resource of this package without its final line break (the files end in one; the page puts its own
   * around them). A jar without them is a broken build, not a user error.
   */
  static String resource(String name) {
    try (InputStream in = HtmlReport.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("resource " + name + " missing beside " + HtmlReport.class.getName());
      }
      String s = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      return s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read resource " + name, e);
    }
  }

  /** The CSP source for one inline script: 'sha256-BASE64'. */
  static String sha256(String script) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(script.getBytes(StandardCharsets.UTF_8));
      return "sha256-" + Base64.getEncoder().encodeToString(d);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }
}
