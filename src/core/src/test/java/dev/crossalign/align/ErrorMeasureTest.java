package dev.crossalign.align;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Reductions read their error against the tensor's scale, elementwise ops per element; custom ops by what they are. */
class ErrorMeasureTest {
  @Test
  void mediaPipesTransposedConvWithBiasIsReadAsTransposeConvIs() {
    assertThat(ErrorMeasure.forOp("Convolution2DTransposeBias"))
        .isEqualTo(ErrorMeasure.forOp("TRANSPOSE_CONV"))
        .isEqualTo(ErrorMeasure.SCALE_RELATIVE);
    assertThat(ErrorMeasure.forOp("LOGISTIC")).isEqualTo(ErrorMeasure.ELEMENT_RELATIVE);
    assertThat(ErrorMeasure.forOp("TransformLandmarks")).as("a custom op not known to reduce")
        .isEqualTo(ErrorMeasure.ELEMENT_RELATIVE);
  }
}
