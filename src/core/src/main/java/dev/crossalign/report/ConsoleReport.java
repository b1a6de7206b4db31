package dev.crossalign.report;

import dev.crossalign.align.AlignmentResult;
import dev.crossalign.align.Comparison;
import dev.crossalign.align.ErrorScale;
import dev.crossalign.align.Metrics;
import dev.crossalign.UnsupportedOp;
import dev.crossalign.align.Verdict;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The human-facing summary: a table of the worst comparisons (failing first, then by rel_l2 descending), the first
 * divergence with the seed's alignment checks (means, mean and sum of the difference, ranges, distinct values), the
 * unsupported ops, the notes, and a one-line verdict last. Plain ASCII, "\n" line ends, no colour.
 */
public final class ConsoleReport {
  static final int MAX_NAME = 40;
  private static final String[] HEADER = {"tensor", "op", "pair", "mode", "max_abs", "rel_l2", "cosine", "pass"};

  private ConsoleReport() {}

  /**
   * Renders {@code result}; the table holds at most {@code maxRows} comparisons (0 leaves the table out), followed by
   * a line saying how many were left out.
   */
  public static String render(AlignmentResult result, int maxRows) {
    if (maxRows < 0) {
      throw new IllegalArgumentException("maxRows must be >= 0, got " + maxRows);
    }
    StringBuilder sb = new StringBuilder();
    List<Comparison> sorted = result.worstFirst();
    if (maxRows > 0 && !sorted.isEmpty()) {
      List<Comparison> shown = sorted.subList(0, Math.min(maxRows, sorted.size()));
      table(sb, shown);
      if (sorted.size() > maxRows) {
        sb.append("(").append(sorted.size() - maxRows).append(" more comparisons not shown)\n");
      }
      if (shown.stream().anyMatch(c -> c.metrics() != null && ErrorScale.zeroReference(c.metrics()))) {
        sb.append("(zero ref: ").append(ErrorScale.rule()).append(")\n");
      }
      sb.append('\n');
    }
    notCompared(sb, sorted, maxRows);
    Comparison first = result.firstDivergence();
    if (first != null) {
      sb.append("First divergence: ");
      seedChecks(sb, first);
      for (Comparison other : result.firstDivergences()) {
        if (other != first) {
          sb.append("  first in ").append(other.pair()).append(' ').append(other.mode().jsonName()).append(": '")
              .append(other.name()).append("' (").append(other.op()).append(", index ").append(other.index())
              .append(")\n");
        }
      }
    } else {
      Comparison worst = sorted.stream().filter(c -> c.metrics() != null).findFirst().orElse(null);
      if (worst != null) {
        sb.append("Largest difference: ");
        seedChecks(sb, worst);
      }
    }
    if (!result.unsupported().isEmpty()) {
      sb.append("Unsupported ops:\n");
      for (UnsupportedOp u : result.unsupported()) {
        sb.append("  ").append(u.op()).append(" x").append(u.count()).append(": ").append(u.reason()).append('\n');
      }
    }
    if (!result.notes().isEmpty()) {
      sb.append("Notes:\n");
      for (String n : result.notes()) {
        sb.append("  - ").append(n).append('\n');
      }
    }
    sb.append(verdictLine(result)).append('\n');
    return sb.toString();
  }

  /**
   * "ALIGNED: 255 comparisons (tflite~torch 165 chained + 90 isolated), 12 weight tensors checked once per pair, max
   * rel_l2 3.1e-07 (atol 1e-05, rtol 0.0001)" and its siblings: the counts are the comparisons actually made.
   */
  public static String verdictLine(AlignmentResult r) {
    double maxRel = 0;
    boolean anyCompared = false;
    List<Comparison> compared = new ArrayList<>();
    for (Comparison c : r.comparisons()) {
      if (c.status() != Comparison.Status.COMPARED) {
        continue;
      }
      anyCompared = true;
      compared.add(c);
      // rel_l2 of a numerically zero reference says nothing (ErrorScale): left out of the max; NaN: no finite pair
      // (all NaN/Inf), counted below as non-finite instead
      if (!ErrorScale.zeroReference(c.metrics()) && !Double.isNaN(c.metrics().relL2())) {
        maxRel = Math.max(maxRel, c.metrics().relL2());
      }
    }
    String tol = "(atol " + Numbers.shortest(r.tolerance().atol()) + ", rtol " + Numbers.shortest(r.tolerance().rtol())
        + ")";
    String extent = r.counts().describe();
    long nonFinite = compared.stream().filter(c -> c.metrics().hasNonFinite()).count();
    long nonFiniteFailing = compared.stream().filter(c -> c.metrics().hasNonFinite() && !c.passed()).count();
    String maxRelText = "max rel_l2 " + Numbers.sci(maxRel, 1) + (nonFinite == 0 ? ""
        : " over finite values; " + nonFinite + (nonFinite == 1 ? " comparison" : " comparisons") + " with NaN/Inf ("
            + nonFiniteFailing + " failing" + (r.tolerance().acceptNonFinite() ? ", matching NaN/Inf accepted" : "")
            + ")");
    Verdict v = r.verdict();
    switch (v) {
      case ALIGNED:
        return "ALIGNED: " + extent + ", " + maxRelText + " " + tol;
      case MISALIGNED: {
        long failing = r.comparisons().stream().filter(c -> !c.passed()).count();
        Comparison f = r.firstDivergence();
        return "MISALIGNED: " + failing + " of " + plural(r.comparisons().size(), "comparison") + " fail"
            + (f == null ? "" : ", first at '" + f.name() + "' (" + f.pair() + ", " + f.mode().jsonName() + ")")
            + "; compared: " + extent + ", " + maxRelText + " " + tol;
      }
      default: {
        String why = r.unsupported().isEmpty()
            ? (anyCompared ? "model outputs could not be paired (see notes)" : "nothing could be compared")
            : "unsupported ops " + r.unsupported().stream().map(u -> u.op() + " x" + u.count())
                .collect(Collectors.joining(", "));
        return "INCOMPLETE: " + why + "; " + (anyCompared ? extent + " compared" : "no tensor compared");
      }
    }
  }

  private static String plural(int n, String word) {
    return n + " " + word + (n == 1 ? "" : "s");
  }

  private static void table(StringBuilder sb, List<Comparison> rows) {
    List<String[]> cells = new ArrayList<>();
    cells.add(HEADER);
    for (Comparison c : rows) {
      Metrics m = c.metrics();
      cells.add(new String[] {
          clip(c.name()),
          c.op(),
          c.pair(),
          c.mode().jsonName(),
          m == null ? "-" : Numbers.sci(m.maxAbs(), 2),
          m == null ? "-" : ErrorScale.zeroReference(m) ? "zero ref" : Numbers.sci(m.relL2(), 2),
          m == null || ErrorScale.zeroReference(m) ? "-" : Numbers.fixed(m.cosine(), 7),
          passText(c)
      });
    }
    int[] w = new int[HEADER.length];
    for (String[] row : cells) {
      for (int i = 0; i < row.length; i++) {
        w[i] = Math.max(w[i], row[i].length());
      }
    }
    for (String[] row : cells) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < row.length; i++) {
        if (i > 0) {
          line.append("  ");
        }
        boolean numeric = i >= 4 && i <= 6;
        String pad = " ".repeat(w[i] - row[i].length());
        line.append(numeric ? pad + row[i] : row[i] + (i == row.length - 1 ? "" : pad));
      }
      sb.append(line.toString().stripTrailing()).append('\n');
    }
  }

  /** Why tensors could not be compared: one line per tensor, pair and reason (the modes usually agree). */
  private static void notCompared(StringBuilder sb, List<Comparison> sorted, int maxRows) {
    Set<String> seen = new LinkedHashSet<>();
    List<String> lines = new ArrayList<>();
    for (Comparison c : sorted) {
      if (c.status() != Comparison.Status.COMPARED) {
        String line = "  '" + c.name() + "' " + c.pair() + ": " + c.status().jsonName()
            + (c.detail() == null ? "" : ", " + c.detail());
        if (seen.add(line)) {
          lines.add(line);
        }
      }
    }
    if (lines.isEmpty()) {
      return;
    }
    sb.append("Not compared:\n");
    int shown = Math.min(lines.size(), Math.max(maxRows, 1));
    for (String l : lines.subList(0, shown)) {
      sb.append(l).append('\n');
    }
    if (lines.size() > shown) {
      sb.append("  (").append(lines.size() - shown).append(" more)\n");
    }
    sb.append('\n');
  }

  private static String passText(Comparison c) {
    return switch (c.status()) {
      case COMPARED -> c.metrics().pass() ? "yes" : "NO";
      case SHAPE_MISMATCH -> "NO (shape)";
      case MISSING -> "NO (missing)";
    };
  }

  /** Long names keep their end, which is the specific part ("model/block_3/conv/BiasAdd"). */
  static String clip(String name) {
    return name.length() <= MAX_NAME ? name : "..." + name.substring(name.length() - (MAX_NAME - 3));
  }

  private static void seedChecks(StringBuilder sb, Comparison c) {
    sb.append("'").append(c.name()).append("' (").append(c.op()).append(", index ").append(c.index())
        .append(", shape ").append(c.shape()).append("), ").append(c.pair()).append(", ").append(c.mode().jsonName())
        .append('\n');
    Metrics m = c.metrics();
    if (m == null) {
      sb.append("  status ").append(c.status().jsonName());
      if (c.detail() != null) {
        sb.append(": ").append(c.detail());
      }
      sb.append('\n');
      return;
    }
    if (ErrorScale.zeroReference(m)) {
      sb.append("  zero ref  max|ref| ").append(Numbers.sci(ErrorScale.maxAbsRef(m), 2)).append(" < ")
          .append(Numbers.shortest(ErrorScale.NEGLIGIBLE)).append(": judged by max_abs ")
          .append(Numbers.sci(m.maxAbs(), 2)).append("; rel_l2 and cosine say nothing here\n");
    }
    sb.append("  mean      ref ").append(Numbers.sci(m.meanRef(), 4)).append("   cand ")
        .append(Numbers.sci(m.meanCand(), 4)).append('\n');
    sb.append("  diff      mean ").append(Numbers.sci(m.meanDiff(), 4)).append("   sum ")
        .append(Numbers.sci(m.sumDiff(), 4)).append("   max_abs ").append(Numbers.sci(m.maxAbs(), 4))
        .append("   rel_l2 ").append(Numbers.sci(m.relL2(), 4)).append('\n');
    sb.append("  range     ref [").append(Numbers.sci(m.minRef(), 4)).append(", ").append(Numbers.sci(m.maxRef(), 4))
        .append("]   cand [").append(Numbers.sci(m.minCand(), 4)).append(", ").append(Numbers.sci(m.maxCand(), 4))
        .append("]\n");
    sb.append("  distinct  ref ").append(distinct(m.distinctRef())).append("   cand ")
        .append(distinct(m.distinctCand())).append('\n');
    if (m.nanRef() + m.nanCand() + m.infRef() + m.infCand() > 0) {
      sb.append("  nan/inf   ref ").append(m.nanRef()).append('/').append(m.infRef()).append("   cand ")
          .append(m.nanCand()).append('/').append(m.infCand()).append("   mismatched non-finite ")
          .append(m.nonFiniteMismatch()).append('\n');
      sb.append("  first     nan/inf ref at flat ").append(m.firstNonFiniteRef()).append("   cand at flat ")
          .append(m.firstNonFiniteCand()).append(" (-1: none)\n");
    }
    if (m.argmax() >= 0) {
      sb.append("  worst     at ").append(m.argmaxIndex()).append(" (flat ").append(m.argmax()).append("): ref ")
          .append(Numbers.sci(m.refAtArgmax(), 6)).append("   cand ").append(Numbers.sci(m.candAtArgmax(), 6))
          .append('\n');
    }
    sb.append("  failing   ").append(m.outOfTolerance() + m.nonFiniteMismatch()).append(" of ").append(m.count())
        .append(" elements");
    if (!m.pass() && m.hasNonFinite() && m.nonFiniteMismatch() == 0 && m.outOfTolerance() == 0) {
      sb.append("; NaN/Inf on both sides at the same positions, not accepted (--accept-nonfinite)");
    }
    if (c.permutation() != null) {
      sb.append("   (candidate permuted by ").append(c.permutation()).append(')');
    }
    sb.append('\n');
  }

  private static String distinct(int n) {
    if (n < 0) {
      return "-"; // not counted: a continuous tensor that passed
    }
    return n >= Metrics.DISTINCT_CAP ? ">=" + Metrics.DISTINCT_CAP : Integer.toString(n);
  }
}
