package dev.crossalign.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** truth --html / --overlay-bound / --overlay-diagnosis end to end on the demo (17 op outputs, tflite and torch). */
class TruthHtmlCommandTest {

  @Test
  void theDemoWritesThePageAndBothOverlays(@TempDir Path dir) throws Exception {
    Path html = dir.resolve("t.html");
    Path bound = dir.resolve("b.json");
    Path diag = dir.resolve("d.json");
    StringWriter err = new StringWriter();
    int rc = Main.run(new PrintWriter(new StringWriter()), new PrintWriter(err), "truth", "--no-onnxruntime",
        "--tolerance", "auto", "--html", html.toString(), "--overlay-bound", bound.toString(), "--overlay-diagnosis",
        diag.toString());
    assertThat(rc).as(err.toString()).isEqualTo(0);
    String page = Files.readString(html, StandardCharsets.UTF_8);
    assertThat(page).contains("<h1>ALIGNED</h1>").contains("17 op outputs bounded").doesNotContain("<script");
    int circles = page.split("<circle class=\"pt\"", -1).length - 1;
    assertThat(circles).isEqualTo(17 * 2);
    JsonNode b = new ObjectMapper().readTree(bound.toFile());
    assertThat(b.get("results").size()).isEqualTo(17);
    b.get("results").elements().forEachRemaining(n -> assertThat(n.get("value").asDouble()).isBetween(0.0, 1.0));
    JsonNode d = new ObjectMapper().readTree(diag.toFile());
    assertThat(d.get("results").size()).isZero();
  }
}
