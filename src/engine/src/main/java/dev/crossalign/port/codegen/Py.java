package dev.crossalign.port.codegen;

import java.util.Locale;

/** Python literals and names for generated code. */
public final class Py {
  private Py() {}

  /** A Python list of ints: {@code [0, 1, 0, 1]}. */
  public static String ints(long... v) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < v.length; i++) {
      b.append(i == 0 ? "" : ", ").append(v[i]);
    }
    return b.append(']').toString();
  }

  public static String ints(int... v) {
    long[] l = new long[v.length];
    for (int i = 0; i < v.length; i++) {
      l[i] = v[i];
    }
    return ints(l);
  }

  /**
   * A float literal that Python parses back to exactly this float32 value (Java's shortest float repr, which as a
   * double rounds to the same float32), with inf/nan spelled so TorchScript accepts them.
   */
  public static String f32(float v) {
    if (Float.isNaN(v)) {
      return "float(\"nan\")";
    }
    if (Float.isInfinite(v)) {
      return v > 0 ? "float(\"inf\")" : "float(\"-inf\")";
    }
    String s = Float.toString(v);
    if (s.contains("E")) {
      s = s.replace("E", "e");
    }
    return s;
  }

  /** A double-quoted Python string literal (ASCII, escapes for everything else). */
  public static String str(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (c >= 0x20 && c < 0x7f) {
        b.append(c);
      } else if (c <= 0xff) {
        b.append(String.format(Locale.ROOT, "\\x%02x", (int) c));
      } else {
        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
      }
    }
    return b.append('"').toString();
  }

  /** Text safe inside a # comment: one line, printable ASCII. */
  public static String comment(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length() && b.length() < 160; i++) {
      char c = s.charAt(i);
      b.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return b.toString();
  }

  /**
   * A Python identifier derived from a TFLite tensor name: the last path component of its first ';' part, lower
   * case, anything but [a-z0-9_] as '_', at most {@code max} characters, never starting with a digit.
   */
  public static String identifier(String tfliteName, int max) {
    String n = tfliteName == null ? "" : tfliteName;
    int semi = n.indexOf(';');
    if (semi >= 0) {
      n = n.substring(0, semi);
    }
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < n.length(); i++) {
      char c = Character.toLowerCase(n.charAt(i));
      boolean ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
      if (ok) {
        b.append(c);
      } else if (b.length() > 0 && b.charAt(b.length() - 1) != '_') {
        b.append('_');
      }
    }
    String s = b.toString();
    while (s.endsWith("_")) {
      s = s.substring(0, s.length() - 1);
    }
    if (s.length() > max) {
      s = s.substring(s.length() - max);
      while (s.startsWith("_")) {
        s = s.substring(1);
      }
    }
    if (s.isEmpty()) {
      s = "t";
    }
    if (Character.isDigit(s.charAt(0))) {
      s = "t" + s;
    }
    return s;
  }
}
