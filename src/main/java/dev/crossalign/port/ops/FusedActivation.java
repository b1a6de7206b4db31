package dev.crossalign.port.ops;

import dev.crossalign.port.LoweringContext;
import dev.crossalign.tflite.Activation;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;

/** TFLite's fused activations, applied after an op in float32 exactly as the reference kernels clamp. */
public final class FusedActivation {
  private FusedActivation() {}

  /** Fails at prepare time for activations the port does not reproduce. */
  public static void check(LoweringContext ctx, Activation a) {
    if (a == Activation.SIGN_BIT) {
      throw ctx.unsupported("fused activation SIGN_BIT");
    }
  }

  public static Tensor apply(Tensor t, Activation a) {
    return switch (a) {
      case NONE -> t;
      case RELU -> t.relu();
      case RELU_N1_TO_1 -> t.clamp(new ScalarOptional(new Scalar(-1.0)), new ScalarOptional(new Scalar(1.0)));
      case RELU6 -> t.clamp(new ScalarOptional(new Scalar(0.0)), new ScalarOptional(new Scalar(6.0)));
      case TANH -> t.tanh();
      case SIGN_BIT -> throw new IllegalStateException("SIGN_BIT is refused at prepare time");
    };
  }
}
