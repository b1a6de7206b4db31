/**
 * The port as PyTorch code: {@link dev.crossalign.port.codegen.PyGenerator} writes a TFLite model as one nn.Module
 * (eager PyTorch and TorchScript at once) from the op families' {@code OpLowering.emitPython}, folding weight storage
 * to float32 with {@code tflite.WeightFolding}; {@link dev.crossalign.port.codegen.TorchScriptModule} compiles that
 * source with libtorch's TorchScript compiler from Java, runs it whole-graph, saves model.pt and the state_dict, and
 * holds each op's lines as a method of its own for isolated runs ({@link dev.crossalign.port.codegen.OpMethods});
 * {@link dev.crossalign.port.codegen.PyTorchPackage} is what {@code convert --to pytorch} writes. May use what
 * {@code port} may use (backend, tensor, tflite, onnx) and the port itself.
 */
package dev.crossalign.port.codegen;
