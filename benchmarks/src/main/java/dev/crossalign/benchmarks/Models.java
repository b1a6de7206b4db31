package dev.crossalign.benchmarks;

import dev.crossalign.engine.DemoModel;
import dev.crossalign.tflite.TfliteModel;
import java.nio.file.Files;
import java.nio.file.Path;

/** Benchmark models: "demo" (embedded) or a file name in -Dcrossalign.models (default ../.cache/models). */
final class Models {
  private Models() {}

  static TfliteModel load(String name) {
    if (name.equals("demo")) {
      return TfliteModel.read(DemoModel.bytes(), DemoModel.LABEL);
    }
    Path dir = Path.of(System.getProperty("crossalign.models", "../.cache/models"));
    Path p = dir.resolve(name);
    if (!Files.isRegularFile(p)) {
      throw new IllegalStateException("benchmark model " + p.toAbsolutePath() + " is missing: run .ci/fetch-models.sh"
          + " at the root, set -Dcrossalign.models=DIR, or pick -p model=demo");
    }
    return TfliteModel.read(p);
  }
}
