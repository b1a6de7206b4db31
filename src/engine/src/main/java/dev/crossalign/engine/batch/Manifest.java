package dev.crossalign.engine.batch;

import dev.crossalign.CrossalignException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A batch manifest: CSV (RFC 4180 quoting), a header row naming the columns, one validation per data row. Columns
 * (case-insensitive, any order; only {@code model} is required):
 *
 * <ul>
 *   <li>{@code model}: .tflite path, relative to the manifest's folder unless absolute; {@code demo} or empty = the
 *       embedded demo model
 *   <li>{@code seed}: integer seed of the generated inputs (default 0)
 *   <li>{@code input}: .npz (inputs by name), .npy (a single-input model's input) or NAME=FILE.npy; relative to the
 *       manifest's folder; empty = generated from the seed
 *   <li>{@code atol}, {@code rtol}: tolerances (empty = the batch defaults)
 *   <li>{@code backends}: reference first, separated by {@code |} or {@code ;} (or commas inside quotes), e.g.
 *       {@code tflite|torch}; empty = the batch default
 * </ul>
 */
public final class Manifest {
  public static final String DEMO = "demo";
  static final List<String> COLUMNS = List.of("model", "seed", "input", "atol", "rtol", "backends");

  private Manifest() {}

  public static List<ManifestRow> read(Path file) {
    List<String> lines;
    dev.crossalign.tensor.RegularFiles.require(file, "manifest " + file);
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw CrossalignException.input("cannot read manifest " + file + ": " + e.getMessage());
    }
    Path base = file.toAbsolutePath().getParent();
    return parse(lines, base, file.toString());
  }

  static List<ManifestRow> parse(List<String> lines, Path base, String label) {
    int headerLine = -1;
    for (int i = 0; i < lines.size(); i++) {
      if (!lines.get(i).isBlank()) {
        headerLine = i;
        break;
      }
    }
    if (headerLine < 0) {
      throw CrossalignException.input(label + ": empty manifest; the first line must be a header, e.g. "
          + String.join(",", COLUMNS));
    }
    List<String> header = split(lines.get(headerLine), label, headerLine + 1);
    Map<String, Integer> col = new HashMap<>();
    for (int i = 0; i < header.size(); i++) {
      String h = header.get(i).trim().toLowerCase(Locale.ROOT);
      if (!COLUMNS.contains(h)) {
        throw CrossalignException.input(label + " line " + (headerLine + 1) + ": unknown column '" + header.get(i)
            + "', expected some of " + COLUMNS + " (a header row is required)");
      }
      if (col.put(h, i) != null) {
        throw CrossalignException.input(label + " line " + (headerLine + 1) + ": column '" + h + "' given twice");
      }
    }
    if (!col.containsKey("model")) {
      throw CrossalignException.input(label + " line " + (headerLine + 1) + ": the header has no 'model' column");
    }
    List<ManifestRow> rows = new ArrayList<>();
    int row = 0;
    for (int i = headerLine + 1; i < lines.size(); i++) {
      if (lines.get(i).isBlank()) {
        continue;
      }
      row++;
      int lineNo = i + 1;
      List<String> f = split(lines.get(i), label, lineNo);
      if (f.size() > header.size()) {
        throw CrossalignException.input(label + " line " + lineNo + ": " + f.size() + " fields, the header has "
            + header.size());
      }
      String model = field(f, col, "model");
      String seed = field(f, col, "seed");
      String input = field(f, col, "input");
      String backends = field(f, col, "backends");
      rows.add(new ManifestRow(
          row,
          model.isEmpty() || model.equals(DEMO) ? null : resolve(base, model),
          seed.isEmpty() ? 0L : parseLong(seed, label, lineNo, "seed"),
          input.isEmpty() ? null : resolveInput(base, input),
          number(field(f, col, "atol"), label, lineNo, "atol"),
          number(field(f, col, "rtol"), label, lineNo, "rtol"),
          backends.isEmpty() ? null : Arrays.stream(backends.split("[|;,]")).map(String::trim).toList()));
    }
    return rows;
  }

  private static Path resolve(Path base, String p) {
    Path path = Path.of(p);
    return path.isAbsolute() || base == null ? path : base.resolve(path).normalize();
  }

  private static String resolveInput(Path base, String spec) {
    int eq = spec.indexOf('=');
    if (eq > 0 && !spec.toLowerCase(Locale.ROOT).endsWith(".npz")) {
      return spec.substring(0, eq + 1) + resolve(base, spec.substring(eq + 1));
    }
    return resolve(base, spec).toString();
  }

  private static String field(List<String> f, Map<String, Integer> col, String name) {
    Integer i = col.get(name);
    return i == null || i >= f.size() ? "" : f.get(i).trim();
  }

  private static long parseLong(String s, String label, int line, String what) {
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      throw CrossalignException.input(label + " line " + line + ": " + what + " must be an integer, got '" + s + "'");
    }
  }

  private static Double number(String s, String label, int line, String what) {
    if (s.isEmpty()) {
      return null;
    }
    try {
      double d = Double.parseDouble(s);
      if (!(d >= 0) || Double.isInfinite(d)) {
        throw new NumberFormatException();
      }
      return d;
    } catch (NumberFormatException e) {
      throw CrossalignException.input(label + " line " + line + ": " + what + " must be a finite number >= 0, got '"
          + s + "'");
    }
  }

  /** One CSV line: commas separate, double quotes quote, "" inside quotes is a quote. */
  static List<String> split(String line, String label, int lineNo) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted) {
        if (c == '"') {
          if (i + 1 < line.length() && line.charAt(i + 1) == '"') {
            cur.append('"');
            i++;
          } else {
            quoted = false;
          }
        } else {
          cur.append(c);
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        out.add(cur.toString());
        cur.setLength(0);
      } else {
        cur.append(c);
      }
    }
    if (quoted) {
      throw CrossalignException.input(label + " line " + lineNo + ": unterminated quote");
    }
    out.add(cur.toString());
    return out;
  }
}
