/**
 * One file per TFLite op family: its TF rule's use (the rule itself lives once, in tflite/ or SamePadding), its
 * libtorch lowering and, as issue 9 proceeds, its PyTorch code emission and ONNX export. Each refuses what it
 * cannot do with a reason.
 */
package dev.crossalign.port.ops;
