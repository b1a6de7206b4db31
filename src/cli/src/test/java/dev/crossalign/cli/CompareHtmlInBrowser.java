package dev.crossalign.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * compare's HTML report in headless Chromium, as HtmlBrowserTest checks validate's: the DOM after the scripts ran
 * still shows the matching tables. Chromium absent: nothing is checked here, except under CI=true, where that fails.
 */
final class CompareHtmlInBrowser {
  private CompareHtmlInBrowser() {}

  static void check(Path html, Path dir) throws Exception {
    Path chromium = null;
    for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      for (String n : List.of("chromium", "chromium-browser")) {
        if (chromium == null && Files.isExecutable(Path.of(d, n))) {
          chromium = Path.of(d, n);
        }
      }
    }
    if (chromium == null) {
      if ("true".equals(System.getenv("CI"))) {
        fail("chromium is not installed: CI must install it (apt-get install -y chromium), see .ci/run");
      }
      System.out.println("chromium not on PATH: compare's HTML report not checked in a browser");
      return;
    }
    Path out = dir.resolve("dom.html");
    Path err = dir.resolve("chromium.err");
    Process p = new ProcessBuilder(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--user-data-dir=" + dir.resolve("profile"), "--dump-dom", html.toUri().toString())
        .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("chromium did not finish in 120 s");
    }
    assertThat(p.exitValue()).as(Files.readString(err)).isZero();
    String dom = Files.readString(out, StandardCharsets.UTF_8);
    assertThat(dom).contains("id=\"matching\"").contains("id=\"unmatched\"").contains("<td>structure</td>");
  }
}
