package dev.crossalign.engine;

/**
 * Where a pair's comparisons go in the report: the order validate has always listed them in, whatever order the legs
 * run in (ONNX Runtime's runs go before the port's, so that the port's tensors can stream past ONNX Runtime's).
 */
enum Slot {
  TORCH_CHAINED,
  TORCH_ISOLATED,
  ORT_CHAINED,
  TORCH_ORT_CHAINED,
  ORT_ISOLATED,
  TORCH_ORT_ISOLATED
}
