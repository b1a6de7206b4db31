package dev.crossalign.report;

/** HTML text escaping. Every string from a result (tensor names, ops, notes, config) goes through here. */
final class Html {
  private Html() {}

  /**
   * Escapes for element text and for double- or single-quoted attribute values. Control characters other than tab,
   * CR and LF (which HTML cannot carry) become U+FFFD, and so do lone surrogates.
   */
  static String esc(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder sb = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      switch (ch) {
        case '&' -> sb.append("&amp;");
        case '<' -> sb.append("&lt;");
        case '>' -> sb.append("&gt;");
        case '"' -> sb.append("&quot;");
        case '\'' -> sb.append("&#39;");
        default -> {
          if (Character.isHighSurrogate(ch) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
            sb.append(ch).append(s.charAt(++i));
          } else if (Character.isSurrogate(ch) || (ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r')
              || (ch >= 0x7f && ch <= 0x9f)) {
            sb.append('\uFFFD');
          } else {
            sb.append(ch);
          }
        }
      }
    }
    return sb.toString();
  }
}
