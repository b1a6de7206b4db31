package dev.crossalign.backend.tflite;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds the published models: system property crossalign.models, env CROSSALIGN_MODELS, else .cache/models. Missing
 * models skip the test, except with CI=true, where they fail it.
 */
final class TestModels {
  static final String SHORT_RANGE = "face_detection_short_range.tflite";
  static final String FULL_RANGE = "face_detection_full_range.tflite";
  static final String FULL_RANGE_SPARSE = "face_detection_full_range_sparse.tflite";

  private TestModels() {}

  static Path dir() {
    String prop = System.getProperty("crossalign.models");
    if (prop != null && !prop.isBlank()) {
      return Path.of(prop);
    }
    String env = System.getenv("CROSSALIGN_MODELS");
    if (env != null && !env.isBlank()) {
      return Path.of(env);
    }
    return Path.of(System.getProperty("user.dir"), ".cache", "models");
  }

  static byte[] bytes(String fileName) {
    Path p = dir().resolve(fileName);
    if (!Files.isRegularFile(p)) {
      String why = "model " + p + " is missing (set -Dcrossalign.models or CROSSALIGN_MODELS)";
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        fail(why + " and CI=true requires it");
      }
      assumeTrue(false, why);
    }
    try {
      return Files.readAllBytes(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
