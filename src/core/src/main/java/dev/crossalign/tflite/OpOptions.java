package dev.crossalign.tflite;

/**
 * The builtin options of an operator, one record per options table the engine uses. {@link #unionType()} is the
 * BuiltinOptions union code the table is stored under; {@link Other} keeps the code of tables the engine does not
 * decode. Field numbers in the comments are the schema's field ids.
 */
public sealed interface OpOptions {
  int unionType();

  /** No options table. */
  record None() implements OpOptions {
    public int unionType() {
      return 0;
    }
  }

  /** A table the engine does not decode (kept so the op can still be named). */
  record Other(int unionType) implements OpOptions {}

  record Conv2D(Padding padding, int strideW, int strideH, Activation activation, int dilationW, int dilationH)
      implements OpOptions {
    public int unionType() {
      return 1;
    }
  }

  record DepthwiseConv2D(
      Padding padding,
      int strideW,
      int strideH,
      int depthMultiplier,
      Activation activation,
      int dilationW,
      int dilationH)
      implements OpOptions {
    public int unionType() {
      return 2;
    }
  }

  record Pool2D(Padding padding, int strideW, int strideH, int filterW, int filterH, Activation activation)
      implements OpOptions {
    public int unionType() {
      return 5;
    }
  }

  record FullyConnected(Activation activation, int weightsFormat, boolean keepNumDims) implements OpOptions {
    public int unionType() {
      return 8;
    }
  }

  record Softmax(float beta) implements OpOptions {
    public int unionType() {
      return 9;
    }
  }

  record Concatenation(int axis, Activation activation) implements OpOptions {
    public int unionType() {
      return 10;
    }
  }

  /** ADD (11), MUL (21), SUB (28), DIV (29): only the fused activation matters for float. */
  record Arithmetic(int unionType, Activation activation) implements OpOptions {}

  record L2Norm(Activation activation) implements OpOptions {
    public int unionType() {
      return 12;
    }
  }

  /** LOCAL_RESPONSE_NORMALIZATION: radius (0), bias (1), alpha (2), beta (3); TFLite's schema defaults are 0. */
  record LocalResponseNormalization(int radius, float bias, float alpha, float beta) implements OpOptions {
    public int unionType() {
      return 13;
    }
  }

  record ResizeBilinear(boolean alignCorners, boolean halfPixelCenters) implements OpOptions {
    public int unionType() {
      return 15;
    }
  }

  record ResizeNearestNeighbor(boolean alignCorners, boolean halfPixelCenters) implements OpOptions {
    public int unionType() {
      return 74;
    }
  }

  /** new_shape may be empty: then the shape input (or the output tensor's shape) decides. */
  record Reshape(int[] newShape) implements OpOptions {
    public int unionType() {
      return 17;
    }
  }

  /** SPACE_TO_DEPTH (19) and DEPTH_TO_SPACE (94). */
  record BlockSize(int unionType, int blockSize) implements OpOptions {}

  record Gather(int axis, int batchDims) implements OpOptions {
    public int unionType() {
      return 23;
    }
  }

  record Reducer(boolean keepDims) implements OpOptions {
    public int unionType() {
      return 27;
    }
  }

  record Squeeze(int[] squeezeDims) implements OpOptions {
    public int unionType() {
      return 30;
    }
  }

  record StridedSlice(int beginMask, int endMask, int ellipsisMask, int newAxisMask, int shrinkAxisMask, boolean offset)
      implements OpOptions {
    public int unionType() {
      return 32;
    }
  }

  /** SPLIT (35) and SPLIT_V (79). */
  record Split(int unionType, int numSplits) implements OpOptions {}

  record Cast(TensorType in, TensorType out) implements OpOptions {
    public int unionType() {
      return 37;
    }
  }

  /** ARG_MAX (40) and ARG_MIN (57). */
  record ArgMinMax(int unionType, TensorType outputType) implements OpOptions {}

  record TransposeConv(Padding padding, int strideW, int strideH, Activation activation) implements OpOptions {
    public int unionType() {
      return 49;
    }
  }

  record Pack(int valuesCount, int axis) implements OpOptions {
    public int unionType() {
      return 59;
    }
  }

  record Unpack(int num, int axis) implements OpOptions {
    public int unionType() {
      return 64;
    }
  }

  record LeakyRelu(float alpha) implements OpOptions {
    public int unionType() {
      return 75;
    }
  }

  /** mode: 0 REFLECT, 1 SYMMETRIC. */
  record MirrorPad(int mode) implements OpOptions {
    public int unionType() {
      return 77;
    }
  }

  record BatchMatMul(boolean adjX, boolean adjY) implements OpOptions {
    public int unionType() {
      return 101;
    }
  }

  /** ONE_HOT: axis (0); -1 (the default a converter writes) is the new last axis. */
  record OneHot(int axis) implements OpOptions {
    public int unionType() {
      return 61;
    }
  }

  /** SHAPE: out_type (0); the schema default is FLOAT32 (0), which TFLite's kernel refuses. */
  record Shape(TensorType outType) implements OpOptions {
    public int unionType() {
      return 55;
    }
  }

  /** CUMSUM: exclusive (0), reverse (1). */
  record Cumsum(boolean exclusive, boolean reverse) implements OpOptions {
    public int unionType() {
      return 102;
    }
  }

  record Gelu(boolean approximate) implements OpOptions {
    public int unionType() {
      return 116;
    }
  }
}
