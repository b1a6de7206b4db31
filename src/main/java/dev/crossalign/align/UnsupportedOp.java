package dev.crossalign.align;

import java.util.Objects;

/** An op type a backend could not run: how many times the model uses it, and why it is unsupported. */
public record UnsupportedOp(String op, int count, String reason) {
  public UnsupportedOp {
    Objects.requireNonNull(op, "op");
    Objects.requireNonNull(reason, "reason");
    if (count < 0) {
      throw new IllegalArgumentException("count must be >= 0, got " + count);
    }
  }
}
