package dev.crossalign.testutil;

import dev.crossalign.tflite.MediaPipeTransforms;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteWriter;

/** Writer-built models of MediaPipe's custom ops, shared by the port's and the export's tests. */
public final class MediaPipeModels {
  private MediaPipeModels() {}

  /**
   * One TransformTensorBilinear (version 2) of a [1, 6, 5, 4] input "x" by a [1, 4, 4] matrix input "m" into a [1, 7,
   * 9, 4] output "y": fed a random matrix, part of each crop falls outside the input (the zero rule).
   */
  public static byte[] bilinearOnAnyMatrix() {
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, 1, 6, 5, 4);
    int m = w.input("m", TensorType.FLOAT32, 1, 4, 4);
    int y = w.tensor("y", TensorType.FLOAT32, 1, 7, 9, 4);
    w.custom(MediaPipeTransforms.TRANSFORM_TENSOR_BILINEAR, 2, new int[] {x, m}, new int[] {y}, new byte[0]);
    w.outputs(y);
    return w.build();
  }
}
