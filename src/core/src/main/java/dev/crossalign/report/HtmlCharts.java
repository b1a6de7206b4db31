package dev.crossalign.report;

import dev.crossalign.align.AlignmentResult;
import dev.crossalign.align.Comparison;
import dev.crossalign.align.ErrorScale;
import dev.crossalign.align.Metrics;
import java.awt.BasicStroke;
import java.awt.Color;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The chart sections of one {@link HtmlReport} page, appended to the page being built: the error per tensor (two
 * scatter charts) and the distribution of the worst tensor's error (a histogram, or bars of the largest max_abs). Chart
 * ids are numbered in the order the charts are drawn.
 */
final class HtmlCharts {
  private final AlignmentResult r;
  private final Map<String, float[]> samples;
  private final Map<String, Integer> position;
  private final StringBuilder sb;
  private int charts;

  HtmlCharts(AlignmentResult r, Map<String, float[]> samples, Map<String, Integer> position, StringBuilder sb) {
    this.r = r;
    this.samples = samples;
    this.position = position;
    this.sb = sb;
  }

  void errorPerTensor() {
    sb.append("<h2>Error per tensor</h2>\n");
    List<Comparison> compared = r.comparisons().stream().filter(c -> c.metrics() != null).toList();
    if (compared.isEmpty()) {
      sb.append("<p class=\"muted\">No tensor was compared.</p>\n");
      return;
    }
    sb.append("<p class=\"muted\">One marker per comparison made (positions a pair and mode did not compare are")
        .append(" gaps); hover a marker for its tensor; the worst are named under the axis; red rings fail. Log")
        .append(" scale; exact zeros in the band marked 0. Grey dashes: the tolerance as applied to each tensor's")
        .append(" worst element, atol * max(1, max|ref|) + rtol * |ref| (chained tensors may also pass by the")
        .append(" rel_l2 budget). Open squares: ").append(Html.esc(ErrorScale.rule())).append('.');
    Comparison fd = r.firstDivergence();
    if (fd != null) {
      sb.append(" The vertical line marks the first divergence, <code>").append(Html.esc(fd.name()))
          .append("</code> at position ").append(position.get(fd.name())).append('.');
    }
    sb.append("</p>\n");
    scatter(compared, true);
    scatter(compared, false);
  }

  private void scatter(List<Comparison> compared, boolean maxAbs) {
    List<ScatterSvg.Point> pts = new ArrayList<>();
    for (Comparison c : compared) {
      Metrics m = c.metrics();
      int pos = position.get(c.name());
      double bound = r.tolerance().effectiveAtol(ErrorScale.maxAbsRef(m))
          + r.tolerance().rtol() * (m.argmax() >= 0 && Double.isFinite(m.refAtArgmax()) ? Math.abs(m.refAtArgmax()) : 0);
      boolean zero = ErrorScale.zeroReference(m);
      double y = maxAbs ? m.maxAbs() : ErrorScale.error(m);
      String title = c.name() + " (" + c.op() + ", position " + pos + ") " + c.pair() + " " + c.mode().jsonName()
          + ": max_abs " + Numbers.sci(m.maxAbs(), 3) + " (bound " + Numbers.sci(bound, 3) + "), "
          + (zero ? "zero reference (max|ref| " + Numbers.sci(ErrorScale.maxAbsRef(m), 2) + ")"
              : "rel_l2 " + Numbers.sci(m.relL2(), 3)) + ", pass " + (c.passed() ? "yes" : "NO");
      pts.add(new ScatterSvg.Point(pos, y, c.pair() + " " + c.mode().jsonName(), title, c.name(), !c.passed(),
          maxAbs ? bound : Double.NaN, !maxAbs && zero));
    }
    List<ScatterSvg.Rule> rules = new ArrayList<>();
    Comparison fd = r.firstDivergence();
    if (fd != null && position.containsKey(fd.name())) {
      rules.add(new ScatterSvg.Rule(true, position.get(fd.name()), "first divergence: " + fd.name(), "#c80000"));
    }
    String budget = r.config().get("tolerance.chained_rel_l2_budget");
    if (!maxAbs && budget != null) {
      try {
        double b = Double.parseDouble(budget);
        if (b > 0) {
          rules.add(new ScatterSvg.Rule(false, b, "chained rel_l2 budget " + Numbers.shortest(b), "#777"));
        }
      } catch (NumberFormatException ignored) {
        // not a number: no line
      }
    }
    String id = "k" + (charts++);
    sb.append("<figure>").append(ScatterSvg.render(id,
        maxAbs ? "max_abs per tensor" : "error per tensor: rel_l2 (max_abs where the reference is numerically zero)",
        maxAbs ? "max |ref - cand|" : "rel_l2 = ||ref - cand|| / ||ref||", pts, Math.max(1, position.size() - 1),
        rules)).append("</figure>\n");
  }

  /** The worst tensor's comparison: the first divergence if it has numbers, else the largest rel_l2. */
  private Comparison worst() {
    Comparison fd = r.firstDivergence();
    if (fd != null && fd.metrics() != null) {
      return fd;
    }
    return r.worstFirst().stream().filter(c -> c.metrics() != null).findFirst().orElse(null);
  }

  void distribution() {
    Comparison worst = worst();
    if (worst == null) {
      return;
    }
    float[] sample = samples.get(worst.name());
    Comparison of = worst;
    if (sample == null || sample.length == 0) {
      for (Comparison c : r.worstFirst()) {
        float[] s = samples.get(c.name());
        if (c.metrics() != null && s != null && s.length > 0) {
          sample = s;
          of = c;
          break;
        }
      }
    }
    if (sample != null && sample.length > 0) {
      histogram(of, sample);
    } else {
      topBars(worst);
    }
  }

  private void histogram(Comparison of, float[] sample) {
    sb.append("<h2>Distribution of |error| in <code>").append(Html.esc(of.name())).append("</code></h2>\n");
    long zeros = 0;
    long nonFinite = 0;
    double lo = Double.POSITIVE_INFINITY;
    double hi = 0;
    for (float f : sample) {
      double a = Math.abs((double) f);
      if (!Double.isFinite(a)) {
        nonFinite++;
      } else if (a == 0) {
        zeros++;
      } else {
        lo = Math.min(lo, a);
        hi = Math.max(hi, a);
      }
    }
    sb.append("<p class=\"muted\">").append(sample.length).append(" elements (").append(Html.esc(of.pair()))
        .append(' ').append(of.mode().jsonName()).append("), ").append(zeros).append(" exactly equal, ")
        .append(nonFinite).append(" non-finite; x: log10 |ref - cand|, ").append(HtmlReport.BINS_PER_DECADE)
        .append(" bins per decade; dashed line: atol as applied to this tensor, atol * max(1, max|ref|) = ")
        .append(Numbers.sci(r.tolerance().effectiveAtol(ErrorScale.maxAbsRef(of.metrics())), 2)).append(".</p>\n");
    if (hi == 0) {
      sb.append("<p class=\"muted\">No nonzero finite error to plot.</p>\n");
      return;
    }
    int first = (int) Math.floor(Math.log10(lo) * HtmlReport.BINS_PER_DECADE);
    int last = (int) Math.floor(Math.log10(hi) * HtmlReport.BINS_PER_DECADE);
    int bins = last - first + 1;
    long[] counts = new long[bins];
    for (float f : sample) {
      double a = Math.abs((double) f);
      if (a > 0 && Double.isFinite(a)) {
        int b = (int) Math.floor(Math.log10(a) * HtmlReport.BINS_PER_DECADE) - first;
        counts[Math.max(0, Math.min(bins - 1, b))]++;
      }
    }
    double[] xs = new double[bins + 1];
    double[] ys = new double[bins + 1];
    long peak = 0;
    for (int i = 0; i <= bins; i++) {
      xs[i] = (double) (first + i) / HtmlReport.BINS_PER_DECADE;
      ys[i] = i < bins ? counts[i] : (bins > 0 ? counts[bins - 1] : 0);
      peak = Math.max(peak, i < bins ? counts[i] : 0);
    }
    double atol = r.tolerance().effectiveAtol(ErrorScale.maxAbsRef(of.metrics()));
    long peakF = peak;
    chart(() -> histogramChart(xs, ys, bins, peakF, atol));
  }

  /** The histogram's steps over {@code bins} log bins, with atol as a dashed line when it is positive. */
  private static XYChart histogramChart(double[] xs, double[] ys, int bins, long peak, double atol) {
    XYChart chart = new XYChartBuilder().width(1100).height(340).title("histogram of |ref - cand|")
        .xAxisTitle("log10 |ref - cand|").yAxisTitle("elements").build();
    style(chart.getStyler());
    chart.getStyler().setLegendVisible(false);
    chart.getStyler().setXAxisDecimalPattern("0.0");
    XYSeries s = chart.addSeries("elements", xs, ys);
    s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.StepArea);
    s.setMarker(SeriesMarkers.NONE);
    s.setFillColor(new Color(45, 110, 190, 160));
    s.setLineColor(new Color(45, 110, 190));
    if (atol > 0) {
      double x = Math.log10(atol);
      XYSeries t = chart.addSeries("atol", new double[] {x, x}, new double[] {0, peak});
      t.setMarker(SeriesMarkers.NONE);
      t.setLineColor(new Color(90, 90, 90));
      t.setLineStyle(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
          new float[] {6f, 4f}, 0f));
      chart.getStyler().setXAxisMin(Math.min(xs[0], x) - 0.25);
      chart.getStyler().setXAxisMax(Math.max(xs[bins], x) + 0.25);
    }
    chart.getStyler().setYAxisMin(0.0);
    return chart;
  }

  /** No error sample: the largest max_abs values of the worst tensor's pair and mode, as bars. */
  private void topBars(Comparison worst) {
    List<Comparison> same = r.comparisons().stream()
        .filter(c -> c.metrics() != null && c.pair().equals(worst.pair()) && c.mode() == worst.mode())
        .sorted(Comparator.comparingDouble((Comparison c) -> c.metrics().maxAbs()).reversed()
            .thenComparingInt(c -> position.get(c.name())))
        .limit(HtmlReport.TOP_BARS)
        .toList();
    sb.append("<h2>Largest max_abs (").append(Html.esc(worst.pair())).append(' ').append(worst.mode().jsonName())
        .append(")</h2>\n<p class=\"muted\">No elementwise error sample was given, so this shows the ")
        .append(same.size()).append(" tensors with the largest max_abs, labelled by position; log scale.</p>\n");
    double minPos = same.stream().mapToDouble(c -> c.metrics().maxAbs()).filter(x -> x > 0)
        .min().orElse(1e-12);
    double floor = Math.pow(10, Math.floor(Math.log10(minPos)) - 1);
    chart(() -> {
      CategoryChart chart = new CategoryChartBuilder().width(1100).height(340).title("largest max_abs")
          .xAxisTitle("tensor position").yAxisTitle("max |ref - cand|").build();
      style(chart.getStyler());
      chart.getStyler().setLegendVisible(false);
      chart.getStyler().setYAxisLogarithmic(true);
      chart.getStyler().setYAxisMin(floor);
      double max = same.stream().mapToDouble(c -> c.metrics().maxAbs()).filter(Double::isFinite).max().orElse(1);
      chart.getStyler().setYAxisMax(max > floor ? Math.pow(10, Math.ceil(Math.log10(max * 1.01))) : floor * 100);
      List<String> xs = new ArrayList<>();
      List<Double> ys = new ArrayList<>();
      for (Comparison c : same) {
        xs.add("#" + position.get(c.name()));
        double m = c.metrics().maxAbs();
        ys.add(m > floor && Double.isFinite(m) ? m : floor);
      }
      CategorySeries s = chart.addSeries("max_abs", xs, ys);
      s.setFillColor(new Color(45, 110, 190));
      return chart;
    });
    sb.append("<table>\n<tr><th>position</th><th>tensor</th><th>op</th><th>max_abs</th><th>pass</th></tr>\n");
    for (Comparison c : same) {
      sb.append("<tr").append(c.passed() ? "" : " class=\"fail\"").append("><td class=\"n\">#")
          .append(position.get(c.name())).append("</td><td class=\"mono\">").append(Html.esc(c.name()))
          .append("</td><td>").append(Html.esc(c.op())).append("</td><td class=\"n\">")
          .append(Numbers.sci(c.metrics().maxAbs(), 3)).append("</td><td>").append(HtmlReport.passText(c))
          .append("</td></tr>\n");
    }
    sb.append("</table>\n");
  }

  private interface ChartMaker {
    org.knowm.xchart.internal.chartpart.Chart<?, ?> make();
  }

  /** Draws one chart; a charting failure costs the chart, not the report. */
  private void chart(ChartMaker maker) {
    String id = "k" + (charts++);
    try {
      sb.append("<figure>").append(Charts.svg(maker.make(), id)).append("</figure>\n");
    } catch (RuntimeException | LinkageError e) {
      sb.append("<p class=\"warn\">chart not drawn: ").append(Html.esc(e.toString())).append("</p>\n");
    }
  }

  private static void style(org.knowm.xchart.style.Styler s) {
    s.setChartBackgroundColor(Color.WHITE);
    s.setPlotBackgroundColor(new Color(250, 250, 252));
    s.setAntiAlias(true);
    if (s instanceof org.knowm.xchart.style.AxesChartStyler a) {
      a.setPlotGridLinesColor(new Color(225, 228, 232));
      // solid: the SVG writer outlines every dash of a dashed stroke, which made the log axis grid megabytes
      a.setPlotGridLinesStroke(new BasicStroke(0.6f));
      a.setAxisTickLabelsColor(new Color(40, 40, 40));
    }
  }
}
