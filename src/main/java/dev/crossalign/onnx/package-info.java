/**
 * ONNX ModelProto I/O with external data confined to the model's folder, a small graph builder and a checker. May
 * use tensor. (Its export subpackage still reads tflite types until each op family holds its own export:
 * ArchitectureTest lists it as known debt.)
 */
package dev.crossalign.onnx;
