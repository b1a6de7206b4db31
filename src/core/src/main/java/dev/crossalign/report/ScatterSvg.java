package dev.crossalign.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A per-tensor error plot as hand-written inline SVG: one marker per comparison made and nothing else, so positions a
 * series did not compare are gaps, not zeros, and no line joins the points. Each marker carries an SVG {@code <title>}
 * (the browser's tooltip: tensor, op, pair, mode, value); the worst tensors are named under the x axis; a tolerance
 * mark per point shows the bound as it was applied to that tensor; exact zeros sit in a band of their own under the
 * log axis, non-finite values in one above it. Every string from a result goes through {@link Html#esc}.
 */
final class ScatterSvg {
  static final int WIDTH = 1100;
  static final int HEIGHT = 440;
  static final int LEFT = 72;
  static final int RIGHT = 16;
  static final int TOP = 44;
  static final int BOTTOM = 150;
  /** Tick labels on the log axis at most; decades are skipped to stay under it. */
  static final int MAX_Y_LABELS = 8;
  /** Worst points named under the x axis. */
  static final int NAMED = 6;
  static final String[] COLORS = {"#2d6ebe", "#e07b00", "#2e8b57", "#8e44ad", "#c0392b", "#607d8b"};

  /**
   * One marker. {@code bound}: the tolerance as applied to this tensor, drawn as a short dash (NaN: none);
   * {@code hollow}: drawn as an open square (used for the zero-reference rule).
   */
  record Point(double x, double y, String series, String title, String label, boolean failing, double bound,
      boolean hollow) {}

  /** A horizontal reference line across the plot (a budget), or a vertical one at x (the first divergence). */
  record Rule(boolean vertical, double at, String label, String color) {}

  private ScatterSvg() {}

  static String render(String id, String title, String yTitle, List<Point> points, int xMax, List<Rule> rules) {
    Scale sc = Scale.of(points, rules, xMax);
    StringBuilder sb = new StringBuilder(64 * points.size() + 4096);
    frame(sb, id, title, yTitle, sc);
    rules(sb, rules, sc);
    Map<String, String> colors = new LinkedHashMap<>();
    for (Point p : points) {
      colors.computeIfAbsent(p.series(), k -> COLORS[colors.size() % COLORS.length]);
    }
    markers(sb, points, colors, sc);
    worst(sb, points, sc);
    legend(sb, colors);
    return sb.toString();
  }

  /**
   * Where values land: decades yLo..yHi on the log y axis (labels every step decades), positions 0..xMax on x, and
   * the bands for exact zeros (under the plot) and non-finite values (over it).
   */
  private record Scale(int yLo, int yHi, int step, int xMax, double plotW, double plotH, double zeroBand,
      double infBand) {
    static Scale of(List<Point> points, List<Rule> rules, int xMax) {
      double lo = Double.POSITIVE_INFINITY;
      double hi = 0;
      for (Point p : points) {
        for (double v : new double[] {p.y(), p.bound()}) {
          if (v > 0 && Double.isFinite(v)) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
          }
        }
      }
      for (Rule r : rules) {
        if (!r.vertical() && r.at() > 0 && Double.isFinite(r.at())) {
          lo = Math.min(lo, r.at());
          hi = Math.max(hi, r.at());
        }
      }
      if (!(hi > 0)) {
        lo = 1e-8;
        hi = 1;
      }
      int dLo = (int) Math.floor(Math.log10(lo));
      int dHi = (int) Math.ceil(Math.log10(hi));
      if (dHi <= dLo) {
        dHi = dLo + 1;
      }
      int step = Math.max(1, (int) Math.ceil((dHi - dLo) / (double) MAX_Y_LABELS));
      // whole steps, so that the first and last labels are on the axis ends
      dLo = Math.floorDiv(dLo, step) * step;
      dHi = dLo + (int) Math.ceil((dHi - dLo) / (double) step) * step;
      double plotH = HEIGHT - TOP - BOTTOM;
      return new Scale(dLo, dHi, step, xMax, WIDTH - LEFT - RIGHT, plotH, TOP + plotH + 16, TOP - 14);
    }

    double px(double x) {
      return LEFT + plotW * (xMax <= 0 ? 0.5 : x / xMax);
    }

    double py(double v) {
      if (v == 0) {
        return zeroBand;
      }
      if (!Double.isFinite(v)) {
        return infBand;
      }
      return TOP + plotH * (1 - (Math.log10(v) - yLo) / (double) (yHi - yLo));
    }
  }

  /** Background, title and both axes with their labels. */
  private static void frame(StringBuilder sb, String id, String title, String yTitle, Scale sc) {
    sb.append("<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"").append(id).append("\" class=\"chart scatter\"")
        .append(" role=\"img\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(HEIGHT).append("\">\n");
    sb.append("<title>").append(Html.esc(title)).append("</title>\n");
    sb.append("<rect x=\"0\" y=\"0\" width=\"").append(WIDTH).append("\" height=\"").append(HEIGHT)
        .append("\" fill=\"#fff\"/>\n");
    sb.append("<rect x=\"").append(LEFT).append("\" y=\"").append(TOP).append("\" width=\"").append(f(sc.plotW()))
        .append("\" height=\"").append(f(sc.plotH())).append("\" fill=\"#fafafc\" stroke=\"#c8ccd2\"/>\n");
    text(sb, WIDTH / 2.0, 18, "middle", 15, title, null);
    // y axis: one gridline and label per step of decades
    sb.append("<g class=\"yaxis\" font-size=\"11\" fill=\"#333\">\n");
    for (int d = sc.yLo(); d <= sc.yHi(); d += sc.step()) {
      double y = sc.py(Math.pow(10, d));
      sb.append("<line x1=\"").append(LEFT).append("\" x2=\"").append(f(LEFT + sc.plotW())).append("\" y1=\"")
          .append(f(y)).append("\" y2=\"").append(f(y)).append("\" stroke=\"#e1e4e8\"/>");
      text(sb, LEFT - 6, y + 4, "end", 11, "1e" + d, null);
      sb.append('\n');
    }
    text(sb, LEFT - 6, sc.zeroBand() + 4, "end", 11, "0", null);
    text(sb, LEFT - 6, sc.infBand() + 4, "end", 11, "inf/nan", null);
    sb.append("</g>\n");
    sb.append("<text x=\"16\" y=\"").append(f(TOP + sc.plotH() / 2))
        .append("\" font-size=\"12\" text-anchor=\"middle\"").append(" transform=\"rotate(-90 16 ")
        .append(f(TOP + sc.plotH() / 2)).append(")\">").append(Html.esc(yTitle)).append("</text>\n");
    // x axis: about ten ticks at round positions
    int xStep = niceStep(Math.max(1, sc.xMax()) / 10.0);
    sb.append("<g class=\"xaxis\" font-size=\"11\" fill=\"#333\">\n");
    for (int x = 0; x <= sc.xMax(); x += xStep) {
      double X = sc.px(x);
      sb.append("<line x1=\"").append(f(X)).append("\" x2=\"").append(f(X)).append("\" y1=\"")
          .append(f(TOP + sc.plotH())).append("\" y2=\"").append(f(TOP + sc.plotH() + 4)).append("\" stroke=\"#888\"/>");
      text(sb, X, TOP + sc.plotH() + 30, "middle", 11, Integer.toString(x), null);
      sb.append('\n');
    }
    sb.append("</g>\n");
    text(sb, LEFT + sc.plotW(), HEIGHT - 6, "end", 12, "tensor position (reference topological order)", null);
  }

  /** Vertical rules (the first divergence) and horizontal ones with their labels. */
  private static void rules(StringBuilder sb, List<Rule> rules, Scale sc) {
    for (Rule r : rules) {
      if (r.vertical()) {
        double X = sc.px(r.at());
        sb.append("<line class=\"rule\" x1=\"").append(f(X)).append("\" x2=\"").append(f(X)).append("\" y1=\"")
            .append(TOP).append("\" y2=\"").append(f(TOP + sc.plotH())).append("\" stroke=\"").append(r.color())
            .append("\" stroke-width=\"1.5\"><title>").append(Html.esc(r.label())).append("</title></line>\n");
      } else {
        double Y = sc.py(r.at());
        sb.append("<line class=\"rule\" x1=\"").append(LEFT).append("\" x2=\"").append(f(LEFT + sc.plotW()))
            .append("\" y1=\"").append(f(Y)).append("\" y2=\"").append(f(Y)).append("\" stroke=\"").append(r.color())
            .append("\" stroke-dasharray=\"6 4\"><title>").append(Html.esc(r.label())).append("</title></line>\n");
        text(sb, LEFT + sc.plotW() - 4, Y - 4, "end", 11, r.label(), r.color());
      }
    }
  }

  /** Each point's tolerance mark under the points, then the points, one group per series. */
  private static void markers(StringBuilder sb, List<Point> points, Map<String, String> colors, Scale sc) {
    // tolerance marks under the points
    sb.append("<g class=\"bounds\" stroke=\"#777\" stroke-width=\"1.2\">\n");
    for (Point p : points) {
      if (p.bound() > 0 && Double.isFinite(p.bound())) {
        double X = sc.px(p.x());
        double Y = sc.py(p.bound());
        sb.append("<line x1=\"").append(f(X - 4)).append("\" x2=\"").append(f(X + 4)).append("\" y1=\"").append(f(Y))
            .append("\" y2=\"").append(f(Y)).append("\"/>");
      }
    }
    sb.append("\n</g>\n");
    for (Map.Entry<String, String> s : colors.entrySet()) {
      sb.append("<g class=\"series\" data-series=\"").append(Html.esc(s.getKey())).append("\" fill=\"")
          .append(s.getValue()).append("\" stroke=\"").append(s.getValue()).append("\">\n");
      for (Point p : points) {
        if (!p.series().equals(s.getKey())) {
          continue;
        }
        double X = sc.px(p.x());
        double Y = sc.py(p.y());
        String cls = p.failing() ? "pt fail" : "pt";
        if (p.hollow()) {
          sb.append("<rect class=\"").append(cls).append("\" x=\"").append(f(X - 3)).append("\" y=\"").append(f(Y - 3))
              .append("\" width=\"6\" height=\"6\" fill=\"none\"");
        } else {
          sb.append("<circle class=\"").append(cls).append("\" cx=\"").append(f(X)).append("\" cy=\"").append(f(Y))
              .append("\" r=\"3\"");
        }
        if (p.failing()) {
          sb.append(" stroke=\"#c00\" stroke-width=\"2\"");
        }
        sb.append("><title>").append(Html.esc(p.title())).append("</title>").append(p.hollow() ? "</rect>" : "</circle>")
            .append('\n');
      }
      sb.append("</g>\n");
    }
  }

  /** The worst points named under the axis (one name per position). */
  private static void worst(StringBuilder sb, List<Point> points, Scale sc) {
    List<Point> worst = new ArrayList<>(points);
    worst.removeIf(p -> !(p.y() > 0));
    worst.sort(Comparator.comparingDouble((Point p) -> Double.isFinite(p.y()) ? p.y() : Double.MAX_VALUE).reversed());
    List<Double> named = new ArrayList<>();
    sb.append("<g class=\"worst\" font-size=\"10\" fill=\"#b3261e\">\n");
    for (Point p : worst) {
      if (named.size() >= NAMED) {
        break;
      }
      if (named.contains(p.x())) {
        continue;
      }
      named.add(p.x());
      double X = sc.px(p.x());
      double Y0 = TOP + sc.plotH() + 36;
      sb.append("<line x1=\"").append(f(X)).append("\" x2=\"").append(f(X)).append("\" y1=\"")
          .append(f(sc.py(p.y()))).append("\" y2=\"").append(f(TOP + sc.plotH())).append("\" stroke=\"#b3261e\"")
          .append(" stroke-opacity=\"0.35\" stroke-dasharray=\"2 3\"/>");
      sb.append("<text class=\"name\" x=\"").append(f(X)).append("\" y=\"").append(f(Y0))
          .append("\" text-anchor=\"end\" transform=\"rotate(-35 ").append(f(X)).append(' ').append(f(Y0)).append(")\">")
          .append(Html.esc(ConsoleReport.clip(p.label()))).append("<title>").append(Html.esc(p.title()))
          .append("</title></text>\n");
    }
    sb.append("</g>\n");
  }

  private static void legend(StringBuilder sb, Map<String, String> colors) {
    double lx = LEFT + 4;
    sb.append("<g class=\"legend\" font-size=\"11\">\n");
    for (Map.Entry<String, String> s : colors.entrySet()) {
      sb.append("<circle cx=\"").append(f(lx + 5)).append("\" cy=\"").append(TOP - 26).append("\" r=\"4\" fill=\"")
          .append(s.getValue()).append("\"/>");
      text(sb, lx + 13, TOP - 22, "start", 11, s.getKey(), null);
      lx += 24 + 6.5 * s.getKey().length();
      sb.append('\n');
    }
    sb.append("</g>\n</svg>");
  }

  private static void text(StringBuilder sb, double x, double y, String anchor, int size, String s, String color) {
    sb.append("<text x=\"").append(f(x)).append("\" y=\"").append(f(y)).append("\" text-anchor=\"").append(anchor)
        .append("\" font-size=\"").append(size).append('"');
    if (color != null) {
      sb.append(" fill=\"").append(color).append('"');
    }
    sb.append('>').append(Html.esc(s)).append("</text>");
  }

  /** 1, 2 or 5 times a power of ten, at least {@code raw}. */
  static int niceStep(double raw) {
    double p = Math.pow(10, Math.floor(Math.log10(Math.max(1, raw))));
    for (int m : new int[] {1, 2, 5, 10}) {
      if (m * p >= raw) {
        return (int) Math.max(1, m * p);
      }
    }
    return (int) (10 * p);
  }

  private static String f(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }
}
