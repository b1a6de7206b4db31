package dev.crossalign.tensor;

import dev.crossalign.CrossalignException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The header dict of an .npy file: {@code {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }}. Parsed by a
 * strict little recursive-descent reader of the Python literal subset numpy writes (numpy itself uses
 * ast.literal_eval), never by regex or eval, so a hostile header cannot do more than fail with one line.
 *
 * @param dtype element type
 * @param bigEndian whether the stored multi-byte elements are big-endian ('>' in descr)
 * @param fortranOrder whether the data is column-major
 * @param shape dimensions, each in [0, Integer.MAX_VALUE]
 */
record NpyHeader(DType dtype, boolean bigEndian, boolean fortranOrder, int[] shape) {

  NpyHeader {
    shape = shape.clone();
  }

  @Override
  public int[] shape() {
    return shape.clone();
  }

  /** numpy's own dtype.str for each DType (what np.save writes on a little-endian host). */
  static String descrOf(DType dtype) {
    return switch (dtype) {
      case FLOAT32 -> "<f4";
      case FLOAT16 -> "<f2";
      case FLOAT64 -> "<f8";
      case INT8 -> "|i1";
      case UINT8 -> "|u1";
      case INT16 -> "<i2";
      case INT32 -> "<i4";
      case INT64 -> "<i8";
      case BOOL -> "|b1";
    };
  }

  /** Formats the dict as numpy does (without the padding). */
  static String format(DType dtype, int[] shape) {
    StringBuilder sb = new StringBuilder();
    sb.append("{'descr': '").append(descrOf(dtype)).append("', 'fortran_order': False, 'shape': (");
    for (int i = 0; i < shape.length; i++) {
      sb.append(shape[i]);
      if (shape.length == 1 || i < shape.length - 1) {
        sb.append(',');
      }
      if (i < shape.length - 1) {
        sb.append(' ');
      }
    }
    sb.append("), }");
    return sb.toString();
  }

  /** Parses a header dict; {@code label} names the file in error messages. */
  static NpyHeader parse(String text, String label) {
    Map<String, Object> dict = new Parser(text, label).dict();
    for (String key : dict.keySet()) {
      if (!key.equals("descr") && !key.equals("fortran_order") && !key.equals("shape")) {
        throw bad(label, "unexpected key '" + key + "' in the header dict");
      }
    }
    Object descr = require(dict, "descr", label);
    Object fortran = require(dict, "fortran_order", label);
    Object shape = require(dict, "shape", label);
    if (!(descr instanceof String d)) {
      throw bad(label, "descr is not a plain dtype string (structured arrays are not supported): " + descr);
    }
    if (!(fortran instanceof Boolean f)) {
      throw bad(label, "fortran_order is not True or False: " + fortran);
    }
    if (!(shape instanceof long[] dims)) {
      throw bad(label, "shape is not a tuple of integers: " + shape);
    }
    int[] s = new int[dims.length];
    for (int i = 0; i < dims.length; i++) {
      if (dims[i] < 0 || dims[i] > Integer.MAX_VALUE) {
        throw bad(label, "shape " + Arrays.toString(dims) + " has an invalid dimension " + dims[i]);
      }
      s[i] = (int) dims[i];
    }
    boolean big = false;
    DType dtype;
    if (d.length() < 2) {
      throw bad(label, "unknown dtype descr '" + d + "'");
    }
    char order = d.charAt(0);
    String code = d.substring(1);
    if (order != '<' && order != '>' && order != '|' && order != '=') {
      // numpy always writes a byte-order character; a bare 'f4' is not something np.save produces
      throw bad(label, "unknown dtype descr '" + d + "' (no byte-order character)");
    }
    dtype = switch (code) {
      case "f2" -> DType.FLOAT16;
      case "f4" -> DType.FLOAT32;
      case "f8" -> DType.FLOAT64;
      case "i1" -> DType.INT8;
      case "u1" -> DType.UINT8;
      case "i2" -> DType.INT16;
      case "i4" -> DType.INT32;
      case "i8" -> DType.INT64;
      case "b1" -> DType.BOOL;
      default -> throw bad(label, "unsupported dtype descr '" + d
          + "' (supported: f2 f4 f8 i1 u1 i2 i4 i8 b1, little or big endian)");
    };
    if (order == '>') {
      big = true;
    } else if (order == '=') {
      big = java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.BIG_ENDIAN;
    }
    if (dtype.byteSize() == 1) {
      big = false;
    }
    return new NpyHeader(dtype, big, f, s);
  }

  private static Object require(Map<String, Object> dict, String key, String label) {
    Object v = dict.get(key);
    if (v == null) {
      throw bad(label, "header dict has no '" + key + "' key");
    }
    return v;
  }

  static CrossalignException bad(String label, String what) {
    return CrossalignException.input(label + ": not a valid .npy file: " + what);
  }

  /** Python literal subset: dict of str keys; values str, True/False, tuple of non-negative ints. */
  private static final class Parser {
    private final String s;
    private final String label;
    private int pos;

    Parser(String s, String label) {
      this.s = s;
      this.label = label;
    }

    Map<String, Object> dict() {
      skipWs();
      if (!eat('{')) {
        throw bad(label, "header is not a dict (starts with " + snippet() + ")");
      }
      Map<String, Object> out = new HashMap<>();
      skipWs();
      while (!eat('}')) {
        String key = string();
        skipWs();
        expect(':');
        skipWs();
        Object value = value();
        if (out.put(key, value) != null) {
          throw bad(label, "duplicate key '" + key + "' in the header dict");
        }
        skipWs();
        if (!eat(',')) {
          skipWs();
          expect('}');
          break;
        }
        skipWs();
      }
      skipWs();
      if (pos != s.length()) {
        throw bad(label, "text after the header dict: " + snippet());
      }
      return out;
    }

    private Object value() {
      char c = peek();
      if (c == '\'' || c == '"') {
        return string();
      }
      if (s.startsWith("True", pos)) {
        pos += 4;
        return Boolean.TRUE;
      }
      if (s.startsWith("False", pos)) {
        pos += 5;
        return Boolean.FALSE;
      }
      if (c == '(') {
        return tuple();
      }
      if (c == '[') {
        throw bad(label, "descr is a list (structured arrays are not supported)");
      }
      throw bad(label, "unexpected value in the header dict at " + snippet());
    }

    private long[] tuple() {
      expect('(');
      long[] dims = new long[8];
      int n = 0;
      skipWs();
      while (!eat(')')) {
        long v = integer();
        if (n == 64) {
          throw bad(label, "shape has more than 64 dimensions");
        }
        if (n == dims.length) {
          dims = Arrays.copyOf(dims, n * 2);
        }
        dims[n++] = v;
        skipWs();
        if (!eat(',')) {
          skipWs();
          expect(')');
          break;
        }
        skipWs();
      }
      return Arrays.copyOf(dims, n);
    }

    private long integer() {
      int start = pos;
      if (pos < s.length() && (s.charAt(pos) == '-' || s.charAt(pos) == '+')) {
        pos++;
      }
      while (pos < s.length() && Character.isDigit(s.charAt(pos)) && s.charAt(pos) < 128) {
        pos++;
      }
      if (pos < s.length() && s.charAt(pos) == 'L') {
        pos++; // Python 2 long suffix, written by old numpy
      }
      String t = s.substring(start, pos).replace("L", "");
      if (t.isEmpty() || t.equals("-") || t.equals("+")) {
        throw bad(label, "shape holds a non-integer at " + snippet());
      }
      if (t.replace("-", "").replace("+", "").length() > 18) {
        throw bad(label, "shape dimension " + t + " is too large");
      }
      return Long.parseLong(t);
    }

    private String string() {
      char q = peek();
      if (q != '\'' && q != '"') {
        throw bad(label, "expected a quoted key at " + snippet());
      }
      pos++;
      int end = s.indexOf(q, pos);
      if (end < 0) {
        throw bad(label, "unterminated string in the header");
      }
      String v = s.substring(pos, end);
      if (v.indexOf('\\') >= 0) {
        throw bad(label, "escape sequence in a header string");
      }
      pos = end + 1;
      return v;
    }

    private char peek() {
      if (pos >= s.length()) {
        throw bad(label, "header dict ends early");
      }
      return s.charAt(pos);
    }

    private boolean eat(char c) {
      if (pos < s.length() && s.charAt(pos) == c) {
        pos++;
        return true;
      }
      return false;
    }

    private void expect(char c) {
      if (!eat(c)) {
        throw bad(label, "expected '" + c + "' in the header at " + snippet());
      }
    }

    private void skipWs() {
      while (pos < s.length() && (s.charAt(pos) == ' ' || s.charAt(pos) == '\n' || s.charAt(pos) == '\t'
          || s.charAt(pos) == '\r')) {
        pos++;
      }
    }

    private String snippet() {
      if (pos >= s.length()) {
        return "the end of the header";
      }
      String t = s.substring(pos, Math.min(s.length(), pos + 20));
      StringBuilder sb = new StringBuilder("'");
      for (char c : t.toCharArray()) {
        sb.append(c >= 32 && c < 127 ? String.valueOf(c) : String.format("\\x%02x", (int) c & 0xff));
      }
      return sb.append("'").toString();
    }
  }
}
