package dev.crossalign.tflite;

import dev.crossalign.CrossalignException;

/**
 * The one gate between a model file and TFLite's interpreter: {@link TfliteBackend#open} runs it on every model before
 * building an interpreter, so no caller can forget it. First the per-op input checks ({@link OpInputChecks}: a
 * malformed graph TFLite would crash on, exit 2; the reader runs them too, so every command refuses such a file, and
 * they run here again for the models made from a read one, {@link IsolatedForm} and {@link MagnitudeForm}); then model shapes that are valid but pass TFLite's verifier and
 * Prepare and crash the TFLite 2.20 interpreter inside Invoke (found by this project's tests): refused with exit 3 and
 * the reason. A JVM crash is the worst failure this product can have.
 *
 * @see dev.crossalign.backend.tflite.TfliteBackend
 */
public final class NativeSafety {
  private NativeSafety() {}

  public static void check(TfliteModel model) {
    OpInputChecks.check(model);
    Subgraph g = model.main();
    int[] runTimeShape = null;
    for (Operator op : g.operators()) {
      if (CustomOpChecks.isTransposeConvBias(op.customCode(), op.inputs(), op.outputs())) {
        runTimeShape = runTimeShape == null ? RunTimeShapes.of(model, g) : runTimeShape;
        int from = runTimeShape[op.inputs()[0]];
        if (from >= 0) {
          throw refuse(model, op, "its input 0 (tensor " + op.inputs()[0] + " '"
              + OpInputChecks.printable(g.tensor(op.inputs()[0]).name()) + "') gets its shape only at run time (op #"
              + from + " " + g.operators().get(from).opName() + " computes it from values that are not constant), and"
              + " TFLite 2.20's only kernel for it, the XNNPACK delegate, takes the shapes fixed when the model is"
              + " prepared: its channels from the weights (a new shape is read past its end)");
        }
      }
      if (op.builtin() == null) {
        continue;
      }
      switch (op.builtin()) {
        case DEPTHWISE_CONV_2D -> {
          // 2-input float depthwise conv: Prepare accepts it, Invoke segfaults (no bias pointer).
          if (op.inputs().length < 3 || op.inputs()[2] < 0) {
            throw refuse(model, op, "a DEPTHWISE_CONV_2D without a bias input crashes TFLite 2.20's kernel");
          }
        }
        case SQUARED_DIFFERENCE, MAXIMUM, MINIMUM, POW, FLOOR_DIV, FLOOR_MOD -> {
          // These kernels abort the process on broadcasts of more than 4 dimensions.
          for (int in : op.inputs()) {
            if (in >= 0 && g.tensor(in).shape().length > 4) {
              throw refuse(model, op, op.opName() + " with a " + g.tensor(in).shape().length + "-D input aborts TFLite 2.20 (4-D at most)");
            }
          }
        }
        default -> {}
      }
    }
  }

  private static CrossalignException refuse(TfliteModel model, Operator op, String why) {
    return CrossalignException.unsupported(
        "model " + model.label() + ": op #" + op.index() + " " + op.opName() + " is not run by the TFLite reference: " + why);
  }
}
