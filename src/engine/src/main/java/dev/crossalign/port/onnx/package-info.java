/**
 * The ONNX export engine of the port: walks the TFLite graph, keeps each tensor's ONNX name and layout (rank 4 NCHW
 * inside), folds weight-only subgraphs, and asks each op's family in port/ops ({@code OpLowering#exportOnnx}) for its
 * nodes through {@link dev.crossalign.port.onnx.OnnxOp}. The ModelProto itself is built by {@code
 * dev.crossalign.onnx.OnnxGraphBuilder}.
 */
package dev.crossalign.port.onnx;
