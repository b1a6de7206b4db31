/**
 * The TF-faithful port of a TFLite graph to libtorch: the op registry and its plug-in SPI ({@code OpLowering}), the
 * graph runner, and the runtime that owns libtorch's state. May use backend, tensor, tflite and onnx; libtorch
 * types may appear here and in backend.torch only.
 */
package dev.crossalign.port;
