package dev.crossalign.port.onnx;

/**
 * One operator cannot be exported to ONNX; the message is the reason. Thrown by {@link OnnxOp#refuse} inside an
 * op family's export; the {@link Exporter} collects them per op kind and keeps walking the graph.
 */
public final class ExportRefusal extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ExportRefusal(String reason) {
    super(reason, null, false, false);
  }
}
