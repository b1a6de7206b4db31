/**
 * One file per TFLite op family: its TF rule's use (the rule itself lives once, in tflite/: SamePadding,
 * StridedSlicePlan, ResizeCoordinates), its libtorch lowering, its PyTorch code emission and its ONNX export (the
 * OpLowering SPI). Each refuses what it cannot do with a reason.
 */
package dev.crossalign.port.ops;
