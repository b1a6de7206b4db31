package dev.crossalign.tflite;

import dev.crossalign.ModelFormatException;
/** TFLite's fused ActivationFunctionType. */
public enum Activation {
  NONE,
  RELU,
  RELU_N1_TO_1,
  RELU6,
  TANH,
  SIGN_BIT;

  /**
   * Whether TFLite's float kernels apply this fused activation. Their CalculateActivationRange (conv, depthwise, fully
   * connected, pooling, arithmetic, ...) knows only RELU, RELU6 and RELU_N1_TO_1 and clamps every other code to
   * (lowest, max): a fused TANH or SIGN_BIT is silently no activation in the interpreter (measured: CONV_2D with fused
   * TANH differs from tanh(conv) by up to 5). The one copy of that rule: the port, the generated code, the ONNX
   * export, cuDNN's host epilogue and the float64 truth all ask it.
   */
  public boolean appliedByFloatKernels() {
    return this == RELU || this == RELU6 || this == RELU_N1_TO_1;
  }

  public static Activation fromCode(int code) {
    if (code < 0 || code >= values().length) {
      throw new ModelFormatException("unknown fused activation code " + code, -1);
    }
    return values()[code];
  }
}
