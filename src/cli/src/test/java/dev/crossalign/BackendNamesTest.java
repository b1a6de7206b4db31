package dev.crossalign;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.backend.BackendKind;
import dev.crossalign.testutil.SourceTree;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A backend's name is spelled out in {@link BackendKind} only: every other main source refers to its constants, so
 * that a new backend, or a renamed one, is one edit and the compiler finds every use. Scans the string literals of
 * every module's src/main/java (comments skipped) for a literal equal to a backend name.
 */
class BackendNamesTest {
  private static final String HOME = "dev/crossalign/backend/BackendKind.java";

  /** File and literal that are not a backend's name although they are spelled like one, and why. */
  static final Map<String, String> NOT_BACKEND_NAMES = Map.of(
      "dev/crossalign/Versions.java \"tflite\"", "a key of the build's versions.properties (the library's version)",
      "dev/crossalign/Versions.java \"onnxruntime\"", "a key of the build's versions.properties (the library's version)",
      "dev/crossalign/port/codegen/GenState.java \"torch\"", "the Python module name, reserved in generated code",
      "dev/crossalign/engine/gpu/Summary.java \"torch\"", "gpu-check's Python PyTorch leg and its file torch.json",
      "dev/crossalign/engine/gpu/Summary.java \"cudnn\"", "the cuDNN version field of that Python leg's torch.json",
      "dev/crossalign/cli/Converters.java \"torch\"", "convert --to torch: an alias of the output format pytorch");

  @Test
  void backendNamesAreSpelledOutInBackendKindOnly() throws IOException {
    Set<String> names = Arrays.stream(BackendKind.values()).map(BackendKind::id).collect(Collectors.toSet());
    List<String> found = new ArrayList<>();
    Set<String> allowedSeen = new java.util.HashSet<>();
    try (Stream<Path> files = SourceTree.walkMain()) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
        String rel = SourceTree.relative(f);
        if (rel.equals(HOME)) {
          continue;
        }
        for (Literal l : literals(Files.readString(f))) {
          if (names.contains(l.text())) {
            String key = rel + " \"" + l.text() + "\"";
            if (NOT_BACKEND_NAMES.containsKey(key)) {
              allowedSeen.add(key);
            } else {
              found.add(rel + ":" + l.line() + " \"" + l.text() + "\"");
            }
          }
        }
      }
    }
    assertThat(found).as("backend names as string literals outside " + HOME + ": use BackendKind.X.id() (or"
        + " BackendKind.Ids.X in an annotation)").isEmpty();
    assertThat(allowedSeen).as("NOT_BACKEND_NAMES entries no longer needed: remove them")
        .containsExactlyInAnyOrderElementsOf(NOT_BACKEND_NAMES.keySet());
  }

  @Test
  void theScanFindsALiteralAndSkipsCommentsAndLongerStrings() {
    String src = String.join("\n",
        "class X {",
        "  // \"torch\" in a comment",
        "  /* \"onnxruntime\" in a block */",
        "  String a = \"torch prepare\";",
        "  String b = \"say \\\"tflite\\\"\";",
        "  char q = '\"';",
        "  String c = \"torch\";",
        "}");
    assertThat(literals(src)).containsExactly(
        new Literal(4, "torch prepare"), new Literal(5, "say \\\"tflite\\\""), new Literal(7, "torch"));
  }

  @Test
  void everyKindHasADistinctLowerCaseName() {
    List<String> ids = Arrays.stream(BackendKind.values()).map(BackendKind::id).toList();
    assertThat(ids).doesNotHaveDuplicates().allMatch(s -> s.matches("[a-z][a-z0-9-]*"));
    for (BackendKind k : BackendKind.values()) {
      assertThat(BackendKind.byId(k.id())).isSameAs(k);
    }
  }

  record Literal(int line, String text) {}

  /** The string literals of a Java source (escapes kept as written), skipping comments and char literals. */
  static List<Literal> literals(String src) {
    List<Literal> out = new ArrayList<>();
    int line = 1;
    int i = 0;
    int n = src.length();
    while (i < n) {
      char c = src.charAt(i);
      if (c == '\n') {
        line++;
        i++;
      } else if (src.startsWith("//", i)) {
        while (i < n && src.charAt(i) != '\n') {
          i++;
        }
      } else if (src.startsWith("/*", i)) {
        int end = src.indexOf("*/", i + 2);
        end = end < 0 ? n : end + 2;
        line += (int) src.substring(i, end).chars().filter(ch -> ch == '\n').count();
        i = end;
      } else if (src.startsWith("\"\"\"", i)) {
        int end = src.indexOf("\"\"\"", i + 3);
        end = end < 0 ? n : end + 3;
        line += (int) src.substring(i, end).chars().filter(ch -> ch == '\n').count();
        i = end;
      } else if (c == '\'') {
        i++;
        while (i < n && src.charAt(i) != '\'') {
          i += src.charAt(i) == '\\' ? 2 : 1;
        }
        i++;
      } else if (c == '"') {
        int start = ++i;
        while (i < n && src.charAt(i) != '"') {
          i += src.charAt(i) == '\\' ? 2 : 1;
        }
        out.add(new Literal(line, src.substring(start, Math.min(i, n))));
        i++;
      } else {
        i++;
      }
    }
    return out;
  }
}
