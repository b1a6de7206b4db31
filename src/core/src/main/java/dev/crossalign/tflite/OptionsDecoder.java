package dev.crossalign.tflite;

/** Decodes a BuiltinOptions union member into its {@link OpOptions} record (field ids from schema.fbs). */
final class OptionsDecoder {
  private OptionsDecoder() {}

  static OpOptions decode(FlatReader r, int type, int t) {
    return switch (type) {
      case 1 -> new OpOptions.Conv2D(
          Padding.fromCode(r.byteField(t, 0, 0)),
          r.intField(t, 1, 0),
          r.intField(t, 2, 0),
          Activation.fromCode(r.byteField(t, 3, 0)),
          r.intField(t, 4, 1),
          r.intField(t, 5, 1));
      case 2 -> new OpOptions.DepthwiseConv2D(
          Padding.fromCode(r.byteField(t, 0, 0)),
          r.intField(t, 1, 0),
          r.intField(t, 2, 0),
          r.intField(t, 3, 0),
          Activation.fromCode(r.byteField(t, 4, 0)),
          r.intField(t, 5, 1),
          r.intField(t, 6, 1));
      case 5 -> new OpOptions.Pool2D(
          Padding.fromCode(r.byteField(t, 0, 0)),
          r.intField(t, 1, 0),
          r.intField(t, 2, 0),
          r.intField(t, 3, 0),
          r.intField(t, 4, 0),
          Activation.fromCode(r.byteField(t, 5, 0)));
      case 8 -> new OpOptions.FullyConnected(
          Activation.fromCode(r.byteField(t, 0, 0)), r.byteField(t, 1, 0), r.boolField(t, 2, false));
      case 9 -> new OpOptions.Softmax(r.floatField(t, 0, 0f));
      case 10 -> new OpOptions.Concatenation(r.intField(t, 0, 0), Activation.fromCode(r.byteField(t, 1, 0)));
      case 11, 21, 28, 29 -> new OpOptions.Arithmetic(type, Activation.fromCode(r.byteField(t, 0, 0)));
      case 12 -> new OpOptions.L2Norm(Activation.fromCode(r.byteField(t, 0, 0)));
      case 13 -> new OpOptions.LocalResponseNormalization(
          r.intField(t, 0, 0), r.floatField(t, 1, 0f), r.floatField(t, 2, 0f), r.floatField(t, 3, 0f));
      case 15 -> new OpOptions.ResizeBilinear(r.boolField(t, 2, false), r.boolField(t, 3, false));
      case 17 -> new OpOptions.Reshape(r.intVector(t, 0, "new_shape"));
      case 19, 94 -> new OpOptions.BlockSize(type, r.intField(t, 0, 0));
      case 23 -> new OpOptions.Gather(r.intField(t, 0, 0), r.intField(t, 1, 0));
      case 27 -> new OpOptions.Reducer(r.boolField(t, 0, false));
      case 30 -> new OpOptions.Squeeze(r.intVector(t, 0, "squeeze_dims"));
      case 32 -> new OpOptions.StridedSlice(
          r.intField(t, 0, 0),
          r.intField(t, 1, 0),
          r.intField(t, 2, 0),
          r.intField(t, 3, 0),
          r.intField(t, 4, 0),
          r.boolField(t, 5, false));
      case 35, 79 -> new OpOptions.Split(type, r.intField(t, 0, 0));
      case 37 -> new OpOptions.Cast(
          TensorType.fromCode(r.byteField(t, 0, 0)), TensorType.fromCode(r.byteField(t, 1, 0)));
      // output_type has no default in schema.fbs, so an absent field is FLOAT32 (0): TFLite then refuses the op.
      case 40, 57 -> new OpOptions.ArgMinMax(type, TensorType.fromCode(r.byteField(t, 0, 0)));
      case 49 -> new OpOptions.TransposeConv(
          Padding.fromCode(r.byteField(t, 0, 0)),
          r.intField(t, 1, 0),
          r.intField(t, 2, 0),
          Activation.fromCode(r.byteField(t, 3, 0)));
      case 59 -> new OpOptions.Pack(r.intField(t, 0, 0), r.intField(t, 1, 0));
      case 64 -> new OpOptions.Unpack(r.intField(t, 0, 0), r.intField(t, 1, 0));
      case 74 -> new OpOptions.ResizeNearestNeighbor(r.boolField(t, 0, false), r.boolField(t, 1, false));
      case 75 -> new OpOptions.LeakyRelu(r.floatField(t, 0, 0f));
      case 77 -> new OpOptions.MirrorPad(r.byteField(t, 0, 0));
      case 101 -> new OpOptions.BatchMatMul(r.boolField(t, 0, false), r.boolField(t, 1, false));
      case 61 -> new OpOptions.OneHot(r.intField(t, 0, 0));
      case 55 -> new OpOptions.Shape(TensorType.fromCode(r.byteField(t, 0, 0)));
      case 102 -> new OpOptions.Cumsum(r.boolField(t, 0, false), r.boolField(t, 1, false));
      case 116 -> new OpOptions.Gelu(r.boolField(t, 0, false));
      default -> new OpOptions.Other(type);
    };
  }
}
