package dev.crossalign.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Every command takes its shared options from the {@link SharedOptions} mixins: one declaration (name, converter,
 * default, help) per option, so that a bad value is refused at parse time in each command alike (exit 2, one line,
 * the command's --help) and a value given reaches the run. RunSpecOptionsTest covers validate, compare and truth's
 * run-spec options; this covers bench, batch, determinism, convert and inspect, and the rule itself.
 */
class SharedOptionsTest {
  private static final String MISSING = "/nonexistent/model.tflite";

  /** Shared option -> the mixin that declares it. */
  private static final Map<String, Class<?>> SHARED = Map.ofEntries(
      Map.entry("--device", SharedOptions.DeviceOption.class),
      Map.entry("--seed", SharedOptions.Seed.class),
      Map.entry("--threads", SharedOptions.Threads.class),
      Map.entry("--profile", SharedOptions.Profile.class),
      Map.entry("--input-range", SharedOptions.InputRange.class),
      Map.entry("--atol", SharedOptions.Tolerances.class),
      Map.entry("--rtol", SharedOptions.Tolerances.class),
      Map.entry("--chained-rel-l2", SharedOptions.Tolerances.class),
      Map.entry("--absolute-atol", SharedOptions.Tolerances.class),
      Map.entry("--accept-nonfinite", SharedOptions.Tolerances.class),
      Map.entry("--verbose", SharedOptions.Verbose.class));

  @Test
  void everySharedOptionOfEveryCommandComesFromItsMixin() {
    CommandLine root = Main.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
    Map<String, List<String>> takenBy = new TreeMap<>();
    for (Map.Entry<String, CommandLine> sub : root.getSubcommands().entrySet()) {
      if (sub.getKey().equals("help")) {
        continue;
      }
      for (OptionSpec o : sub.getValue().getCommandSpec().options()) {
        String name = o.longestName();
        Class<?> home = SHARED.get(name);
        if (home == null) {
          continue;
        }
        assertThat(o.userObject()).as(sub.getKey() + " " + name).isInstanceOf(Field.class);
        assertThat(((Field) o.userObject()).getDeclaringClass()).as(sub.getKey() + " " + name + " declared in")
            .isEqualTo(home);
        takenBy.computeIfAbsent(name, k -> new ArrayList<>()).add(sub.getKey());
      }
    }
    // which commands take what: the mixins are really shared, and every command takes --verbose
    assertThat(takenBy.get("--verbose")).containsExactlyInAnyOrder("validate", "compare", "convert", "inspect",
        "determinism", "bench", "batch", "truth");
    assertThat(takenBy.get("--device")).containsExactlyInAnyOrder("validate", "compare", "truth", "determinism",
        "bench", "batch");
    assertThat(takenBy.get("--seed")).containsExactlyInAnyOrder("validate", "compare", "truth", "determinism",
        "bench");
    assertThat(takenBy.get("--profile")).containsExactlyInAnyOrder("validate", "compare", "truth", "determinism");
    assertThat(takenBy.get("--threads")).containsExactlyInAnyOrder("validate", "compare", "truth", "bench");
    assertThat(takenBy.get("--atol")).containsExactlyInAnyOrder("validate", "compare", "truth", "batch");
    assertThat(takenBy.get("--input-range")).containsExactlyInAnyOrder("validate", "compare", "truth", "batch");
  }

  static Stream<Arguments> badValues() {
    return Stream.of(
        Arguments.of("bench", List.of(MISSING), "--warmup", "-1", "must be at least 0, got -1"),
        Arguments.of("bench", List.of(MISSING), "--runs", "0", "must be at least 1, got 0"),
        Arguments.of("bench", List.of(MISSING), "--seed", "x", "'x' is not a long"),
        Arguments.of("batch", List.of(MISSING), "--device", "tpu", "bad device 'tpu'"),
        Arguments.of("batch", List.of(MISSING), "--atol", "-1", "must be a finite number >= 0, got '-1'"),
        Arguments.of("batch", List.of(MISSING), "--chained-rel-l2", "NaN", "must be a finite number, got 'NaN'"),
        Arguments.of("batch", List.of(MISSING), "--workers", "-1", "must be at least 0, got -1"),
        Arguments.of("batch", List.of(MISSING), "--models-per-worker", "0", "must be at least 1, got 0"),
        Arguments.of("batch", List.of(MISSING), "--row-timeout", "0", "must be a positive number of seconds, got '0'"),
        Arguments.of("batch", List.of(MISSING), "--max-memory", "lots", "must be a size such as 6g or 3000m"),
        Arguments.of("batch", List.of(MISSING), "--max-memory", "512k", "must be a size such as 6g or 3000m"),
        Arguments.of("determinism", List.of(MISSING), "--repeat", "1", "must be at least 2, got 1"),
        Arguments.of("determinism", List.of(MISSING), "--profile", "fastest", "fastest"),
        Arguments.of("determinism", List.of(MISSING), "--compare-profile", "/nonexistent/p.properties",
            "/nonexistent/p.properties"),
        Arguments.of("validate", List.of(MISSING), "--profile", "fastest", "fastest"),
        Arguments.of("convert", List.of(MISSING, "-o", "/nonexistent/x.onnx"), "--to", "keras",
            "--to must be onnx or pytorch, got 'keras'"),
        Arguments.of("convert", List.of(MISSING, "-o", "/nonexistent/x.onnx"), "--onnx-layout", "nhcw",
            "expected nhwc or nchw, got 'nhcw'"),
        Arguments.of("convert", List.of(MISSING, "-o", "/nonexistent/d"), "--pytorch-layout", "chw",
            "expected nhwc or nchw, got 'chw'"),
        Arguments.of("convert", List.of(MISSING, "-o", "/nonexistent/d"), "--class-name", "1x",
            "--class-name must be a Python identifier, got '1x'"));
  }

  @ParameterizedTest(name = "{0} {2} {3}")
  @MethodSource("badValues")
  void aBadValueFailsAtParseTime(String command, List<String> args, String option, String value, String says) {
    List<String> all = new ArrayList<>(List.of(command));
    all.addAll(args);
    all.add(option);
    all.add(value);
    CliTestSupport.Run r = CliTestSupport.run(all.toArray(String[]::new));
    CliTestSupport.assertRefusedAtParse(r, command, option, says, "model.tflite");
  }

  @Test
  void inspectTakesVerbose() {
    CliTestSupport.Run r = CliTestSupport.run("inspect", "--verbose");
    assertThat(r.status()).as(r.err()).isEqualTo(0);
    assertThat(r.out()).contains("model: demo");
  }

  /**
   * The profile and seed mixins reach the run: a profile file's seed is used unless --seed overrides it, in
   * determinism's JSON config (the TFLite interpreter only, on the embedded demo).
   */
  @Test
  void aProfileFilesSeedAppliesUnlessSeedIsGiven(@TempDir Path dir) throws Exception {
    Path profile = Files.writeString(dir.resolve("p.properties"), "seed=7\n");
    JsonNode fromFile = determinismJson("--profile", profile.toString());
    assertThat(fromFile.path("config").path("seed").asText()).isEqualTo("7");
    assertThat(fromFile.path("profile").asText()).isEqualTo(profile.toString());
    JsonNode overridden = determinismJson("--profile", profile.toString(), "--seed", "9");
    assertThat(overridden.path("config").path("seed").asText()).isEqualTo("9");
    JsonNode builtin = determinismJson();
    assertThat(builtin.path("config").path("seed").asText()).isEqualTo("0");
    assertThat(builtin.path("profile").asText()).isEqualTo("deterministic");
  }

  private static JsonNode determinismJson(String... more) throws Exception {
    List<String> args = new ArrayList<>(List.of("determinism", "--backends", "tflite", "--repeat", "2", "--json", "-"));
    args.addAll(List.of(more));
    CliTestSupport.Run r = CliTestSupport.run(args.toArray(String[]::new));
    assertThat(r.status()).as(r.err()).isEqualTo(0);
    JsonNode doc = new ObjectMapper().readTree(r.out());
    assertThat(doc.path("all_bitwise_identical").asBoolean()).isTrue();
    assertThat(Set.of("seed")).allMatch(k -> doc.path("config").has(k));
    return doc;
  }
}
