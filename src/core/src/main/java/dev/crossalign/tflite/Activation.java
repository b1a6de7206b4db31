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

  public static Activation fromCode(int code) {
    if (code < 0 || code >= values().length) {
      throw new ModelFormatException("unknown fused activation code " + code, -1);
    }
    return values()[code];
  }
}
