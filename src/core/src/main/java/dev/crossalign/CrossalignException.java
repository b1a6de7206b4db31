package dev.crossalign;

/**
 * The one checked-at-the-edge exception of the engine: a message of one line that says what and where, and a kind that
 * the CLI maps to an exit status. Native failures are wrapped into this before they leave a backend package.
 */
public class CrossalignException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What went wrong, as far as the exit status is concerned. */
  public enum Kind {
    /** Missing, empty, truncated, malformed input file or bad argument: exit 2. */
    INPUT(2),
    /** A valid model that uses ops a backend cannot run: exit 3. */
    UNSUPPORTED(3),
    /** A device or native library that is not there (no GPU, no CUDA runtime): exit 2. */
    ENVIRONMENT(2),
    /** A bug or a native failure we did not foresee: exit 2 with the message, stack trace with --verbose. */
    INTERNAL(2);

    private final int exitStatus;

    Kind(int exitStatus) {
      this.exitStatus = exitStatus;
    }

    public int exitStatus() {
      return exitStatus;
    }
  }

  private final Kind kind;

  public CrossalignException(Kind kind, String message) {
    super(oneLine(message));
    this.kind = kind;
  }

  public CrossalignException(Kind kind, String message, Throwable cause) {
    super(oneLine(message), cause);
    this.kind = kind;
  }

  /**
   * The message as one line, whatever it quotes: names read from a file (an ONNX initializer or node, a TFLite tensor)
   * may hold any bytes, and a line break or another control character among them would split the one line the CLI
   * prints. Each such character becomes a backslash escape (x and two hex digits, or u and four); the rest is kept.
   */
  static String oneLine(String message) {
    if (message == null || message.chars().noneMatch(CrossalignException::breaksTheLine)) {
      return message;
    }
    StringBuilder b = new StringBuilder(message.length() + 16);
    for (int i = 0; i < message.length(); i++) {
      char c = message.charAt(i);
      if (!breaksTheLine(c)) {
        b.append(c);
      } else if (c <= 0xff) {
        b.append(String.format("\\x%02x", (int) c));
      } else {
        b.append(String.format("\\u%04x", (int) c));
      }
    }
    return b.toString();
  }

  /** C0 and C1 controls, DEL, and Unicode's line and paragraph separators; a tab is kept. */
  private static boolean breaksTheLine(int c) {
    return c != '\t' && (Character.isISOControl(c) || c == '\u2028' || c == '\u2029');
  }

  public Kind kind() {
    return kind;
  }

  public static CrossalignException input(String message) {
    return new CrossalignException(Kind.INPUT, message);
  }

  public static CrossalignException unsupported(String message) {
    return new CrossalignException(Kind.UNSUPPORTED, message);
  }
}
