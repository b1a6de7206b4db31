package dev.crossalign.align;

import java.util.Set;

/**
 * How an op's error against the float64 truth is read. An elementwise op (a sigmoid, an add) is exact up to a few
 * ulps of each result, so each element's relative error counts: a saturated sigmoid off by 3e-4 relative at 1.6e-4
 * is a wrong kernel even though the tensor's norm does not notice. A reduction (conv, matmul, mean) rounds each of
 * its K terms, so an output that cancels to near zero carries the rounding of the large terms: its error is read
 * against the tensor's scale (max|truth|), not against the element. MediaPipe's custom Convolution2DTransposeBias is a
 * TRANSPOSE_CONV plus its bias, a reduction too.
 */
public enum ErrorMeasure {
  ELEMENT_RELATIVE,
  SCALE_RELATIVE;

  private static final Set<String> REDUCTIONS = Set.of(
      "CONV_2D", "DEPTHWISE_CONV_2D", "TRANSPOSE_CONV", "Convolution2DTransposeBias", "CONV_3D", "FULLY_CONNECTED", "BATCH_MATMUL", "MEAN", "SUM",
      "REDUCE_PROD", "AVERAGE_POOL_2D", "L2_POOL_2D", "SOFTMAX", "LOG_SOFTMAX", "L2_NORMALIZATION",
      "LOCAL_RESPONSE_NORMALIZATION", "CUMSUM", "ADD_N", "RESIZE_BILINEAR", "SQUARED_DIFFERENCE", "SUB");

  /** The measure for a TFLite op name (builtin or custom). */
  public static ErrorMeasure forOp(String op) {
    return REDUCTIONS.contains(op) ? SCALE_RELATIVE : ELEMENT_RELATIVE;
  }
}
