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
    super(message);
    this.kind = kind;
  }

  public CrossalignException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
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
