package dev.crossalign.port;

import dev.crossalign.CrossalignException;

/** The port cannot lower an op: the message says which op and why. */
public final class UnsupportedOpException extends CrossalignException {
  private static final long serialVersionUID = 1L;
  private final String op;
  private final String reason;

  public UnsupportedOpException(String op, String reason) {
    super(Kind.UNSUPPORTED, "op " + op + " is not supported by the torch port: " + reason);
    this.op = op;
    this.reason = reason;
  }

  public String op() {
    return op;
  }

  public String reason() {
    return reason;
  }
}
