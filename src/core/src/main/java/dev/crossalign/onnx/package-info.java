/**
 * ONNX ModelProto I/O with external data confined to the model's folder, a small graph builder and a checker. May
 * use tensor.
 */
package dev.crossalign.onnx;
