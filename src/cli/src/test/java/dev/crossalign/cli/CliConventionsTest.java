package dev.crossalign.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.crossalign.engine.bench.BackendStats;
import dev.crossalign.testutil.TestModels;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/** The CLI surface: --version, suggestions, exit codes in help, labels, '-' for stdout, snake_case JSON. */
class CliConventionsTest {
  static final ObjectMapper JSON = new ObjectMapper();

  static List<String> commands() {
    CommandLine root = Main.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
    List<String> names = new ArrayList<>(root.getSubcommands().keySet());
    names.remove("help");
    return names;
  }

  @ParameterizedTest
  @MethodSource("commands")
  void everyCommandPrintsTheVersion(String command) {
    CliTestSupport.Run r = CliTestSupport.run(command, "--version");
    assertThat(r.status()).isZero();
    assertThat(r.out()).startsWith("crossalign 0.1.0-SNAPSHOT\n").contains("ONNX Runtime 1.29.0");
  }

  @ParameterizedTest
  @MethodSource("commands")
  void everyCommandsHelpListsItsExitCodes(String command) {
    CliTestSupport.Run r = CliTestSupport.run(command, "--help");
    assertThat(r.status()).isZero();
    assertThat(r.out()).contains("Exit status:").containsPattern("(?m)^\\s+0\\s+\\S").containsPattern("(?m)^\\s+2\\s+unusable");
  }

  @ParameterizedTest
  @MethodSource("commands")
  void optionLabelsAreNotPicocliDefaults(String command) {
    CommandLine root = Main.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
    for (CommandLine.Model.OptionSpec o : root.getSubcommands().get(command).getCommandSpec().options()) {
      if (o.arity().max() > 0) {
        assertThat(o.paramLabel()).as(command + " " + o.longestName()).doesNotStartWith("<");
      }
    }
  }

  @Test
  void commandSummariesAreWholeSentences() {
    CliTestSupport.Run r = CliTestSupport.run("--help");
    String flat = r.out().replaceAll("\\s+", " ");
    CommandLine root = Main.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
    for (String c : commands()) {
      String[] header = root.getSubcommands().get(c).getCommandSpec().usageMessage().header();
      assertThat(header).as(c + " has a one-sentence header").hasSize(1);
      assertThat(header[0]).endsWith(".");
      assertThat(flat).as("the summary of " + c + " in the command list, whole").contains(c + " " + header[0]);
    }
  }

  @Test
  void bareCommandExitsTwoWithTheUsageOnStderr() {
    CliTestSupport.Run r = CliTestSupport.run();
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).startsWith("Usage: crossalign").contains("validate");
  }

  @Test
  void aMistypedCommandGetsASuggestion() {
    CliTestSupport.Run r = CliTestSupport.run("valdate");
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err().lines()).hasSize(1);
    assertThat(r.err()).contains("'valdate'").contains("did you mean validate?");
  }

  @Test
  void aMistypedOptionGetsASuggestion() {
    CliTestSupport.Run r = CliTestSupport.run("validate", "--backend", "tflite,torch");
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err().lines()).hasSize(1);
    assertThat(r.err()).contains("'--backend'").contains("did you mean --backends");
  }

  @Test
  void validateJsonDashIsTheReportAloneOnStdout() throws Exception {
    CliTestSupport.Run r = CliTestSupport.run("validate", "--json", "-", "--mode", "chained");
    assertThat(r.status()).as(r.err()).isZero();
    JsonNode doc = JSON.readTree(r.out());
    assertThat(doc.get("verdict").asText()).isEqualTo("aligned");
    assertThat(r.err()).contains("ALIGNED");
    assertThat(Path.of("-")).doesNotExist();
  }

  @Test
  void junitDashIsXmlOnStdout() {
    CliTestSupport.Run r = CliTestSupport.run("validate", "--junit", "-", "--mode", "chained");
    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out()).startsWith("<?xml").contains("<testsuites").endsWith("</testsuites>\n");
  }

  @Test
  void twoReportsOnStdoutAreRefusedBeforeAnyWork() {
    CliTestSupport.Run r = CliTestSupport.run("validate", "--json", "-", "--html", "-");
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err()).isEqualTo("crossalign: --json and --html both write to stdout ('-'): give one of them a file"
        + " name\n");
    assertThat(r.out()).isEmpty();
  }

  @Test
  void inspectJsonIsSnakeCaseWithTheBackendNamesOfBackends() throws Exception {
    CliTestSupport.Run r = CliTestSupport.run("inspect", "--json", "-");
    assertThat(r.status()).as(r.err()).isZero();
    JsonNode doc = JSON.readTree(r.out());
    List<String> keys = new ArrayList<>();
    collectKeys(doc, keys);
    assertThat(keys).contains("custom_ops", "weight_dtypes", "onnxruntime").allMatch(k -> k.equals(k.toLowerCase()));
    assertThat(doc.get("ops").get("CONV_2D").get("onnxruntime").asBoolean()).isTrue();
  }

  @Test
  void inspectSaysDensifyExportsWhenConvertExportsIt(@TempDir Path dir) throws Exception {
    Path model = TestModels.require("face_detection_full_range_sparse.tflite");
    CliTestSupport.Run r = CliTestSupport.run("inspect", model.toString(), "--json", "-");
    assertThat(r.status()).as(r.err()).isZero();
    JsonNode densify = JSON.readTree(r.out()).get("ops").get("DENSIFY");
    assertThat(densify.get("count").asInt()).isPositive();
    assertThat(densify.get("onnxruntime").asBoolean()).isTrue();
    // the oracle: the exporter itself writes the model
    Path onnx = dir.resolve("m.onnx");
    CliTestSupport.Run c = CliTestSupport.run("convert", model.toString(), "-o", onnx.toString());
    assertThat(c.status()).as(c.err()).isZero();
    assertThat(Files.size(onnx)).isPositive();
  }

  @Test
  void benchFlagsNoisyRunsWithTheirSpread() {
    // 1..10 ms: numpy.percentile gives p10 1.9 and p90 9.1, a spread of 4.79
    double[] noisy = {3, 1, 2, 4, 5, 6, 7, 8, 9, 10};
    BackendStats s = BackendStats.of("torch", noisy);
    assertThat(s.spread()).isCloseTo(9.1 / 1.9, org.assertj.core.data.Offset.offset(1e-12));
    assertThat(s.noiseNote()).startsWith("noisy: torch p90/p10 = 4.79 (above 1.5)");
    // 10.0..10.9 ms: p10 10.09, p90 10.81, spread 1.07: no note
    double[] quiet = {10.0, 10.1, 10.2, 10.3, 10.4, 10.5, 10.6, 10.7, 10.8, 10.9};
    assertThat(BackendStats.of("tflite", quiet).noiseNote()).isNull();
  }

  static void collectKeys(JsonNode n, List<String> keys) {
    if (n.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        // op names (CONV_2D) are data, not field names
        if (!e.getKey().matches("[A-Z0-9_]+")) {
          keys.add(e.getKey());
        }
        collectKeys(e.getValue(), keys);
      }
    } else if (n.isArray()) {
      n.forEach(x -> collectKeys(x, keys));
    }
  }
}
