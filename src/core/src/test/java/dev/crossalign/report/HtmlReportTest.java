package dev.crossalign.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.crossalign.CrossalignException;
import dev.crossalign.align.AlignmentResult;
import dev.crossalign.align.Comparison;
import java.awt.GraphicsEnvironment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HtmlReportTest {
  static {
    // what a server or CI has: no display. XChart must draw its SVG all the same.
    System.setProperty("java.awt.headless", "true");
  }

  static AlignmentResult big;
  static String html;

  @BeforeAll
  static void render() {
    big = HtmlFixtures.big();
    html = HtmlReport.render(big);
  }

  @Test
  void runsHeadless() {
    assertThat(GraphicsEnvironment.isHeadless()).isTrue();
    assertThat(html).doesNotContain("chart not drawn");
  }

  @Test
  void fixtureIsWhatTheTestsAssume() {
    assertThat(big.comparisons()).hasSize(600);
    Comparison fd = big.firstDivergence();
    assertThat(fd.name()).isEqualTo(HtmlFixtures.BAD_NAME);
    assertThat(fd.pair()).isEqualTo("tflite~torch");
  }

  @Test
  void hasInlineSvgChartsAndNoRemoteReference() {
    // two per-tensor charts (max_abs, rel_l2) and the fallback bar chart: no error sample was given
    assertThat(count(html, "<svg")).isEqualTo(3);
    assertThat(html).contains("Largest max_abs (tflite~torch chained)");
    assertThat(html).doesNotContainPattern("(?i)(src|href|action|poster)\\s*=\\s*[\"']?\\s*(https?:)?//");
    assertThat(html).doesNotContainPattern("(?i)url\\(\\s*[\"']?\\s*(https?:)?//");
    assertThat(html).doesNotContainPattern("(?i)<link|@import|<iframe|<object|<embed");
    // the only absolute URLs are the SVG namespace names, which are identifiers, never fetched
    String noNs = html.replaceAll("xmlns(:\\w+)?=\"http://www\\.w3\\.org/[^\"]*\"", "");
    assertThat(noNs).doesNotContain("http://").doesNotContain("https://");
    // the SVG prolog and its external DTD are gone
    assertThat(html).doesNotContain("<!DOCTYPE svg").doesNotContain("<?xml");
  }

  @Test
  void clipPathIdsAreUniqueAndResolve() {
    Matcher m = Pattern.compile("id=\"([^\"]+)\"").matcher(html);
    java.util.Set<String> ids = new java.util.HashSet<>();
    while (m.find()) {
      assertThat(ids.add(m.group(1))).as("duplicate id %s", m.group(1)).isTrue();
    }
    Matcher u = Pattern.compile("url\\(#([^)]+)\\)").matcher(html);
    int refs = 0;
    while (u.find()) {
      assertThat(ids).contains(u.group(1));
      refs++;
    }
    assertThat(refs).isPositive();
  }

  @Test
  void tensorNamesAreEscaped() {
    assertThat(count(html, "<script")).isEqualTo(1);
    assertThat(html).doesNotContain("<img").doesNotContain("<b>markup");
    assertThat(html).contains("x&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"
        + "&amp;amp;&#39;");
    assertThat(html).contains("a note with &lt;b&gt;markup&lt;/b&gt;");
  }

  @Test
  void scriptIsAllowedByItsHashOnly() throws Exception {
    Matcher s = Pattern.compile("<script>(.*?)</script>", Pattern.DOTALL).matcher(html);
    assertThat(s.find()).isTrue();
    byte[] d = MessageDigest.getInstance("SHA-256").digest(s.group(1).getBytes(StandardCharsets.UTF_8));
    String expected = "script-src 'sha256-" + Base64.getEncoder().encodeToString(d) + "'";
    assertThat(html).contains("default-src 'none'").contains(expected);
  }

  @Test
  void scriptAndStyleAreTheResourceFilesAndTheHashFollowsTheirBytes() throws Exception {
    // read the files from the source tree, not through HtmlReport: the page must carry them byte for byte, and the
    // CSP hash must be that of the script file's bytes (a hash of some other text would block the sorting)
    Path dir = Path.of("src/core/src/main/resources/dev/crossalign/report");
    byte[] js = Files.readAllBytes(dir.resolve("report.js"));
    String css = Files.readString(dir.resolve("report.css"), StandardCharsets.UTF_8);
    assertThat(js[js.length - 1]).as("report.js ends in a line break").isEqualTo((byte) '\n');
    String script = "\n" + new String(js, StandardCharsets.UTF_8);
    assertThat(html).contains("<script>" + script + "</script>");
    assertThat(html).contains("<style>\n" + css + "</style>");
    byte[] d = MessageDigest.getInstance("SHA-256").digest(script.getBytes(StandardCharsets.UTF_8));
    assertThat(html).contains("script-src 'sha256-" + Base64.getEncoder().encodeToString(d) + "'");
  }

  @Test
  void tableHasOneRowPerComparisonWithTheNumbers() {
    String body = html.substring(html.indexOf("<tbody>"), html.indexOf("</tbody>"));
    assertThat(count(body, "<tr")).isEqualTo(600);
    // failing: torch chained from BAD on (53 tensors), torch isolated at BAD only
    assertThat(count(body, "<tr class=\"fail")).isEqualTo((HtmlFixtures.TENSORS - HtmlFixtures.BAD) + 1);
    assertThat(count(body, "<tr class=\"fail first\"")).isEqualTo(1);
    // the first divergence's row: |4.5 - 4| = 0.5; rel_l2 = 0.5 / ||1..64|| = 0.5 / sqrt(64*65*129/6)
    double relL2 = 0.5 / Math.sqrt(64.0 * 65 * 129 / 6);
    String first = body.substring(body.indexOf("<tr class=\"fail first\""));
    first = first.substring(0, first.indexOf("</tr>"));
    assertThat(first).contains(">" + HtmlFixtures.BAD + "<").contains(HtmlFixtures.BAD_NAME)
        .contains(">5.000e-01<").contains(">" + String.format(java.util.Locale.ROOT, "%.3e", relL2) + "<")
        .contains(">NO<");
  }

  @Test
  void seedChecksOfTheFirstDivergenceSideBySide() {
    String sec = html.substring(html.indexOf("<h2>First divergence</h2>"));
    sec = sec.substring(0, sec.indexOf("</table>"));
    // ref = 1..64, cand = ref with 4 -> 4.5: means 32.5 and 32.5 + 0.5/64, mean_diff 0.5/64, sum_diff 0.5
    assertThat(sec).contains("tflite (reference)").contains("torch (candidate)");
    assertThat(sec).contains(">3.250000e+01<").contains(">3.250781e+01<");
    assertThat(sec).contains("mean_diff 7.8125e-03").contains("sum_diff 5.0000e-01");
    assertThat(sec).contains(">1.000000e+00<").contains(">6.400000e+01<");
    // distinct: 64 values on each side (4.5 replaces 4)
    assertThat(sec).containsPattern("distinct values</th><td class=\"n\">64</td><td class=\"n\">64</td>");
    assertThat(sec).contains("worst element [0, 0, 0, 3]").contains(">4.000000e+00<").contains(">4.500000e+00<");
    assertThat(sec).contains("1 of 64");
  }

  @Test
  void histogramWhenAnErrorSampleIsGiven() {
    float[] sample = new float[1000];
    for (int i = 0; i < sample.length; i++) {
      sample[i] = i < 900 ? 0 : (i < 999 ? -3e-7f : 0.5f);
    }
    String h = HtmlReport.render(big, Map.of(HtmlFixtures.BAD_NAME, sample));
    assertThat(h).contains("Distribution of |error| in <code>" + HtmlFixtures.BAD_NAME + "</code>")
        .contains("1000 elements (tflite~torch chained), 900 exactly equal, 0 non-finite")
        .doesNotContain("Largest max_abs");
    assertThat(count(h, "<svg")).isEqualTo(3);
  }

  @Test
  void staysSmall() {
    // ~1 MB with 600 rows and three charts; dashed grid lines once made it 5 MB (each dash an outlined path)
    assertThat(html.length()).isLessThan(1_500_000);
  }

  @Test
  void sameResultSameBytes() {
    assertThat(HtmlReport.render(HtmlFixtures.big())).isEqualTo(html);
  }

  @Test
  void smallResultsRender() {
    String a = HtmlReport.render(ReportFixtures.aligned());
    assertThat(a).contains("<header class=\"verdict v-aligned\"><h1>ALIGNED</h1>").contains("<svg")
        .doesNotContain("chart not drawn").doesNotContain("First divergence");
    String m = HtmlReport.render(ReportFixtures.misaligned());
    assertThat(m).contains("v-misaligned").contains("CUSTOM_X").contains("NO (shape)")
        .doesNotContain("chart not drawn");
  }

  @Test
  void writesAtomically(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("report.html");
    Files.writeString(f, "old");
    HtmlReport.write(big, f);
    assertThat(Files.readString(f)).isEqualTo(html);
    try (Stream<Path> s = Files.list(dir)) {
      assertThat(s.map(p -> p.getFileName().toString()).toList()).isEqualTo(List.of("report.html"));
    }
    assertThatThrownBy(() -> HtmlReport.write(big, dir.resolve("no/such/dir/r.html")))
        .isInstanceOf(CrossalignException.class).hasMessageContaining("does not exist");
  }

  /** The inline SVG with this id. */
  static String svg(String page, String id) {
    int start = page.indexOf("<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"" + id + "\"");
    assertThat(start).as("svg " + id).isNotNegative();
    return page.substring(start, page.indexOf("</svg>", start));
  }

  @Test
  void scatterHasOneMarkerPerComparisonWithItsNameAndNoLines() {
    for (String id : List.of("k0", "k1")) {
      String svg = svg(html, id);
      assertThat(count(svg, "class=\"pt")).isEqualTo(600);
      // markers only: nothing joins them
      assertThat(svg).doesNotContain("<polyline").doesNotContain("<path");
      // every tensor is named in a tooltip (escaped)
      for (int i = 0; i < HtmlFixtures.TENSORS; i++) {
        assertThat(svg).contains("<title>" + Html.esc(HtmlFixtures.name(i)) + " (");
      }
      // the failing markers are ringed: torch chained from BAD on and torch isolated at BAD
      assertThat(count(svg, "class=\"pt fail\"")).isEqualTo((HtmlFixtures.TENSORS - HtmlFixtures.BAD) + 1);
    }
    // the worst tensor is named under the axis of the max_abs plot
    assertThat(svg(html, "k0")).contains("<text class=\"name\"").contains(">" + HtmlFixtures.BAD_NAME + "<title>");
  }

  @Test
  void theToleranceIsDrawnAsAppliedPerTensor() {
    // BAD: max|ref| = 64, worst element ref 4: bound = 1e-5 * 64 + 1e-4 * 4 = 1.04e-3
    String svg = svg(html, "k0");
    assertThat(svg).contains(HtmlFixtures.BAD_NAME + " (DEPTHWISE_CONV_2D, position 97) tflite~torch chained: max_abs 5.000e-01"
        + " (bound 1.040e-03)");
    assertThat(count(svg.substring(svg.indexOf("class=\"bounds\""), svg.indexOf("</g>", svg.indexOf("class=\"bounds\""))),
        "<line")).isEqualTo(600);
  }

  @Test
  void positionsNotComparedAreGapsAndZerosSitInTheirBand() {
    dev.crossalign.backend.Activations.Builder ref = dev.crossalign.backend.Activations.builder("tflite");
    dev.crossalign.backend.Activations.Builder cand = dev.crossalign.backend.Activations.builder("torch");
    for (int i = 0; i < 10; i++) {
      dev.crossalign.tensor.HostTensor t = dev.crossalign.tensor.HostTensor.ofFloats(new int[] {2},
          dev.crossalign.tensor.Layout.ANY, new float[] {i + 1, 2});
      ref.add("t" + i, "ADD", i, t);
      if (i % 2 == 0) {
        // half the tensors, exactly equal: a series with gaps and exact zeros
        cand.add("t" + i, "ADD", i, t);
      }
    }
    ref.output("t8");
    List<Comparison> cs = dev.crossalign.align.Aligner.compare(ref.build(), cand.build(),
        dev.crossalign.align.Mode.CHAINED, dev.crossalign.align.Tolerance.DEFAULT);
    AlignmentResult r = AlignmentResult.of("m", "cpu", 0, dev.crossalign.align.Tolerance.DEFAULT,
        List.of("tflite", "torch"), cs, List.of(), List.of(), Map.of(), Map.of());
    String svg = svg(HtmlReport.render(r), "k0");
    assertThat(count(svg, "class=\"pt")).isEqualTo(5);
    // every marker in the zero band (TOP 44 + plot height 246 + 16), none on the log axis
    double zeroBand = ScatterSvg.TOP + (ScatterSvg.HEIGHT - ScatterSvg.TOP - ScatterSvg.BOTTOM) + 16;
    assertThat(count(svg, String.format(java.util.Locale.ROOT, "cy=\"%.1f\"", zeroBand))).isEqualTo(5);
    assertThat(svg).doesNotContain("<polyline").doesNotContain("<path");
  }

  @Test
  void logAxisLabelsStayFew() {
    String svg = svg(html, "k1");
    String axis = svg.substring(svg.indexOf("class=\"yaxis\""), svg.indexOf("</g>", svg.indexOf("class=\"yaxis\"")));
    assertThat(count(axis, "<line")).isBetween(2, ScatterSvg.MAX_Y_LABELS + 1);
  }

  @Test
  void versionsAsTheVersionOptionPrintsThem() {
    assertThat(html).contains("<td class=\"mono\">" + dev.crossalign.Versions.lines()[0] + "</td>")
        .contains(dev.crossalign.Versions.lines()[1]).doesNotContain("development build");
    assertThat(dev.crossalign.Versions.lines()[0]).isEqualTo("crossalign 0.1.0-SNAPSHOT");
  }

  @Test
  void failingOnlyFilterIsThere() {
    assertThat(html).contains("<input type=\"checkbox\" id=\"failing-only\"> failing only ("
        + ((HtmlFixtures.TENSORS - HtmlFixtures.BAD) + 1) + ")");
  }

  static int count(String s, String what) {
    int n = 0;
    for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + what.length())) {
      n++;
    }
    return n;
  }
}
