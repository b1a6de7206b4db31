package dev.crossalign.testutil;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The main Java sources of every reactor module ({@code src/<module>/src/main/java} and
 * {@code benchmarks/src/main/java}), for the tests that read source
 * text (SizeRulesTest, BackendNamesTest, ArchitectureTest's package-info rule). Paths are relative to the repository
 * root, where every module's tests run (surefire's workingDirectory in the parent pom).
 */
public final class SourceTree {
  private static final Path MODULES = Path.of("src");
  /** The reactor modules outside src/: the benchmarks, compiled by every build and so under the same rules. */
  private static final List<Path> OTHER_MODULES = List.of(Path.of("benchmarks"));
  private static final String MAIN = "src/main/java";

  private SourceTree() {}

  /** {@code src/<module>/src/main/java} of each module and the benchmarks', in path order. */
  public static List<Path> mainRoots() {
    try (Stream<Path> modules = Files.list(MODULES)) {
      List<Path> roots = Stream.concat(modules, OTHER_MODULES.stream()).map(m -> m.resolve(MAIN))
          .filter(Files::isDirectory).sorted().toList();
      if (roots.isEmpty()) {
        throw new IllegalStateException("no src/<module>/" + MAIN + " under " + MODULES.toAbsolutePath()
            + ": the tests run from the repository root");
      }
      return roots;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every file under every module's main sources. */
  public static Stream<Path> walkMain() throws IOException {
    List<Path> all = new ArrayList<>();
    for (Path root : mainRoots()) {
      try (Stream<Path> files = Files.walk(root)) {
        all.addAll(files.filter(Files::isRegularFile).toList());
      }
    }
    return all.stream();
  }

  /** A main source's path below its module's {@code src/main/java}, with '/': {@code dev/crossalign/x/Y.java}. */
  public static String relative(Path file) {
    String p = file.toString().replace('\\', '/');
    int i = p.indexOf("/" + MAIN + "/");
    if (i < 0) {
      throw new IllegalArgumentException(file + " is not under a module's " + MAIN);
    }
    return p.substring(i + MAIN.length() + 2);
  }
}
