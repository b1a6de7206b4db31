package dev.crossalign.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTML report in a real browser: headless Chromium (Debian package "chromium"; .ci/run installs it) renders it
 * from file:// with no network. Skipped when Chromium is absent, except under CI=true, where that is a failure.
 * The last screenshot is kept at target/html-report-screenshot.png for a person to look at.
 */
class HtmlBrowserTest {
  static {
    System.setProperty("java.awt.headless", "true");
  }

  static Path chromium;

  @BeforeAll
  static void findChromium() {
    chromium = onPath("chromium", "chromium-browser");
    if (chromium == null && "true".equals(System.getenv("CI"))) {
      fail("chromium is not installed: CI must install it (apt-get install -y chromium), see .ci/run");
    }
    assumeTrue(chromium != null, "chromium not on PATH: apt-get install -y chromium to run the browser test");
  }

  @Test
  void screenshotShowsTheReport(@TempDir Path dir) throws Exception {
    Path page = dir.resolve("report.html");
    HtmlReport.write(HtmlFixtures.big(), page);
    Path png = dir.resolve("shot.png");
    run(dir, "--screenshot=" + png, "--window-size=1280,2000", page.toUri().toString());
    assertThat(png).exists();
    BufferedImage img = ImageIO.read(png.toFile());
    assertThat(img).isNotNull();
    assertThat(img.getWidth()).isEqualTo(1280);
    Set<Integer> colors = new HashSet<>();
    long nonWhite = 0;
    long red = 0;
    for (int y = 0; y < img.getHeight(); y++) {
      for (int x = 0; x < img.getWidth(); x++) {
        int rgb = img.getRGB(x, y) & 0xffffff;
        colors.add(rgb);
        if (rgb != 0xffffff) {
          nonWhite++;
        }
        int r = rgb >> 16;
        int g = (rgb >> 8) & 0xff;
        int b = rgb & 0xff;
        if (r > 150 && g < 70 && b < 70) {
          red++;
        }
      }
    }
    long pixels = (long) img.getWidth() * img.getHeight();
    Path keep = Path.of("target", "html-report-screenshot.png");
    if (Files.isDirectory(keep.getParent())) {
      Files.copy(png, keep, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    // text, charts and table antialiased: hundreds of colours; a blank or unstyled page has a handful
    assertThat(colors.size()).isGreaterThan(200);
    assertThat((double) nonWhite / pixels).isGreaterThan(0.05);
    // the MISALIGNED header (#b3261e) spans the top of the page
    int top = img.getRGB(img.getWidth() / 2, 8) & 0xffffff;
    assertThat(top).isEqualTo(0xb3261e);
    assertThat(red).isGreaterThan(1280L * 40);
  }

  @Test
  void domAfterScriptsHasNoInjectedElementsAndSortsByHash(@TempDir Path dir) throws Exception {
    Path page = dir.resolve("report.html");
    HtmlReport.write(HtmlFixtures.big(), page);
    // column 6 is max_abs; "-desc" sorts it descending on load, so the 0.5 of the first divergence comes first
    String dom = run(dir, "--dump-dom", page.toUri() + "#sort=6-desc");
    assertThat(dom).contains("<tbody>");
    assertThat(HtmlReportTest.count(dom, "<script")).isEqualTo(1);
    assertThat(dom).doesNotContain("<img");
    assertThat(dom).contains("x&lt;script&gt;alert(\"pwned\")&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;");
    // the parser gives every table a tbody: find the one of the tensor table
    String table = dom.substring(dom.indexOf("id=\"tensors\""));
    String body = table.substring(table.indexOf("<tbody>"));
    String firstRow = body.substring(body.indexOf("<tr"), body.indexOf("</tr>"));
    assertThat(firstRow).contains(HtmlFixtures.BAD_NAME).contains(">5.000e-01<");
    assertThat(dom).contains("data-dir=\"desc\"");
  }

  @Test
  void plotMarkersCarryTensorNamesForHoverAndNothingJoinsThem(@TempDir Path dir) throws Exception {
    Path page = dir.resolve("report.html");
    HtmlReport.write(HtmlFixtures.big(), page);
    String dom = run(dir, "--dump-dom", page.toUri().toString());
    // the browser parsed the inline SVG: each marker element holds a <title> (the tooltip) naming its tensor
    String svg = dom.substring(dom.indexOf("id=\"k0\""), dom.indexOf("</svg>", dom.indexOf("id=\"k0\"")));
    assertThat(HtmlReportTest.count(svg, "<circle class=\"pt")).isEqualTo(600);
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("<circle class=\"pt[^>]*><title>([^<]*)</title></circle>")
        .matcher(svg);
    Set<String> named = new HashSet<>();
    while (m.find()) {
      named.add(m.group(1).substring(0, m.group(1).indexOf(" (")));
    }
    assertThat(named).contains(HtmlFixtures.BAD_NAME, "model/layer_10/PAD").hasSize(HtmlFixtures.TENSORS);
    assertThat(svg).doesNotContain("<polyline").doesNotContain("<path");
  }

  @Test
  void failingOnlyFilterHidesThePassingRows(@TempDir Path dir) throws Exception {
    Path page = dir.resolve("report.html");
    HtmlReport.write(HtmlFixtures.big(), page);
    // "#failing" ticks the checkbox on load through its click handler, as a person would
    String dom = run(dir, "--dump-dom", page.toUri() + "#failing");
    String table = dom.substring(dom.indexOf("id=\"tensors\""));
    String body = table.substring(table.indexOf("<tbody>"), table.indexOf("</tbody>"));
    int failing = (HtmlFixtures.TENSORS - HtmlFixtures.BAD) + 1;
    List<String> rows = new ArrayList<>(List.of(body.split("<tr")));
    rows.remove(0);
    assertThat(rows).hasSize(600);
    long hidden = rows.stream().filter(r -> r.substring(0, r.indexOf('>')).contains("hidden")).count();
    long visibleFailing = rows.stream()
        .filter(r -> !r.substring(0, r.indexOf('>')).contains("hidden") && r.startsWith(" class=\"fail")).count();
    assertThat(hidden).isEqualTo(600 - failing);
    assertThat(visibleFailing).isEqualTo(failing);
    assertThat(dom).contains("id=\"failing-only\"");
  }

  /** Runs headless Chromium with no network access of its own; returns its stdout. */
  static String run(Path dir, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--user-data-dir=" + dir.resolve("profile")));
    cmd.addAll(List.of(args));
    Path out = dir.resolve("chromium.out");
    Path err = dir.resolve("chromium.err");
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectOutput(out.toFile())
        .redirectError(err.toFile()).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("chromium did not finish in 120 s: " + tail(err));
    }
    assertThat(p.exitValue()).as("chromium exit status; stderr: %s", tail(err)).isZero();
    return Files.readString(out, StandardCharsets.UTF_8);
  }

  private static String tail(Path p) throws IOException {
    String s = Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8) : "";
    return s.length() > 2000 ? s.substring(s.length() - 2000) : s;
  }

  static Path onPath(String... names) {
    String path = System.getenv("PATH");
    if (path == null) {
      return null;
    }
    for (String name : names) {
      for (String d : path.split(File.pathSeparator)) {
        Path c = Path.of(d, name);
        if (Files.isExecutable(c)) {
          return c;
        }
      }
    }
    return null;
  }
}
