package dev.crossalign.port.ops;

import dev.crossalign.port.codegen.PyOp;

import dev.crossalign.port.OpView;
import dev.crossalign.tflite.Activation;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * TFLite's fused activations, applied after an op in float32 exactly as the reference kernels clamp.
 *
 * <p>The float kernels that take a fused activation (conv, depthwise, fully connected, pooling, transpose conv, add,
 * sub, mul, div) end in {@code min(max(x, act_min), act_max)} with CalculateActivationRange's range, which for NONE
 * (and the ignored TANH) is float's [lowest, max] and for RELU [0, max]: an overflow is +-3.4028235e38 there, never
 * Inf, and the port clamps the same way (checked against the interpreter in FloatClampTest). NaN stays NaN in both.
 */
public final class FusedActivation {
  private FusedActivation() {}

  /** Refuses (lowering and code generation alike) the activations the port does not reproduce. */
  public static void check(OpView ctx, Activation a) {
    if (a == Activation.SIGN_BIT) {
      throw ctx.unsupported("fused activation SIGN_BIT");
    }
  }

  /** float32's largest finite value: where TFLite's kernels clamp an unbounded activation. */
  static final double FLT_MAX = Float.MAX_VALUE;

  private static final String PY_MAX = Double.toString(FLT_MAX).toLowerCase(java.util.Locale.ROOT);
  private static final String PY_NEG_MAX = "-" + PY_MAX;

  /**
   * The activation, after an op whose TFLite kernel applies it; {@code t} is the op's fresh result (a float32 result
   * may be clamped in place).
   */

  /**
   * The activation as PyTorch code around {@code expr}: the clamps as F.hardtanh (aten's clamp with the same NaN rule),
   * the form libtorch's XNNPACK rewrite folds into the conv or linear before it (torch-xnnpack), where aten::clamp
   * would stay a separate pass over the tensor. Unlike {@link #apply}, the generated module does not clamp
   * NONE and RELU results to float32's finite range: it is the model the user keeps, and a clamp after every conv
   * becomes a Clip node after every conv in torch.onnx.export (which hides each conv from converter tooling and from
   * compare's pairing); it differs from TFLite only where a value overflows float32 (inf there, FLT_MAX in TFLite).
   * The overflow clamps are in place ({@code F.hardtanh_}): {@code expr} is always the op's fresh result (a call or an
   * arithmetic expression, never a variable another op reads), so one pass over it is saved, 56 on
   * face_detection_short_range.
   */
  public static String py(PyOp p, String expr, Activation a, boolean f32) {
    if (f32 && p.clampOverflow()) {
      switch (a) {
        case NONE, TANH -> {
          return "F.hardtanh_(" + expr + ", " + PY_NEG_MAX + ", " + PY_MAX + ")";
        }
        case RELU -> {
          return "F.hardtanh_(" + expr + ", 0.0, " + PY_MAX + ")";
        }
        default -> { }
      }
    }
    return switch (a) {
      case NONE, TANH -> expr;
      case RELU -> "torch.relu(" + expr + ")";
      case RELU_N1_TO_1 -> "F.hardtanh(" + expr + ", -1.0, 1.0)";
      case RELU6 -> "F.hardtanh(" + expr + ", 0.0, 6.0)";
      case SIGN_BIT -> throw new IllegalStateException("SIGN_BIT is refused before code generation");
    };
  }

  public static Tensor apply(Tensor t, Activation a) {
    boolean f32 = t.scalar_type().intern() == ScalarType.Float;
    return switch (a) {
      case NONE -> f32 ? t.clamp_(new ScalarOptional(new Scalar(-FLT_MAX)), new ScalarOptional(new Scalar(FLT_MAX)))
          : t;
      case RELU -> f32 ? t.clamp_(new ScalarOptional(new Scalar(0.0)), new ScalarOptional(new Scalar(FLT_MAX)))
          : t.relu();
      case RELU_N1_TO_1 -> t.clamp(new ScalarOptional(new Scalar(-1.0)), new ScalarOptional(new Scalar(1.0)));
      case RELU6 -> t.clamp(new ScalarOptional(new Scalar(0.0)), new ScalarOptional(new Scalar(6.0)));
      // TFLite's float kernels (conv, depthwise, FC, pool, transpose conv, add, mul...) clamp with
      // CalculateActivationRange, which knows only RELU, RELU_N1_TO_1 and RELU6: a fused TANH is no activation at
      // all there (checked against the interpreter: applying tanh was off by up to 7 on DEPTHWISE_CONV_2D).
      case TANH -> f32 ? t.clamp_(new ScalarOptional(new Scalar(-FLT_MAX)), new ScalarOptional(new Scalar(FLT_MAX)))
          : t;
      case SIGN_BIT -> throw new IllegalStateException("SIGN_BIT is refused at prepare time");
    };
  }
}
