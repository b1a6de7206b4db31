package dev.crossalign.report;

import dev.crossalign.align.Diagnosis;
import dev.crossalign.align.Hypothesis;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The numerics lab's page (issue 13, item 6): one self-contained HTML file, under the same conventions as
 * {@link HtmlReport} (its style sheet, no network, a Content-Security-Policy that forbids every fetch; this page has no
 * script at all, so {@code script-src 'none'}). It draws, per op output in graph order, each backend's error against
 * the float64 truth in times the derived bound (log scale, the bound at 1; in times the float32 floor for an op no
 * rule bounds), marks the first failing tensor, lists every tensor's bound, pass and per-backend error, and the ranked
 * hypotheses of each diagnosed mismatch. Every string from the run goes through {@link Html#esc}, also inside the SVG.
 */
public final class TruthHtmlReport {
  /** Chart geometry: plot width and height in SVG units, left and bottom margins. */
  private static final int W = 1000;
  private static final int H = 300;
  private static final int LEFT = 60;
  private static final int BOTTOM = 30;
  /** One colour per backend, in the page's order (the reference first). */
  private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"};
  private static final String STYLE = HtmlReport.resource("report.css");

  private TruthHtmlReport() {}

  /** One backend's error on one op output against the truth: itself, in floors and in bounds (NaN: no bound). */
  public record Cell(String backend, double error, double floorFactor, double boundFactor, boolean within) {}

  /**
   * One op output: its derived bound's rule and largest limit ({@code rule} null when no rule covers the op), whether
   * every backend is within it, its float32 floor, and each backend's error.
   */
  public record Tensor(String name, String op, String rule, double boundMax, double floor, boolean pass,
      List<Cell> cells) {
    public Tensor {
      cells = List.copyOf(cells);
    }
  }

  /**
   * The run: {@code verdict} ALIGNED / MISALIGNED under {@code --tolerance auto}, or REPORT; {@code headline} the
   * console's verdict sentence; {@code firstFailing} the earliest failing tensor in graph order (null when none).
   */
  public record Page(String model, String verdict, String headline, List<String> backends, List<Tensor> tensors,
      String firstFailing, List<Diagnosis> diagnoses, List<String> notes) {
    public Page {
      backends = List.copyOf(backends);
      tensors = List.copyOf(tensors);
      diagnoses = List.copyOf(diagnoses);
      notes = List.copyOf(notes);
    }
  }

  /** Writes {@link #render} to {@code file} atomically. */
  public static void write(Page page, Path file) {
    byte[] bytes = render(page).getBytes(StandardCharsets.UTF_8);
    JsonReport.writeAtomically(file, out -> out.write(bytes));
  }

  /** The page as one HTML document. */
  public static String render(Page p) {
    Objects.requireNonNull(p, "page");
    StringBuilder sb = new StringBuilder(1 << 15);
    String cls = switch (p.verdict()) {
      case "ALIGNED" -> "v-aligned";
      case "MISALIGNED" -> "v-misaligned";
      default -> "v-incomplete";
    };
    sb.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        .append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; ")
        .append("style-src 'unsafe-inline'; script-src 'none'\">\n")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
        .append("<title>crossalign truth: ").append(Html.esc(p.verdict())).append(" - ").append(Html.esc(p.model()))
        .append("</title>\n<style>\n").append(STYLE).append("\n</style>\n</head>\n<body>\n")
        .append("<header class=\"verdict ").append(cls).append("\"><h1>").append(Html.esc(p.verdict()))
        .append("</h1><p>").append(Html.esc(p.headline())).append("</p></header>\n<main>\n");
    sb.append("<h2>Error against the float64 truth</h2>\n<p class=\"muted\">per op output in graph order, each "
        + "backend's error in times the derived bound (above the line at 1: outside it); ops without a bound in times "
        + "the float32 floor (hollow markers)</p>\n");
    chart(sb, p);
    diagnoses(sb, p);
    table(sb, p);
    if (!p.notes().isEmpty()) {
      sb.append("<h2>Notes</h2>\n<ul>\n");
      p.notes().forEach(n -> sb.append("<li>").append(Html.esc(n)).append("</li>\n"));
      sb.append("</ul>\n");
    }
    return sb.append("</main>\n</body>\n</html>\n").toString();
  }

  /** The factor a marker sits at: times the bound, or times the floor without one. */
  static double factor(Cell c) {
    return Double.isNaN(c.boundFactor()) ? c.floorFactor() : c.boundFactor();
  }

  private static void chart(StringBuilder sb, Page p) {
    double hi = 10;
    for (Tensor t : p.tensors()) {
      for (Cell c : t.cells()) {
        double f = factor(c);
        if (Double.isFinite(f)) {
          hi = Math.max(hi, f);
        }
      }
    }
    double lo = 1e-3;
    double top = Math.ceil(Math.log10(hi));
    double bottom = Math.log10(lo);
    int n = Math.max(p.tensors().size(), 1);
    sb.append("<svg class=\"chart\" id=\"truth-chart\" viewBox=\"0 0 ").append(W + LEFT + 10).append(' ')
        .append(H + BOTTOM + 10).append("\" xmlns=\"http://www.w3.org/2000/svg\">\n");
    for (int d = (int) bottom; d <= top; d++) {
      double y = y(d, bottom, top);
      sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>"
          + "<text x=\"4\" y=\"%.1f\" font-size=\"11\">1e%d</text>\n", LEFT, LEFT + W, y, y,
          d == 0 ? "#b3261e" : "#e5e7eb", y + 4, d));
    }
    for (int i = 0; i < p.tensors().size(); i++) {
      Tensor t = p.tensors().get(i);
      double x = LEFT + (i + 0.5) * W / n;
      if (t.name().equals(p.firstFailing())) {
        sb.append(String.format(Locale.ROOT, "<line class=\"first\" x1=\"%.1f\" x2=\"%.1f\" y1=\"10\" y2=\"%d\" "
            + "stroke=\"#b3261e\" stroke-dasharray=\"4 3\"><title>first failing: %s</title></line>\n", x, x, H + 10,
            Html.esc(t.name())));
      }
      for (Cell c : t.cells()) {
        int k = Math.max(p.backends().indexOf(c.backend()), 0) % COLORS.length;
        double f = factor(c);
        double ly = f > 0 ? Math.log10(f) : bottom;
        ly = Double.isFinite(ly) ? Math.max(bottom, Math.min(top, ly)) : top;
        boolean bounded = !Double.isNaN(c.boundFactor());
        sb.append(String.format(Locale.ROOT, "<circle class=\"pt\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\" stroke=\"%s\" "
            + "fill=\"%s\"><title>%s (%s) %s: error %s, %s</title></circle>\n", x, y(ly, bottom, top), COLORS[k],
            bounded ? COLORS[k] : "none", Html.esc(t.name()), Html.esc(t.op()), Html.esc(c.backend()),
            Numbers.sci(c.error(), 2), bounded ? Numbers.sci(c.boundFactor(), 2) + "x the bound"
                : Numbers.sci(c.floorFactor(), 2) + "x the floor (no bound)"));
      }
    }
    for (int k = 0; k < p.backends().size(); k++) {
      sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>"
          + "<text x=\"%d\" y=\"%d\" font-size=\"12\">%s</text>\n", LEFT + 10 + k * 180, H + 22,
          COLORS[k % COLORS.length], LEFT + 24 + k * 180, H + 31, Html.esc(p.backends().get(k))));
    }
    sb.append("</svg>\n");
  }

  private static double y(double log, double bottom, double top) {
    return 10 + (top - log) / (top - bottom) * H;
  }

  private static void diagnoses(StringBuilder sb, Page p) {
    if (p.diagnoses().isEmpty()) {
      return;
    }
    sb.append("<h2>Diagnoses</h2>\n");
    for (Diagnosis d : p.diagnoses()) {
      sb.append("<h3 class=\"mono\">").append(Html.esc(d.tensor())).append(" (").append(Html.esc(d.op()))
          .append("), ").append(Html.esc(d.backend())).append(" at ").append(Numbers.sci(d.boundFactor(), 3))
          .append("x its bound</h3>\n<p class=\"muted\">").append(Html.esc(d.pattern())).append("</p>\n")
          .append("<table class=\"hypotheses\">\n<tr><th>rank</th><th>hypothesis</th><th>error before</th>"
              + "<th>error after</th><th>x bound after</th><th>explains</th><th>detail</th></tr>\n");
      int rank = 1;
      for (Hypothesis h : d.hypotheses()) {
        sb.append(h.explains() ? "<tr class=\"first\">" : "<tr>").append("<td class=\"n\">").append(rank++)
            .append("</td><td>").append(Html.esc(h.name())).append("</td><td class=\"n\">")
            .append(Numbers.sci(h.errorBefore(), 3)).append("</td><td class=\"n\">")
            .append(Numbers.sci(h.errorAfter(), 3)).append("</td><td class=\"n\">")
            .append(Numbers.sci(h.boundFactorAfter(), 3)).append("</td><td>").append(h.explains() ? "yes" : "no")
            .append("</td><td>").append(Html.esc(h.detail())).append("</td></tr>\n");
      }
      sb.append("</table>\n");
    }
  }

  private static void table(StringBuilder sb, Page p) {
    sb.append("<h2>Op outputs</h2>\n<table id=\"truth-tensors\">\n<thead><tr><th>#</th><th>tensor</th><th>op</th>"
        + "<th>bound</th><th>max limit</th><th>floor</th><th>pass</th>");
    for (String b : p.backends()) {
      sb.append("<th>").append(Html.esc(b)).append(" error</th><th>x floor</th><th>x bound</th>");
    }
    sb.append("</tr></thead>\n<tbody>\n");
    for (int i = 0; i < p.tensors().size(); i++) {
      Tensor t = p.tensors().get(i);
      String cls = t.name().equals(p.firstFailing()) ? " class=\"first\"" : t.pass() ? "" : " class=\"fail\"";
      sb.append("<tr").append(cls).append("><td class=\"n\">").append(i).append("</td><td class=\"mono\">")
          .append(Html.esc(t.name())).append("</td><td>").append(Html.esc(t.op())).append("</td><td>")
          .append(t.rule() == null ? "none" : Html.esc(t.rule())).append("</td><td class=\"n\">")
          .append(t.rule() == null ? "-" : Numbers.sci(t.boundMax(), 2)).append("</td><td class=\"n\">")
          .append(Numbers.sci(t.floor(), 2)).append("</td><td>")
          .append(t.rule() == null ? "-" : t.pass() ? "yes" : "NO").append("</td>");
      for (String b : p.backends()) {
        Cell c = t.cells().stream().filter(x -> x.backend().equals(b)).findFirst().orElse(null);
        if (c == null) {
          sb.append("<td>-</td><td>-</td><td>-</td>");
        } else {
          sb.append("<td class=\"n\">").append(Numbers.sci(c.error(), 2)).append("</td><td class=\"n\">")
              .append(Numbers.sci(c.floorFactor(), 2)).append("</td><td class=\"n\">")
              .append(Double.isNaN(c.boundFactor()) ? "-" : Numbers.sci(c.boundFactor(), 2)).append("</td>");
        }
      }
      sb.append("</tr>\n");
    }
    sb.append("</tbody>\n</table>\n");
  }
}
