package dev.crossalign.onnx.export;

/** Emits the ONNX nodes for one TFLite operator. Throws {@link ExportContext.Refusal} when it cannot. */
@FunctionalInterface
interface OpExporter {
  void export(ExportContext.OpScope op);
}
