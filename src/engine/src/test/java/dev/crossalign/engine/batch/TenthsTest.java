package dev.crossalign.engine.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The summary's tenths: medians by tenth in manifest order, the first/last ratios, and the same-mix check. */
class TenthsTest {
  /** Rows cycling over {@code models} models, row i of model i % models. */
  private static List<ManifestRow> cycle(int n, int models) {
    List<ManifestRow> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      rows.add(new ManifestRow(i + 1, Path.of("m" + (i % models) + ".tflite"), i, null, null, null, null));
    }
    return rows;
  }

  private static RowResult result(ManifestRow r, double wallMs, Double cpuMs) {
    TreeMap<String, Double> timing = new TreeMap<>();
    timing.put("total", wallMs);
    return new RowResult(r.row(), r.modelLabel(), r.seed(), "aligned", 0, 1e-7, null, 3, null, null, timing,
        List.of(), cpuMs);
  }

  @Test
  void mediansByTenthInManifestOrderAndTheirRatios() {
    // 300 rows over 5 models: model k costs (k + 1) s of CPU and twice that of wall; the last tenth's rows cost 1.5x
    List<ManifestRow> rows = cycle(300, 5);
    Map<Integer, RowResult> results = new HashMap<>();
    for (ManifestRow r : rows) {
      int k = (r.row() - 1) % 5;
      double f = r.row() > 270 ? 1.5 : 1;
      results.put(r.row(), result(r, 2000.0 * (k + 1) * f, 1000.0 * (k + 1) * f));
    }
    Tenths t = Tenths.of(rows, results);
    assertThat(t.firstRows()).isEqualTo(30);
    assertThat(t.lastRows()).isEqualTo(30);
    assertThat(t.sameMix()).isTrue();
    // each tenth: 6 rows of each model, so the median is model 2's cost (the middle of 1..5 s)
    assertThat(t.cpuMedianMs().subList(0, 9)).containsOnly(3000.0);
    assertThat(t.cpuMedianMs().get(9)).isEqualTo(4500.0);
    assertThat(t.wallMedianMs().get(0)).isEqualTo(6000.0);
    assertThat(t.cpuRatio()).isCloseTo(1.5, within(1e-12));
    assertThat(t.wallRatio()).isCloseTo(1.5, within(1e-12));
  }

  @Test
  void aCycleThatDoesNotDivideATenthIsNotTheSameMix() {
    // 14 models over 300 rows (the last session's manifest): tenths of 30 rows hold different models twice
    List<ManifestRow> rows = cycle(300, 14);
    Map<Integer, RowResult> results = new HashMap<>();
    rows.forEach(r -> results.put(r.row(), result(r, 10, 5.0)));
    assertThat(Tenths.of(rows, results).sameMix()).isFalse();
    // the same models with another backends cell in the last tenth only: not the same mix either
    List<ManifestRow> five = cycle(300, 5);
    List<ManifestRow> changed = new ArrayList<>(five.subList(0, 299));
    ManifestRow last = five.get(299);
    changed.add(new ManifestRow(last.row(), last.model(), last.seed(), null, null, null,
        List.of("tflite", "torch", "onnxruntime")));
    Map<Integer, RowResult> r5 = new HashMap<>();
    changed.forEach(r -> r5.put(r.row(), result(r, 10, 5.0)));
    assertThat(Tenths.of(five, r5).sameMix()).isTrue();
    assertThat(Tenths.of(changed, r5).sameMix()).isFalse();
  }

  @Test
  void rowsWithoutCpuTimeAreLeftOutOfTheCpuMediansAndTooFewRowsHaveNoTenths() {
    List<ManifestRow> rows = cycle(20, 2);
    Map<Integer, RowResult> results = new HashMap<>();
    for (ManifestRow r : rows) {
      // rows 1 and 2 (the first tenth): one crashed row without CPU time, one with 700 ms
      results.put(r.row(), result(r, 100.0 * r.row(), r.row() == 1 ? null : 700.0 + r.row()));
    }
    Tenths t = Tenths.of(rows, results);
    assertThat(t.firstRows()).isEqualTo(2);
    assertThat(t.cpuMedianMs().get(0)).isEqualTo(702.0);
    assertThat(t.wallMedianMs().get(0)).isEqualTo(150.0); // median of 100 and 200
    assertThat(t.cpuMedianMs().get(9)).isEqualTo(719.5); // rows 19 and 20
    // only rows with results count: 9 rows run are too few for tenths
    Map<Integer, RowResult> nine = new HashMap<>();
    rows.subList(0, 9).forEach(r -> nine.put(r.row(), results.get(r.row())));
    assertThat(Tenths.of(rows, nine)).isNull();
    // thread isolation: no CPU times at all, NaN medians, wall still there
    Map<Integer, RowResult> noCpu = new HashMap<>();
    rows.forEach(r -> noCpu.put(r.row(), result(r, 100, null)));
    Tenths w = Tenths.of(rows, noCpu);
    assertThat(w.cpuRatio()).isNaN();
    assertThat(w.wallRatio()).isEqualTo(1.0);
  }

  @Test
  void cpuTimeAndTimingSurviveTheJsonLine() throws Exception {
    ManifestRow r = cycle(1, 1).get(0);
    RowResult withCpu = result(r, 1234.5, 987.0);
    String json = withCpu.toJson();
    assertThat(json).contains("\"cpu_ms\":987.0");
    RowResult back = RowResult.parse(json);
    assertThat(back.cpuMs()).isEqualTo(987.0);
    assertThat(back.wallMs()).isEqualTo(1234.5);
    String none = result(r, 5, null).toJson();
    assertThat(none).contains("\"cpu_ms\":null");
    assertThat(RowResult.parse(none).cpuMs()).isNull();
    // a line of an older batch (no cpu_ms, no timing) still reads, for --resume
    RowResult old = RowResult.parse("{\"row\":1,\"model\":\"demo\",\"seed\":0,\"exit_status\":0}");
    assertThat(old.cpuMs()).isNull();
    assertThat(old.wallMs()).isNaN();
  }
}
