package dev.crossalign.engine.gpu;

import dev.crossalign.CrossalignException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * What the bundle knows about one model, in {@code models/NAME/manifest.json} beside {@code model.tflite},
 * {@code inputs.npz} (the seeded inputs), {@code reference.npz} (every tensor the TFLite reference captured, keyed by
 * TFLite tensor name) and {@code weights.npz} (each conv's filter and bias as the interpreter saw them).
 *
 * @param name the folder name
 * @param seed the input seed ({@link dev.crossalign.engine.InputGenerator}, uniform in [low, high))
 * @param tfliteVersion the TFLite runtime that produced reference.npz
 * @param skipped convs the check cannot run, one line each
 */
public record BundleManifest(
    String name,
    String source,
    long seed,
    double low,
    double high,
    String tfliteVersion,
    List<String> inputs,
    List<String> outputs,
    List<ConvSpec> convs,
    List<String> skipped) {

  public static final String FILE = "manifest.json";
  public static final String MODEL = "model.tflite";
  public static final String INPUTS = "inputs.npz";
  public static final String REFERENCE = "reference.npz";
  public static final String WEIGHTS = "weights.npz";

  public void write(Path dir) {
    Json.write(dir.resolve(FILE), this);
  }

  public static BundleManifest read(Path dir) {
    Path f = dir.resolve(FILE);
    return Json.read(f, BundleManifest.class);
  }

  /** The model folders of a bundle (those with a manifest), sorted by name. */
  public static List<Path> modelDirs(Path bundle) {
    Path models = bundle.resolve("models");
    if (!Files.isDirectory(models)) {
      throw CrossalignException.input(bundle + ": not a GPU bundle (no models/ folder); build one with "
          + "benchmarks/gpu-bundle.sh");
    }
    List<Path> out = new ArrayList<>();
    try (Stream<Path> s = Files.list(models)) {
      s.filter(p -> Files.isRegularFile(p.resolve(FILE))).sorted().forEach(out::add);
    } catch (IOException e) {
      throw CrossalignException.input(models + ": cannot list: " + Json.describe(e));
    }
    if (out.isEmpty()) {
      throw CrossalignException.input(models + ": no model folder with a " + FILE);
    }
    return out;
  }
}
