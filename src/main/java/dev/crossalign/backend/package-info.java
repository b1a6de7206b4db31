/**
 * The backends: the {@code Backend} interface, {@code Activations} (one run's tensors in topological order), {@code
 * Device}, {@code DeterminismConfig} and profiles. Each subpackage is the only home of its native library's types;
 * what leaves this package is a {@code HostTensor} or a plain Java value. May use tensor, tflite and onnx.
 */
package dev.crossalign.backend;
