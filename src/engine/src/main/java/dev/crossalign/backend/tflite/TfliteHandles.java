package dev.crossalign.backend.tflite;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.tensorflowlite.BuiltinOpResolver;
import org.bytedeco.tensorflowlite.FlatBufferModel;
import org.bytedeco.tensorflowlite.Interpreter;

/**
 * Everything native one {@link TfliteBackend} owns, freed in an order that respects who points at whom. Any component
 * may be null (a half-built set, when opening fails). {@link TfliteBackend} holds the one instance and closes it once;
 * {@link InterpreterFactory} closes a half-built set itself.
 */
record TfliteHandles(
    BytePointer modelBuffer,
    FlatBufferModel model,
    BuiltinOpResolver resolver,
    Interpreter interpreter,
    ExternalDelegate external,
    PlaceholderKernels placeholders,
    DelegateBackedKernels kernels,
    MediaPipeKernels mediapipe) {

  /** Frees every handle; a failure on one does not keep the others open. */
  void close() {
    // First: no Invoke may find these kernels through a context address that a later interpreter could reuse.
    if (kernels != null) {
      kernels.detach();
    }
    // The interpreter holds pointers into the model, its buffer and the resolver's registrations: free it first.
    closeQuietly(interpreter);
    // A delegate must outlive the interpreter that it was applied to.
    if (external != null) {
      try {
        external.close();
      } catch (RuntimeException e) {
        // As for closeQuietly: the remaining handles still get freed.
      }
    }
    closeQuietly(model);
    closeQuietly(resolver);
    closeQuietly(modelBuffer);
    // Last: the resolver and the interpreter's nodes point at the placeholders' custom-op name strings.
    if (placeholders != null) {
      try {
        placeholders.close();
      } catch (RuntimeException e) {
        // As closeQuietly: nothing a caller could do.
      }
    }
    // Likewise the XNNPACK-backed kernels' registrations and names; their one-op interpreters are independent.
    if (kernels != null) {
      try {
        kernels.close();
      } catch (RuntimeException e) {
        // As closeQuietly: nothing a caller could do.
      }
    }
    // Likewise the MediaPipe kernels' registrations and names.
    if (mediapipe != null) {
      try {
        mediapipe.close();
      } catch (RuntimeException e) {
        // As closeQuietly: nothing a caller could do.
      }
    }
  }

  /** Closes one handle; a failure there must not keep the others open. */
  private static void closeQuietly(Pointer p) {
    if (p != null) {
      try {
        p.close();
      } catch (RuntimeException e) {
        // Nothing a caller could do; the remaining handles still get freed.
      }
    }
  }
}
