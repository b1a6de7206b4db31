package dev.crossalign.port;

/**
 * Which code runs the torch backend's chained and speed runs: the generated module compiled by libtorch's TorchScript
 * compiler (the whole graph in one native call), or the per-op eager lowerings called one by one from Java, with the
 * reason the TorchScript path was not taken. Recorded in the report's config as {@code torch.path}.
 */
public record TorchPath(Kind kind, String reason) {
  /** The two ways the port runs a whole graph. */
  public enum Kind {
    TORCHSCRIPT,
    EAGER
  }

  /** System property that forces the eager path ({@code eager}); for before/after measurements and as an oracle. */
  public static final String PROPERTY = "crossalign.torch.path";

  public static TorchPath torchScript() {
    return new TorchPath(Kind.TORCHSCRIPT, "");
  }

  public static TorchPath eager(String reason) {
    return new TorchPath(Kind.EAGER, reason);
  }

  /** {@code torchscript} or {@code eager (reason)}. */
  public String describe() {
    return kind == Kind.TORCHSCRIPT ? "torchscript" : "eager (" + reason + ")";
  }

  /** Whether the process asked for the eager path ({@code -Dcrossalign.torch.path=eager}). */
  static boolean eagerRequested() {
    return "eager".equalsIgnoreCase(System.getProperty(PROPERTY, "").trim());
  }
}
