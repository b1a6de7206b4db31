package dev.crossalign.port.onnx;

/** How {@link Exporter} shapes the ONNX model's rank-4 inputs. */
public record ExportOptions(InputLayout inputLayout) {
  /** NHWC inputs (the TFLite signature), NCHW inside. */
  public static final ExportOptions DEFAULT = new ExportOptions(InputLayout.NHWC);

  public ExportOptions {
    if (inputLayout == null) {
      inputLayout = InputLayout.NHWC;
    }
  }

  /** Layout of the rank-4 graph inputs of the exported model. */
  public enum InputLayout {
    /** The ONNX input has the TFLite shape; a Transpose at the entry brings it to NCHW. */
    NHWC,
    /** The ONNX input is NCHW already (the caller permutes). */
    NCHW
  }
}
