package dev.crossalign.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;

/**
 * No option value is parsed from a string after picocli (issue 14, item 3): the rule over every option of every command
 * (crossalign's and the GPU check's), and the values that were still strings before (--tolerance of validate and
 * truth, --tflite-delegate, --input, --max-rows) each refused while the command line is parsed: exit 2, one line
 * naming the option, the command's --help, before the (missing) model is looked at.
 */
class ParseTimeValuesTest {
  private static final String MISSING = "/nonexistent/model.tflite";

  @Test
  void noOptionOrParameterIsALooseString() {
    List<String> loose = new ArrayList<>();
    List<CommandLine> roots = List.of(
        Main.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter())),
        new CommandLine(new GpuCheckCommand()));
    int seen = 0;
    for (CommandLine root : roots) {
      for (CommandLine c : all(root)) {
        List<ArgSpec> args = new ArrayList<>(c.getCommandSpec().options());
        args.addAll(c.getCommandSpec().positionalParameters());
        for (ArgSpec a : args) {
          seen++;
          if (takesStrings(a) && a.converters().length == 0) {
            loose.add(c.getCommandSpec().qualifiedName() + " " + a.paramLabel() + " "
                + (a.isOption() ? ((CommandLine.Model.OptionSpec) a).longestName() : ""));
          }
        }
      }
    }
    assertThat(seen).as("options and parameters inspected").isGreaterThan(100);
    assertThat(loose).as("string values without a picocli converter: they would be parsed after picocli").isEmpty();
  }

  /** A value (or a collection's element, or a map's value: its keys are names) that picocli leaves a String. */
  private static boolean takesStrings(ArgSpec a) {
    Class<?> t = a.type();
    if (t == String.class) {
      return true;
    }
    Class<?>[] aux = a.auxiliaryTypes();
    if (Map.class.isAssignableFrom(t)) {
      return aux.length > 1 && aux[1] == String.class;
    }
    return (java.util.Collection.class.isAssignableFrom(t) || t.isArray()) && aux.length > 0 && aux[0] == String.class;
  }

  private static List<CommandLine> all(CommandLine c) {
    List<CommandLine> out = new ArrayList<>(List.of(c));
    c.getSubcommands().values().forEach(s -> {
      if (s != c && !s.getCommandName().equals("help")) {
        out.addAll(all(s));
      }
    });
    return out;
  }

  static Stream<Arguments> badValues() {
    return Stream.of(
        Arguments.of("validate", "--tolerance", "loose", "expected fixed or auto, got 'loose'"),
        Arguments.of("truth", "--tolerance", "strict", "expected report or auto, got 'strict'"),
        Arguments.of("truth", "--tolerance", "fixed", "expected report or auto, got 'fixed'"),
        Arguments.of("validate", "--max-rows", "-1", "must be at least 0, got -1"),
        Arguments.of("compare", "--max-rows", "x", "must be a whole number, got 'x'"),
        Arguments.of("truth", "--max-rows", "-5", "must be at least 0, got -5"),
        Arguments.of("validate", "--input", "x.npy", "--input must be NAME=FILE.npy or FILE.npz, got 'x.npy'"),
        Arguments.of("compare", "--input", "=x.npy", "--input must be NAME=FILE.npy or FILE.npz, got '=x.npy'"),
        Arguments.of("truth", "--input", "input=", "--input must be NAME=FILE.npy or FILE.npz, got 'input='"),
        Arguments.of("validate", "--tflite-delegate", "/nonexistent/libd.so:backend=x",
            "external TFLite delegate /nonexistent/libd.so does not exist or is not a file"),
        Arguments.of("validate", "--tflite-delegate", "/nonexistent/libd.so:backend",
            "external TFLite delegate option 'backend' in '/nonexistent/libd.so:backend' is not key=value"),
        Arguments.of("validate", "--seed", "1.5", "'1.5' is not a long"));
  }

  @ParameterizedTest(name = "{0} {1} {2}")
  @MethodSource("badValues")
  void aBadValueFailsAtParseTime(String command, String option, String value, String says) {
    List<String> args = new ArrayList<>(List.of(command, MISSING));
    if (command.equals("compare")) {
      args.add(MISSING);
    }
    args.addAll(List.of(option, value));
    CliTestSupport.Run r = CliTestSupport.run(args.toArray(String[]::new));
    CliTestSupport.assertRefusedAtParse(r, command, option, says, "model.tflite");
  }
}
