package dev.crossalign.engine.compare;

import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.Layout;
import java.util.Arrays;

/** A model input as declared: name, shape (-1 = any size), dtype (null when unknown) and layout. */
record InputSpec(String name, int[] shape, DType dtype, Layout layout) {
  InputSpec {
    shape = shape.clone();
  }

  @Override
  public int[] shape() {
    return shape.clone();
  }

  @Override
  public String toString() {
    return name + Arrays.toString(shape);
  }
}
