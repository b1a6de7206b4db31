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

  static Map<String, HostTensor> read(String spec) {
    Map<String, HostTensor> m = new LinkedHashMap<>();
    int eq = spec.indexOf('=');
    if (eq < 0 && spec.toLowerCase(Locale.ROOT).endsWith(".npz")) {
      m.putAll(Npz.read(Path.of(spec)));
      return m;
    }
    if (eq <= 0 || eq == spec.length() - 1) {
      throw dev.crossalign.CrossalignException.input("--input must be NAME=FILE.npy or FILE.npz, got '" + spec + "'");
    }
    m.put(spec.substring(0, eq), Npy.read(Path.of(spec.substring(eq + 1))));
    return m;
  }
}
