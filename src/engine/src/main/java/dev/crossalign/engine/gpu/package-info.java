/**
 * The GPU check that runs from a bundle on a machine without Java or Maven (benchmarks/gpu-bundle.sh,
 * run-gpu-check.sh): its legs as plain calls ({@link dev.crossalign.engine.gpu.GpuLegs}: bundle export, the TFLite
 * re-run on CPU, the cuDNN algorithm sweep, the summary; the command that parses their options is the CLI module's
 * {@code dev.crossalign.cli.GpuCheckCommand}), and the conv-algorithm experiment behind {@code determinism
 * --conv-algos} ({@link dev.crossalign.engine.gpu.ConvAlgoLab} over the model's conv layers,
 * {@link dev.crossalign.engine.gpu.ConvLayers}). Reaches no libtorch, ONNX Runtime or protobuf class, which the bundle
 * script checks with a jdeps closure. May use tensor, tflite, backend (tflite, cudnn), align and the engine.
 */
package dev.crossalign.engine.gpu;
