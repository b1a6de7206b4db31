package dev.crossalign.engine.batch;

import dev.crossalign.engine.bench.BackendStats;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The rows a batch ran, cut into ten tenths in manifest order, with each tenth's median CPU time per row
 * ({@code cpu_ms}: the worker process's user + system time, what the row cost whatever else held the cores) and median
 * wall time per row ({@code timing_ms.total}). A batch whose rows grow dearer as it goes (heap growth, a native leak, a
 * worker that slows) shows as a last/first ratio above 1; the ratio compares like with like only when the first and
 * the last tenth hold the same rows (the same models with the same backends, as many of each: {@link #sameMix}), as in
 * a manifest that repeats one cycle of models whose length divides a tenth.
 *
 * @param cpuMedianMs the ten tenths' median CPU time per row, ms (NaN for a tenth with no CPU time: thread isolation,
 *     or only crashed rows)
 * @param wallMedianMs the ten tenths' median wall time per row, ms
 * @param firstRows rows in the first tenth
 * @param lastRows rows in the last tenth
 * @param sameMix whether the first and the last tenth hold the same multiset of (model, backends) rows
 */
public record Tenths(List<Double> cpuMedianMs, List<Double> wallMedianMs, int firstRows, int lastRows,
    boolean sameMix) {
  public Tenths {
    cpuMedianMs = List.copyOf(cpuMedianMs);
    wallMedianMs = List.copyOf(wallMedianMs);
  }

  /**
   * The tenths of {@code rows} (manifest order) by their results; rows without a result are left out. Null when fewer
   * than 10 rows have results.
   */
  static Tenths of(List<ManifestRow> rows, Map<Integer, RowResult> results) {
    List<ManifestRow> done = new ArrayList<>();
    for (ManifestRow r : rows) {
      if (results.containsKey(r.row())) {
        done.add(r);
      }
    }
    int n = done.size();
    if (n < 10) {
      return null;
    }
    List<Double> cpu = new ArrayList<>();
    List<Double> wall = new ArrayList<>();
    for (int t = 0; t < 10; t++) {
      List<ManifestRow> tenth = done.subList(t * n / 10, (t + 1) * n / 10);
      List<Double> c = new ArrayList<>();
      List<Double> w = new ArrayList<>();
      for (ManifestRow r : tenth) {
        RowResult res = results.get(r.row());
        if (res.cpuMs() != null) {
          c.add(res.cpuMs());
        }
        if (!Double.isNaN(res.wallMs())) {
          w.add(res.wallMs());
        }
      }
      cpu.add(median(c));
      wall.add(median(w));
    }
    List<ManifestRow> first = done.subList(0, n / 10);
    List<ManifestRow> last = done.subList(9 * n / 10, n);
    return new Tenths(cpu, wall, first.size(), last.size(), mix(first).equals(mix(last)));
  }

  /** The last tenth's median CPU time per row over the first's (NaN without CPU times). */
  public double cpuRatio() {
    return cpuMedianMs.get(9) / cpuMedianMs.get(0);
  }

  /** The last tenth's median wall time per row over the first's. */
  public double wallRatio() {
    return wallMedianMs.get(9) / wallMedianMs.get(0);
  }

  /** How many rows of each (model, backends cell). */
  private static Map<String, Integer> mix(List<ManifestRow> rows) {
    Map<String, Integer> m = new HashMap<>();
    for (ManifestRow r : rows) {
      m.merge(r.modelLabel() + "\u0000" + r.backends(), 1, Integer::sum);
    }
    return m;
  }

  /** The median (the mean of the middle two for an even count); NaN for none. */
  static double median(List<Double> values) {
    return BackendStats.percentile(values.stream().mapToDouble(Double::doubleValue).sorted().toArray(), 50);
  }
}
