package dev.crossalign.backend.tflite;

import dev.crossalign.CrossalignException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Which external delegate plug-in to load and the options handed to its {@code tflite_plugin_create_delegate}.
 *
 * @param library the plug-in shared library (a .so implementing TFLite's external delegate plug-in ABI)
 * @param options key/value options in the order given
 */
public record ExternalDelegateSpec(Path library, Map<String, String> options) {
  public ExternalDelegateSpec {
    Objects.requireNonNull(library, "library");
    options = Collections.unmodifiableMap(new LinkedHashMap<>(options == null ? Map.of() : options));
  }

  /**
   * The library as an absolute path, checked to be a readable regular file (the CLI asks while the command line is
   * parsed, {@link ExternalDelegate#load} again before loading it).
   *
   * @throws CrossalignException INPUT naming the path when it is missing, not a file or not readable
   */
  public Path requireLibrary() {
    Path lib = library.toAbsolutePath().normalize();
    if (!java.nio.file.Files.isRegularFile(lib)) {
      throw CrossalignException.input("external TFLite delegate " + lib + " does not exist or is not a file");
    }
    if (!java.nio.file.Files.isReadable(lib)) {
      throw CrossalignException.input("external TFLite delegate " + lib + " is not readable");
    }
    return lib;
  }

  /**
   * Parses {@code PATH.so[:key=value,...]}. The options start after the last {@code ".so:"}, so a path may itself hold
   * colons; a path that does not end in .so takes no options.
   *
   * @throws CrossalignException INPUT on an empty path, an option without '=' or an empty or repeated key
   */
  public static ExternalDelegateSpec parse(String text) {
    if (text == null || text.isBlank()) {
      throw CrossalignException.input("external TFLite delegate: empty path, expected PATH.so[:key=value,...]");
    }
    String path = text;
    String opts = "";
    int cut = text.lastIndexOf(".so:");
    if (cut >= 0) {
      path = text.substring(0, cut + 3);
      opts = text.substring(cut + 4);
    }
    Map<String, String> options = new LinkedHashMap<>();
    if (!opts.isEmpty()) {
      for (String kv : opts.split(",", -1)) {
        int eq = kv.indexOf('=');
        if (eq <= 0) {
          throw CrossalignException.input(
              "external TFLite delegate option '" + kv + "' in '" + text + "' is not key=value");
        }
        String key = kv.substring(0, eq);
        if (options.put(key, kv.substring(eq + 1)) != null) {
          throw CrossalignException.input("external TFLite delegate option '" + key + "' is given twice in '" + text + "'");
        }
      }
    }
    return new ExternalDelegateSpec(Path.of(path), options);
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder(library.toString());
    String sep = ":";
    for (Map.Entry<String, String> e : options.entrySet()) {
      b.append(sep).append(e.getKey()).append('=').append(e.getValue());
      sep = ",";
    }
    return b.toString();
  }
}
