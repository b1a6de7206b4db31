package dev.crossalign.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.crossalign.align.Diagnosis;
import dev.crossalign.align.Hypothesis;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The truth lab's page: escaping, no script, the first failing tensor and ranked hypotheses, markers at the right
 * height, and the page in headless Chromium (skipped without it, as {@link HtmlBrowserTest}).
 */
class TruthHtmlReportTest {
  static {
    System.setProperty("java.awt.headless", "true");
  }

  static final String BAD = "x<script>alert(1)</script>";
  static final int TENSORS = 40;

  /** 40 op outputs, two backends; tensor 30 is the first failing one (torch 250x its bound), tensor 5 unbounded. */
  static TruthHtmlReport.Page page() {
    List<TruthHtmlReport.Tensor> ts = new ArrayList<>();
    for (int i = 0; i < TENSORS; i++) {
      String name = i == 7 ? BAD : "model/layer_" + i;
      double torch = i == 30 ? 250 : 0.01 * (i + 1);
      boolean bounded = i != 5;
      ts.add(new TruthHtmlReport.Tensor(name, "CONV_2D", bounded ? "ACCUMULATION" : null, 1e-5, 6e-8,
          torch <= 1 || !bounded, List.of(
              new TruthHtmlReport.Cell("tflite", 1e-7, 1.5, bounded ? 0.02 : Double.NaN, true),
              new TruthHtmlReport.Cell("torch", 1e-7 * torch, 3, bounded ? torch : Double.NaN, torch <= 1))));
    }
    Diagnosis d = new Diagnosis("model/layer_30", "CONV_2D", "torch", 250, "84% of the error in the last row",
        List.of(new Hypothesis("symmetric SAME padding", "pad 1 on each side <b>", 2.5e-5, 1e-9, 0.01, true),
            new Hypothesis("fp16-rounded weights", "weights rounded", 2.5e-5, 2.4e-5, 240, false)));
    return new TruthHtmlReport.Page("m<1>.tflite", "MISALIGNED", "first outside its bound: 'model/layer_30'",
        List.of("tflite", "torch"), ts, "model/layer_30", List.of(d), List.of("note <i>"));
  }

  @Test
  void pageEscapesEverythingHasNoScriptAndRanksTheHypotheses() {
    String html = TruthHtmlReport.render(page());
    assertThat(html).contains("script-src 'none'").contains("default-src 'none'").doesNotContain("<script")
        .doesNotContain("<b>").doesNotContain("<i>").contains("x&lt;script&gt;alert(1)&lt;/script&gt;");
    assertThat(HtmlReportTest.count(html, "<circle class=\"pt\"")).isEqualTo(2 * TENSORS);
    // the first failing tensor: its row marked, a dashed line in the chart
    assertThat(html).contains("<tr class=\"first\"><td class=\"n\">30</td><td class=\"mono\">model/layer_30</td>")
        .contains("<title>first failing: model/layer_30</title>");
    // the unbounded op: "none" and no pass verdict; its markers hollow
    assertThat(html).contains("<td class=\"mono\">model/layer_5</td><td>CONV_2D</td><td>none</td><td class=\"n\">-");
    // hypotheses in their rank order, the explaining one marked
    int sym = html.indexOf("symmetric SAME padding");
    assertThat(sym).isPositive().isLessThan(html.indexOf("fp16-rounded weights"));
    assertThat(html.substring(html.lastIndexOf("<tr", sym), sym)).contains("class=\"first\"");
  }

  @Test
  void markersSitAtTheirFactorOnTheLogScale() {
    String html = TruthHtmlReport.render(page());
    // y axis from 1e-3 (bottom, y = 310) to 1e3 (ceil(log10 250) = 3, top, y = 10): 50 units a decade
    assertThat(html).contains("<text x=\"4\" y=\"14.0\" font-size=\"11\">1e3</text>")
        .contains("<text x=\"4\" y=\"314.0\" font-size=\"11\">1e-3</text>");
    double y = 10 + (3 - Math.log10(250)) * 50;
    assertThat(html).contains(String.format(java.util.Locale.ROOT, "cy=\"%.1f\"", y));
    // the bound's line (1e0) is red
    assertThat(html).contains("y1=\"160.0\" y2=\"160.0\" stroke=\"#b3261e\"");
  }

  @Test
  void chromiumRendersThePage(@TempDir Path dir) throws Exception {
    Path chromium = HtmlBrowserTest.onPath("chromium", "chromium-browser");
    assumeTrue(chromium != null || "true".equals(System.getenv("CI")), "chromium not on PATH");
    HtmlBrowserTest.chromium = chromium;
    Path file = dir.resolve("truth.html");
    TruthHtmlReport.write(page(), file);
    String dom = HtmlBrowserTest.run(dir, "--dump-dom", file.toUri().toString());
    String svg = dom.substring(dom.indexOf("id=\"truth-chart\""), dom.indexOf("</svg>"));
    assertThat(HtmlReportTest.count(svg, "<circle class=\"pt\"")).isEqualTo(2 * TENSORS);
    assertThat(svg).contains("<title>x&lt;script&gt;alert(1)&lt;/script&gt; (CONV_2D) torch: error ");
    assertThat(dom).doesNotContain("<script").doesNotContain("<b>");
    Path png = dir.resolve("shot.png");
    HtmlBrowserTest.run(dir, "--screenshot=" + png, "--window-size=1280,1400", file.toUri().toString());
    BufferedImage img = ImageIO.read(png.toFile());
    // the MISALIGNED header spans the top; the styled page has many colours
    assertThat(img.getRGB(img.getWidth() / 2, 8) & 0xffffff).isEqualTo(0xb3261e);
    java.util.Set<Integer> colors = new java.util.HashSet<>();
    for (int yy = 0; yy < img.getHeight(); yy += 2) {
      for (int x = 0; x < img.getWidth(); x += 2) {
        colors.add(img.getRGB(x, yy) & 0xffffff);
      }
    }
    assertThat(colors.size()).isGreaterThan(50);
  }
}
