package dev.crossalign.port.onnx;

/** Emits the ONNX nodes for one TFLite operator. Throws {@link ExportRefusal} when it cannot. */
@FunctionalInterface
interface OpExporter {
  void export(OnnxOp op);
}
