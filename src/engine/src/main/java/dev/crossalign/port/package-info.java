/**
 * The TF-faithful port of a TFLite graph to libtorch: the op registry and its plug-in SPI ({@code OpLowering}), the
 * graph runner, and the runtime that owns libtorch's state. May use backend, tensor, tflite and onnx; libtorch
 * types may appear here and in backend.torch only.
 *
 * <p>One source of truth per op: its family's generated code. Chained runs execute the generated module's forward
 * compiled by TorchScript and frozen ({@code ScriptedGraph}); isolated runs execute each op's lines of that same
 * forward as a TorchScript method of its own, fed the reference's tensors ({@code ScriptedOps}). The per-op eager
 * lowerings ({@code PortGraph}) run what has no code generation, CUDA, the float64 truth and the per-op profile, and
 * are the oracle the TorchScript paths are tested against.
 */
package dev.crossalign.port;
