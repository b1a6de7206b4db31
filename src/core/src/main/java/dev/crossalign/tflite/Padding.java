package dev.crossalign.tflite;

import dev.crossalign.ModelFormatException;
/** TFLite's Padding enum: SAME = 0, VALID = 1. */
public enum Padding {
  SAME,
  VALID;

  public static Padding fromCode(int code) {
    if (code < 0 || code > 1) {
      throw new ModelFormatException("unknown padding code " + code, -1);
    }
    return values()[code];
  }
}
