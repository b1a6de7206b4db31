package dev.crossalign.backend.tflite;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * The test delegates that native/build.sh compiles with gcc during the Maven build (phase generate-test-resources)
 * into target/native, or the directory in system property {@code crossalign.native}. Missing: the test is skipped with
 * the reason, except under CI=true, where it fails.
 */
final class TestDelegates {
  private TestDelegates() {}

  static Path dir() {
    String prop = System.getProperty("crossalign.native");
    if (prop != null && !prop.isBlank()) {
      return Paths.get(prop);
    }
    return Paths.get(System.getProperty("user.dir"), "target", "native");
  }

  static Path require(String name) {
    Path p = dir().resolve("lib" + name + ".so");
    if (Files.isRegularFile(p)) {
      return p;
    }
    String why = "test delegate " + p.toAbsolutePath() + " not built (native/build.sh needs gcc; run mvn test or"
        + " bash native/build.sh)";
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      fail(why + "; CI=true requires it");
    }
    assumeTrue(false, why);
    return p;
  }
}
