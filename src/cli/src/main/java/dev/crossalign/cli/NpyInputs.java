package dev.crossalign.cli;

import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Npy;
import dev.crossalign.tensor.Npz;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** --input values: NAME=FILE.npy for one input, or a bare FILE.npz holding inputs by name. */
final class NpyInputs {
  private NpyInputs() {}

  /**
   * One --input value, checked while the command line is parsed (its file is read when the command runs).
   *
   * @param name the model input a .npy file feeds; null for an .npz, which names its inputs itself
   * @param file the .npy or .npz file
   */
  record Spec(String name, Path file) {
    /** NAME=FILE.npy or FILE.npz; a one-line input error otherwise. */
    static Spec parse(String text) {
      int eq = text.indexOf('=');
      if (eq < 0 && text.toLowerCase(Locale.ROOT).endsWith(".npz")) {
        return new Spec(null, Path.of(text));
      }
      if (eq <= 0 || eq == text.length() - 1) {
        throw dev.crossalign.CrossalignException.input("--input must be NAME=FILE.npy or FILE.npz, got '" + text + "'");
      }
      return new Spec(text.substring(0, eq), Path.of(text.substring(eq + 1)));
    }
  }

  static Map<String, HostTensor> read(Spec spec) {
    Map<String, HostTensor> m = new LinkedHashMap<>();
    if (spec.name() == null) {
      m.putAll(Npz.read(spec.file()));
    } else {
      m.put(spec.name(), Npy.read(spec.file()));
    }
    return m;
  }
}
