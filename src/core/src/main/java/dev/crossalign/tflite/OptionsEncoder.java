package dev.crossalign.tflite;

import com.google.flatbuffers.FlatBufferBuilder;

/**
 * Writes an {@link OpOptions} record as its BuiltinOptions union table (field ids from schema.fbs, the same ids
 * {@link OptionsDecoder} reads), and knows which union member each builtin op takes.
 *
 * <p>Size: one case per BuiltinOptions union member of schema.fbs, a schema mirror read against the schema.
 */
final class OptionsEncoder {
  private OptionsEncoder() {}

  /**
   * The BuiltinOptions union code TFLite's converter writes for {@code op} (0: the op has no options table). Codes
   * follow the BuiltinOptions union order of schema.fbs.
   */
  static int unionTypeOf(BuiltinOp op) {
    return switch (op) {
      case CONV_2D -> 1;
      case DEPTHWISE_CONV_2D -> 2;
      case CONCAT_EMBEDDINGS -> 3;
      case LSH_PROJECTION -> 4;
      case AVERAGE_POOL_2D, MAX_POOL_2D, L2_POOL_2D -> 5;
      case SVDF -> 6;
      case RNN -> 7;
      case FULLY_CONNECTED -> 8;
      case SOFTMAX -> 9;
      case CONCATENATION -> 10;
      case ADD -> 11;
      case L2_NORMALIZATION -> 12;
      case LOCAL_RESPONSE_NORMALIZATION -> 13;
      case LSTM -> 14;
      case RESIZE_BILINEAR -> 15;
      case CALL -> 16;
      case RESHAPE -> 17;
      case SKIP_GRAM -> 18;
      case SPACE_TO_DEPTH -> 19;
      case EMBEDDING_LOOKUP_SPARSE -> 20;
      case MUL -> 21;
      case PAD -> 22;
      case GATHER -> 23;
      case BATCH_TO_SPACE_ND -> 24;
      case SPACE_TO_BATCH_ND -> 25;
      case TRANSPOSE -> 26;
      case MEAN, SUM, REDUCE_PROD, REDUCE_MAX, REDUCE_MIN, REDUCE_ANY, REDUCE_ALL -> 27;
      case SUB -> 28;
      case DIV -> 29;
      case SQUEEZE -> 30;
      case UNIDIRECTIONAL_SEQUENCE_RNN -> 31;
      case STRIDED_SLICE -> 32;
      case EXP -> 33;
      case TOPK_V2 -> 34;
      case SPLIT -> 35;
      case LOG_SOFTMAX -> 36;
      case CAST -> 37;
      case DEQUANTIZE -> 38;
      case MAXIMUM, MINIMUM -> 39;
      case ARG_MAX -> 40;
      case LESS -> 41;
      case NEG -> 42;
      case PADV2 -> 43;
      case GREATER -> 44;
      case GREATER_EQUAL -> 45;
      case LESS_EQUAL -> 46;
      case SELECT -> 47;
      case SLICE -> 48;
      case TRANSPOSE_CONV -> 49;
      case SPARSE_TO_DENSE -> 50;
      case TILE -> 51;
      case EXPAND_DIMS -> 52;
      case EQUAL -> 53;
      case NOT_EQUAL -> 54;
      case SHAPE -> 55;
      case POW -> 56;
      case ARG_MIN -> 57;
      case FAKE_QUANT -> 58;
      case PACK -> 59;
      case LOGICAL_OR -> 60;
      case ONE_HOT -> 61;
      case LOGICAL_AND -> 62;
      case LOGICAL_NOT -> 63;
      case UNPACK -> 64;
      case FLOOR_DIV -> 65;
      case SQUARE -> 66;
      case ZEROS_LIKE -> 67;
      case FILL -> 68;
      case BIDIRECTIONAL_SEQUENCE_LSTM -> 69;
      case BIDIRECTIONAL_SEQUENCE_RNN -> 70;
      case UNIDIRECTIONAL_SEQUENCE_LSTM -> 71;
      case FLOOR_MOD -> 72;
      case RANGE -> 73;
      case RESIZE_NEAREST_NEIGHBOR -> 74;
      case LEAKY_RELU -> 75;
      case SQUARED_DIFFERENCE -> 76;
      case MIRROR_PAD -> 77;
      case ABS -> 78;
      case SPLIT_V -> 79;
      case UNIQUE -> 80;
      case REVERSE_V2 -> 81;
      case ADD_N -> 82;
      case GATHER_ND -> 83;
      case COS -> 84;
      case WHERE -> 85;
      case RANK -> 86;
      case REVERSE_SEQUENCE -> 87;
      case MATRIX_DIAG -> 88;
      case QUANTIZE -> 89;
      case MATRIX_SET_DIAG -> 90;
      case HARD_SWISH -> 91;
      case IF -> 92;
      case WHILE -> 93;
      case DEPTH_TO_SPACE -> 94;
      case NON_MAX_SUPPRESSION_V4 -> 95;
      case NON_MAX_SUPPRESSION_V5 -> 96;
      case SCATTER_ND -> 97;
      case SELECT_V2 -> 98;
      case DENSIFY -> 99;
      case SEGMENT_SUM -> 100;
      case BATCH_MATMUL -> 101;
      case CUMSUM -> 102;
      case CALL_ONCE -> 103;
      case BROADCAST_TO -> 104;
      case RFFT2D -> 105;
      case CONV_3D, CONV_3D_TRANSPOSE -> 106;
      case HASHTABLE -> 107;
      case HASHTABLE_FIND -> 108;
      case HASHTABLE_IMPORT -> 109;
      case HASHTABLE_SIZE -> 110;
      case VAR_HANDLE -> 111;
      case READ_VARIABLE -> 112;
      case ASSIGN_VARIABLE -> 113;
      case RANDOM_STANDARD_NORMAL, RANDOM_UNIFORM, MULTINOMIAL -> 114;
      case BUCKETIZE -> 115;
      case GELU -> 116;
      case DYNAMIC_UPDATE_SLICE -> 117;
      case UNSORTED_SEGMENT_PROD -> 118;
      case UNSORTED_SEGMENT_MAX -> 119;
      case UNSORTED_SEGMENT_MIN -> 120;
      case UNSORTED_SEGMENT_SUM -> 121;
      case ATAN2 -> 122;
      case SIGN -> 123;
      case BITCAST -> 124;
      case BITWISE_XOR -> 125;
      case RIGHT_SHIFT -> 126;
      default -> 0;
    };
  }

  /**
   * Writes the options table and returns its offset. For {@link OpOptions.None} that is an empty table (all schema
   * defaults), to be stored under the op's own union member: what TFLite reads when the converter had nothing to set.
   */
  static int encode(FlatBufferBuilder b, OpOptions options) {
    if (options == null) {
      throw new IllegalArgumentException("options must not be null (use new OpOptions.None())");
    }
    if (options instanceof OpOptions.None) {
      b.startTable(0);
      return b.endTable();
    }
    if (options instanceof OpOptions.Other o) {
      throw new IllegalArgumentException(
          "OpOptions.Other(" + o.unionType() + ") carries no fields and cannot be written; use a record");
    }
    if (options instanceof OpOptions.Conv2D c) {
      b.startTable(7);
      b.addByte(0, code(c.padding()), 0);
      b.addInt(1, c.strideW(), 0);
      b.addInt(2, c.strideH(), 0);
      b.addByte(3, code(c.activation()), 0);
      b.addInt(4, c.dilationW(), 1);
      b.addInt(5, c.dilationH(), 1);
      return b.endTable();
    }
    if (options instanceof OpOptions.DepthwiseConv2D c) {
      b.startTable(7);
      b.addByte(0, code(c.padding()), 0);
      b.addInt(1, c.strideW(), 0);
      b.addInt(2, c.strideH(), 0);
      b.addInt(3, c.depthMultiplier(), 0);
      b.addByte(4, code(c.activation()), 0);
      b.addInt(5, c.dilationW(), 1);
      b.addInt(6, c.dilationH(), 1);
      return b.endTable();
    }
    if (options instanceof OpOptions.Pool2D p) {
      b.startTable(6);
      b.addByte(0, code(p.padding()), 0);
      b.addInt(1, p.strideW(), 0);
      b.addInt(2, p.strideH(), 0);
      b.addInt(3, p.filterW(), 0);
      b.addInt(4, p.filterH(), 0);
      b.addByte(5, code(p.activation()), 0);
      return b.endTable();
    }
    if (options instanceof OpOptions.FullyConnected f) {
      b.startTable(5);
      b.addByte(0, code(f.activation()), 0);
      b.addByte(1, checkByte(f.weightsFormat(), "weights_format"), 0);
      b.addBoolean(2, f.keepNumDims(), false);
      return b.endTable();
    }
    if (options instanceof OpOptions.Softmax s) {
      b.startTable(1);
      b.addFloat(0, s.beta(), 0.0);
      return b.endTable();
    }
    if (options instanceof OpOptions.Concatenation c) {
      b.startTable(2);
      b.addInt(0, c.axis(), 0);
      b.addByte(1, code(c.activation()), 0);
      return b.endTable();
    }
    if (options instanceof OpOptions.Arithmetic a) {
      if (a.unionType() != 11 && a.unionType() != 21 && a.unionType() != 28 && a.unionType() != 29) {
        throw new IllegalArgumentException(
            "Arithmetic options union type must be 11 (ADD), 21 (MUL), 28 (SUB) or 29 (DIV), got " + a.unionType());
      }
      // Add/Sub also have pot_scale_int16 (field 1, default true): left at its default.
      b.startTable(2);
      b.addByte(0, code(a.activation()), 0);
      return b.endTable();
    }
    if (options instanceof OpOptions.L2Norm l) {
      b.startTable(1);
      b.addByte(0, code(l.activation()), 0);
      return b.endTable();
    }
    if (options instanceof OpOptions.ResizeBilinear r) {
      // Fields 0 and 1 (new_height, new_width) are deprecated.
      b.startTable(4);
      b.addBoolean(2, r.alignCorners(), false);
      b.addBoolean(3, r.halfPixelCenters(), false);
      return b.endTable();
    }
    if (options instanceof OpOptions.ResizeNearestNeighbor r) {
      b.startTable(2);
      b.addBoolean(0, r.alignCorners(), false);
      b.addBoolean(1, r.halfPixelCenters(), false);
      return b.endTable();
    }
    if (options instanceof OpOptions.Reshape r) {
      int shape = intVector(b, r.newShape());
      b.startTable(1);
      b.addOffset(0, shape, 0);
      return b.endTable();
    }
    if (options instanceof OpOptions.BlockSize bs) {
      if (bs.unionType() != 19 && bs.unionType() != 94) {
        throw new IllegalArgumentException(
            "BlockSize options union type must be 19 (SPACE_TO_DEPTH) or 94 (DEPTH_TO_SPACE), got "
                + bs.unionType());
      }
      b.startTable(1);
      b.addInt(0, bs.blockSize(), 0);
      return b.endTable();
    }
    if (options instanceof OpOptions.Gather g) {
      b.startTable(2);
      b.addInt(0, g.axis(), 0);
      b.addInt(1, g.batchDims(), 0);
      return b.endTable();
    }
    if (options instanceof OpOptions.Reducer r) {
      b.startTable(1);
      b.addBoolean(0, r.keepDims(), false);
      return b.endTable();
    }
    if (options instanceof OpOptions.Squeeze s) {
      int dims = intVector(b, s.squeezeDims());
      b.startTable(1);
      b.addOffset(0, dims, 0);
      return b.endTable();
    }
    if (options instanceof OpOptions.StridedSlice s) {
      b.startTable(6);
      b.addInt(0, s.beginMask(), 0);
      b.addInt(1, s.endMask(), 0);
      b.addInt(2, s.ellipsisMask(), 0);
      b.addInt(3, s.newAxisMask(), 0);
      b.addInt(4, s.shrinkAxisMask(), 0);
      b.addBoolean(5, s.offset(), false);
      return b.endTable();
    }
    if (options instanceof OpOptions.Split s) {
      if (s.unionType() != 35 && s.unionType() != 79) {
        throw new IllegalArgumentException(
            "Split options union type must be 35 (SPLIT) or 79 (SPLIT_V), got " + s.unionType());
      }
      b.startTable(1);
      b.addInt(0, s.numSplits(), 0);
      return b.endTable();
    }
    if (options instanceof OpOptions.Cast c) {
      b.startTable(2);
      // Written even when FLOAT32 (code 0, the schema default) so that the table states both types.
      b.forceDefaults(true);
      b.addByte(0, code(c.in(), "Cast in"), 0);
      b.addByte(1, code(c.out(), "Cast out"), 0);
      b.forceDefaults(false);
      return b.endTable();
    }
    if (options instanceof OpOptions.ArgMinMax a) {
      if (a.unionType() != 40 && a.unionType() != 57) {
        throw new IllegalArgumentException(
            "ArgMinMax options union type must be 40 (ARG_MAX) or 57 (ARG_MIN), got " + a.unionType());
      }
      b.startTable(1);
      // The schema default is FLOAT32 (0); always written so no reader has to guess.
      b.forceDefaults(true);
      b.addByte(0, code(a.outputType(), "ArgMinMax output_type"), 0);
      b.forceDefaults(false);
      return b.endTable();
    }
    if (options instanceof OpOptions.TransposeConv t) {
      b.startTable(5);
      b.addByte(0, code(t.padding()), 0);
      b.addInt(1, t.strideW(), 0);
      b.addInt(2, t.strideH(), 0);
      b.addByte(3, code(t.activation()), 0);
      return b.endTable();
    }
    if (options instanceof OpOptions.Pack p) {
      b.startTable(2);
      b.addInt(0, p.valuesCount(), 0);
      b.addInt(1, p.axis(), 0);
      return b.endTable();
    }
    if (options instanceof OpOptions.Unpack u) {
      b.startTable(2);
      b.addInt(0, u.num(), 0);
      b.addInt(1, u.axis(), 0);
      return b.endTable();
    }
    if (options instanceof OpOptions.LocalResponseNormalization n) {
      b.startTable(4);
      b.addInt(0, n.radius(), 0);
      b.addFloat(1, n.bias(), 0.0);
      b.addFloat(2, n.alpha(), 0.0);
      b.addFloat(3, n.beta(), 0.0);
      return b.endTable();
    }
    if (options instanceof OpOptions.OneHot oh) {
      b.startTable(1);
      b.addInt(0, oh.axis(), 0);
      return b.endTable();
    }
    if (options instanceof OpOptions.Shape sh) {
      b.startTable(1);
      b.forceDefaults(true);
      b.addByte(0, code(sh.outType(), "Shape out_type"), 0);
      b.forceDefaults(false);
      return b.endTable();
    }
    if (options instanceof OpOptions.Cumsum cs) {
      b.startTable(2);
      b.addBoolean(0, cs.exclusive(), false);
      b.addBoolean(1, cs.reverse(), false);
      return b.endTable();
    }
    if (options instanceof OpOptions.LeakyRelu l) {
      b.startTable(1);
      b.addFloat(0, l.alpha(), 0.0);
      return b.endTable();
    }
    if (options instanceof OpOptions.MirrorPad m) {
      if (m.mode() != 0 && m.mode() != 1) {
        throw new IllegalArgumentException("MirrorPad mode must be 0 (REFLECT) or 1 (SYMMETRIC), got " + m.mode());
      }
      b.startTable(1);
      b.addByte(0, (byte) m.mode(), 0);
      return b.endTable();
    }
    if (options instanceof OpOptions.BatchMatMul m) {
      b.startTable(3);
      b.addBoolean(0, m.adjX(), false);
      b.addBoolean(1, m.adjY(), false);
      return b.endTable();
    }
    if (options instanceof OpOptions.Gelu g) {
      b.startTable(1);
      b.addBoolean(0, g.approximate(), false);
      return b.endTable();
    }
    throw new IllegalArgumentException("unknown options record " + options);
  }

  static int intVector(FlatBufferBuilder b, int[] values) {
    int[] v = values == null ? new int[0] : values;
    b.startVector(4, v.length, 4);
    for (int i = v.length - 1; i >= 0; i--) {
      b.addInt(v[i]);
    }
    return b.endVector();
  }

  private static byte code(Padding p) {
    if (p == null) {
      throw new IllegalArgumentException("padding must not be null");
    }
    return (byte) p.ordinal();
  }

  private static byte code(Activation a) {
    if (a == null) {
      throw new IllegalArgumentException("fused activation must not be null (use Activation.NONE)");
    }
    return (byte) a.ordinal();
  }

  private static byte code(TensorType t, String what) {
    if (t == null) {
      throw new IllegalArgumentException(what + " type must not be null");
    }
    return (byte) t.code();
  }

  private static byte checkByte(int v, String what) {
    if (v < Byte.MIN_VALUE || v > Byte.MAX_VALUE) {
      throw new IllegalArgumentException(what + " " + v + " does not fit the schema's byte field");
    }
    return (byte) v;
  }
}
