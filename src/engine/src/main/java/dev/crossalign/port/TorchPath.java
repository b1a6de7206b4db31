package dev.crossalign.port;

/**
 * Which code runs the torch backend's chained and speed runs: the generated module compiled by libtorch's TorchScript
 * compiler (the whole graph in one native call), or the per-op eager lowerings called one by one from Java, with the
 * reason the TorchScript path was not taken. Recorded in the report's config as {@code torch.path}; isolated runs
 * (each op on its own, as a per-op TorchScript method or an eager lowering) as {@code torch.isolated_path}.
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

  /** The TorchScript path with a remark: isolated runs that take a few ops through their eager lowerings. */
  public static TorchPath torchScript(String remark) {
    return new TorchPath(Kind.TORCHSCRIPT, remark);
  }

  public static TorchPath eager(String reason) {
    return new TorchPath(Kind.EAGER, reason);
  }

  /** The eager path because compiling the generated code failed: the compiler's message, cut at 200 characters. */
  static TorchPath eagerAfter(RuntimeException e) {
    String msg = e.getMessage() == null ? "" : e.getMessage();
    return eager(msg.length() > 200 ? msg.substring(0, 200) + "..." : msg);
  }

  /** {@code torchscript}, {@code torchscript (remark)} or {@code eager (reason)}. */
  public String describe() {
    if (kind == Kind.TORCHSCRIPT) {
      return reason.isEmpty() ? "torchscript" : "torchscript (" + reason + ")";
    }
    return "eager (" + reason + ")";
  }

  /** Whether the process asked for the eager path ({@code -Dcrossalign.torch.path=eager}). */
  static boolean eagerRequested() {
    return "eager".equalsIgnoreCase(System.getProperty(PROPERTY, "").trim());
  }
}
