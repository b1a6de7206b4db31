/**
 * The backends: the {@code Backend} interface, {@code BackendKind} (the closed set of backend names), the {@code
 * BackendProvider} SPI (one provider per backend package, listed in META-INF/services, opened through {@code
 * Backends} with a {@code BackendSpec}, a backend's own settings as typed {@code NativeOptions}), {@code Activations} (one run's tensors in topological order), {@code Device}, {@code DeterminismConfig}
 * and profiles. Each subpackage is the only home of its native library's types;
 * what leaves this package is a {@code HostTensor} or a plain Java value. May use tensor, tflite and onnx.
 */
package dev.crossalign.backend;
