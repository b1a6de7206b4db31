/**
 * The GPU check that runs from a bundle on a machine without Java or Maven (benchmarks/gpu-bundle.sh,
 * run-gpu-check.sh): {@link dev.crossalign.engine.gpu.GpuCheck} and its legs (bundle export, the TFLite re-run on
 * CPU, the cuDNN algorithm sweep, the summary), and the conv-algorithm experiment behind {@code determinism --conv-algos}
 * ({@link dev.crossalign.engine.gpu.ConvAlgoLab} over the model's conv layers, {@link dev.crossalign.engine.gpu.ConvLayers}). Reaches no libtorch, ONNX Runtime or protobuf class, which the bundle
 * script checks with a jdeps closure. May use tensor, tflite, backend (tflite, cudnn), align and the engine.
 */
package dev.crossalign.engine.gpu;
