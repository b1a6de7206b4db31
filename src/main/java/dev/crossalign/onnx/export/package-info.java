/**
 * The exporter from a TFLite graph to ONNX, per op family. Known debt (issue 9): these exports are to move into the
 * port/ops family files so that one file holds an op's TF rule, its PyTorch code and its ONNX export.
 */
package dev.crossalign.onnx.export;
