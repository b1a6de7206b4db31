/**
 * ONNX Runtime as a backend (ai.onnxruntime): sessions on a big-stack thread, every intermediate captured, options
 * applied before a session exists. The only package that touches ONNX Runtime's types.
 */
package dev.crossalign.backend.onnx;
