package dev.crossalign.engine.batch;

import java.nio.file.Path;
import java.util.List;

/**
 * One row of a batch manifest.
 *
 * @param row 1-based data row number (the header is row 0); with model and seed it is the row's resume key
 * @param model the .tflite file, or null for the embedded demo model
 * @param seed seed of the generated inputs (0 when the column is empty)
 * @param input an input file (.npz by name, .npy for a single-input model, or NAME=FILE.npy), or null
 * @param atol absolute tolerance, or null for the default
 * @param rtol relative tolerance, or null for the default
 * @param backends backends, reference first, or null for the batch default
 */
public record ManifestRow(
    int row, Path model, long seed, String input, Double atol, Double rtol, List<String> backends) {
  public ManifestRow {
    backends = backends == null ? null : List.copyOf(backends);
  }

  /** The model as written in results: its path, or "demo". */
  public String modelLabel() {
    return model == null ? Manifest.DEMO : model.toString();
  }

  /** The resume key: row number, model and seed. */
  public String key() {
    return key(row, modelLabel(), seed);
  }

  static String key(int row, String model, long seed) {
    return row + "\u0000" + model + "\u0000" + seed;
  }
}
