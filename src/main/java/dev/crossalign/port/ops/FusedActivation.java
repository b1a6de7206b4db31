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

  /** Refuses (code generation) the activations the port does not reproduce. */
  public static void check(dev.crossalign.port.codegen.PyOp p, Activation a) {
    if (a == Activation.SIGN_BIT) {
      throw p.unsupported("fused activation SIGN_BIT");
    }
  }

  /** The activation as PyTorch code around {@code expr}, with the same float32 clamps as {@link #apply}. */
  public static String py(String expr, Activation a) {
    return switch (a) {
      case NONE, TANH -> expr; // TANH: no fused activation in TFLite's float kernels (see apply)
      case RELU -> "torch.relu(" + expr + ")";
      case RELU_N1_TO_1 -> "torch.clamp(" + expr + ", -1.0, 1.0)";
      case RELU6 -> "torch.clamp(" + expr + ", 0.0, 6.0)";
      case SIGN_BIT -> throw new IllegalStateException("SIGN_BIT is refused before code generation");
    };
  }

  public static Tensor apply(Tensor t, Activation a) {
    return switch (a) {
      case NONE -> t;
      case RELU -> t.relu();
      case RELU_N1_TO_1 -> t.clamp(new ScalarOptional(new Scalar(-1.0)), new ScalarOptional(new Scalar(1.0)));
      case RELU6 -> t.clamp(new ScalarOptional(new Scalar(0.0)), new ScalarOptional(new Scalar(6.0)));
      // TFLite's float kernels (conv, depthwise, FC, pool, transpose conv, add, mul...) clamp with
      // CalculateActivationRange, which knows only RELU, RELU_N1_TO_1 and RELU6: a fused TANH is no activation at
      // all there (checked against the interpreter: applying tanh was off by up to 7 on DEPTHWISE_CONV_2D).
      case TANH -> t;
      case SIGN_BIT -> throw new IllegalStateException("SIGN_BIT is refused at prepare time");
    };
  }
}
