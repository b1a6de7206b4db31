package dev.crossalign;

import java.util.Objects;

/**
 * An op type a backend, the port or an exporter could not run: how many times the model uses it, and why. One record
 * for all of them (the port's refusals, the ONNX exporter's, the reference's placeholders, the reports' rows), so
 * that none is converted into another on its way to the report.
 */
public record UnsupportedOp(String op, int count, String reason) {
  public UnsupportedOp {
    Objects.requireNonNull(op, "op");
    Objects.requireNonNull(reason, "reason");
    if (count < 0) {
      throw new IllegalArgumentException("count must be >= 0, got " + count);
    }
  }
}
