package dev.crossalign.tflite;

/** QuantizationParameters of a tensor (arrays may be empty). */
public record Quantization(float[] min, float[] max, float[] scale, long[] zeroPoint, int quantizedDimension) {
  public boolean isQuantized() {
    return scale.length > 0;
  }
}
