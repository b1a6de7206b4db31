package dev.crossalign.engine.compare;

import dev.crossalign.tflite.Activation;
import dev.crossalign.tflite.OpOptions;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The small table that says which TFLite op and which ONNX op compute the same thing: both map to one kind
 * ("conv", "add", ...). An op missing from the table maps to its lower-cased name, so TILE and Tile still meet.
 */
final class OpKinds {
  private OpKinds() {}

  /** Ops that only move or relabel elements: structural matching looks through them. */
  static final Set<String> TRANSPARENT = Set.of("transpose", "identity", "reshape");

  /** Ops whose output depends only on their input's shape (static here), so it is not data. */
  static final Set<String> SHAPE_ONLY = Set.of("shape", "size", "constantofshape", "rank");

  /** Ops a following BatchNormalization or constant Mul/Add is folded into by converters. */
  static final Set<String> FOLDS_AFFINE = Set.of("conv", "dwconv", "convtranspose", "fc");

  /** Windowed ops TFLite pads itself (SAME) where a port may write an explicit pad before them. */
  static final Set<String> PADDED_WINDOW = Set.of("conv", "dwconv", "maxpool", "avgpool");

  /** Elementwise ops that are an affine when the other operand is a constant. */
  static final Set<String> CONSTANT_AFFINE = Set.of("mul", "add", "sub", "div");

  private static final Map<String, String> TFLITE = Map.ofEntries(
      Map.entry("CONV_2D", "conv"),
      Map.entry("DEPTHWISE_CONV_2D", "dwconv"),
      Map.entry("TRANSPOSE_CONV", "convtranspose"),
      Map.entry("FULLY_CONNECTED", "fc"),
      Map.entry("BATCH_MATMUL", "matmul"),
      Map.entry("ADD", "add"),
      Map.entry("SUB", "sub"),
      Map.entry("MUL", "mul"),
      Map.entry("DIV", "div"),
      Map.entry("MAXIMUM", "max"),
      Map.entry("MINIMUM", "min"),
      Map.entry("POW", "pow"),
      Map.entry("RELU", "relu"),
      Map.entry("RELU6", "clip"),
      Map.entry("RELU_N1_TO_1", "clip"),
      Map.entry("LEAKY_RELU", "leakyrelu"),
      Map.entry("PRELU", "prelu"),
      Map.entry("TANH", "tanh"),
      Map.entry("LOGISTIC", "sigmoid"),
      Map.entry("HARD_SWISH", "hardswish"),
      Map.entry("ELU", "elu"),
      Map.entry("EXP", "exp"),
      Map.entry("LOG", "log"),
      Map.entry("SQRT", "sqrt"),
      Map.entry("ABS", "abs"),
      Map.entry("NEG", "neg"),
      Map.entry("SOFTMAX", "softmax"),
      Map.entry("MAX_POOL_2D", "maxpool"),
      Map.entry("AVERAGE_POOL_2D", "avgpool"),
      Map.entry("CONCATENATION", "concat"),
      Map.entry("RESHAPE", "reshape"),
      Map.entry("SQUEEZE", "reshape"),
      Map.entry("SHAPE", "shape"),
      Map.entry("GELU", "gelu"),
      Map.entry("EXPAND_DIMS", "reshape"),
      Map.entry("TRANSPOSE", "transpose"),
      Map.entry("PAD", "pad"),
      Map.entry("PADV2", "pad"),
      Map.entry("MIRROR_PAD", "pad"),
      Map.entry("RESIZE_BILINEAR", "resize"),
      Map.entry("RESIZE_NEAREST_NEIGHBOR", "resize"),
      Map.entry("MEAN", "reducemean"),
      Map.entry("SUM", "reducesum"),
      Map.entry("REDUCE_MAX", "reducemax"),
      Map.entry("REDUCE_MIN", "reducemin"),
      Map.entry("REDUCE_PROD", "reduceprod"),
      Map.entry("STRIDED_SLICE", "slice"),
      Map.entry("SLICE", "slice"),
      Map.entry("SPLIT", "split"),
      Map.entry("SPLIT_V", "split"),
      Map.entry("GATHER", "gather"),
      Map.entry("CAST", "cast"),
      Map.entry("DEQUANTIZE", "dequantize"),
      Map.entry("DEPTH_TO_SPACE", "depthtospace"),
      Map.entry("SPACE_TO_DEPTH", "spacetodepth"),
      Map.entry("ARG_MAX", "argmax"),
      Map.entry("ARG_MIN", "argmin"));

  private static final Map<String, String> ONNX = Map.ofEntries(
      Map.entry("Conv", "conv"),
      Map.entry("ConvTranspose", "convtranspose"),
      Map.entry("Gemm", "fc"),
      Map.entry("MatMul", "matmul"),
      Map.entry("Add", "add"),
      Map.entry("Sub", "sub"),
      Map.entry("Mul", "mul"),
      Map.entry("Div", "div"),
      Map.entry("Max", "max"),
      Map.entry("Min", "min"),
      Map.entry("Pow", "pow"),
      Map.entry("Relu", "relu"),
      Map.entry("Clip", "clip"),
      Map.entry("LeakyRelu", "leakyrelu"),
      Map.entry("PRelu", "prelu"),
      Map.entry("Tanh", "tanh"),
      Map.entry("Sigmoid", "sigmoid"),
      Map.entry("HardSwish", "hardswish"),
      Map.entry("Elu", "elu"),
      Map.entry("Softmax", "softmax"),
      Map.entry("MaxPool", "maxpool"),
      Map.entry("AveragePool", "avgpool"),
      Map.entry("Concat", "concat"),
      Map.entry("Reshape", "reshape"),
      Map.entry("Squeeze", "reshape"),
      Map.entry("Unsqueeze", "reshape"),
      Map.entry("Flatten", "reshape"),
      Map.entry("Shape", "shape"),
      Map.entry("Size", "size"),
      Map.entry("ConstantOfShape", "constantofshape"),
      Map.entry("BatchNormalization", "batchnormalization"),
      Map.entry("Gelu", "gelu"),
      Map.entry("Transpose", "transpose"),
      Map.entry("Identity", "identity"),
      Map.entry("Pad", "pad"),
      Map.entry("Resize", "resize"),
      Map.entry("ReduceMean", "reducemean"),
      Map.entry("ReduceSum", "reducesum"),
      Map.entry("ReduceMax", "reducemax"),
      Map.entry("ReduceMin", "reducemin"),
      Map.entry("ReduceProd", "reduceprod"),
      Map.entry("Slice", "slice"),
      Map.entry("Split", "split"),
      Map.entry("Gather", "gather"),
      Map.entry("Cast", "cast"),
      Map.entry("DequantizeLinear", "dequantize"),
      Map.entry("DepthToSpace", "depthtospace"),
      Map.entry("SpaceToDepth", "spacetodepth"),
      Map.entry("ArgMax", "argmax"),
      Map.entry("ArgMin", "argmin"));

  /** TorchScript ops whose kind is not their name with underscores dropped (aten::leaky_relu is "leakyrelu"). */
  private static final Map<String, String> TORCH = Map.ofEntries(
      Map.entry("conv1d", "conv"),
      Map.entry("conv2d", "conv"),
      Map.entry("conv3d", "conv"),
      Map.entry("convolution", "conv"),
      Map.entry("_convolution", "conv"),
      Map.entry("conv_transpose1d", "convtranspose"),
      Map.entry("conv_transpose2d", "convtranspose"),
      Map.entry("linear", "fc"),
      Map.entry("addmm", "fc"),
      Map.entry("mm", "matmul"),
      Map.entry("bmm", "matmul"),
      Map.entry("rsub", "sub"),
      Map.entry("true_divide", "div"),
      Map.entry("maximum", "max"),
      Map.entry("minimum", "min"),
      Map.entry("clamp", "clip"),
      Map.entry("clamp_min", "clip"),
      Map.entry("clamp_max", "clip"),
      Map.entry("hardtanh", "clip"),
      Map.entry("relu6", "clip"),
      Map.entry("silu", "swish"),
      Map.entry("log_softmax", "logsoftmax"),
      Map.entry("max_pool1d", "maxpool"),
      Map.entry("max_pool2d", "maxpool"),
      Map.entry("avg_pool1d", "avgpool"),
      Map.entry("avg_pool2d", "avgpool"),
      Map.entry("adaptive_avg_pool2d", "reducemean"),
      Map.entry("mean", "reducemean"),
      Map.entry("sum", "reducesum"),
      Map.entry("amax", "reducemax"),
      Map.entry("amin", "reducemin"),
      Map.entry("prod", "reduceprod"),
      Map.entry("cat", "concat"),
      Map.entry("concat", "concat"),
      Map.entry("stack", "concat"),
      Map.entry("reshape", "reshape"),
      Map.entry("view", "reshape"),
      Map.entry("flatten", "reshape"),
      Map.entry("squeeze", "reshape"),
      Map.entry("unsqueeze", "reshape"),
      Map.entry("permute", "transpose"),
      Map.entry("transpose", "transpose"),
      Map.entry("t", "transpose"),
      Map.entry("contiguous", "identity"),
      Map.entry("clone", "identity"),
      Map.entry("detach", "identity"),
      Map.entry("dropout", "identity"),
      Map.entry("pad", "pad"),
      Map.entry("constant_pad_nd", "pad"),
      Map.entry("reflection_pad2d", "pad"),
      Map.entry("replication_pad2d", "pad"),
      Map.entry("upsample_bilinear2d", "resize"),
      Map.entry("upsample_nearest2d", "resize"),
      Map.entry("interpolate", "resize"),
      Map.entry("slice", "slice"),
      Map.entry("select", "slice"),
      Map.entry("narrow", "slice"),
      Map.entry("split", "split"),
      Map.entry("split_with_sizes", "split"),
      Map.entry("chunk", "split"),
      Map.entry("unbind", "split"),
      Map.entry("tensor_split", "split"),
      Map.entry("index_select", "gather"),
      Map.entry("embedding", "gather"),
      Map.entry("to", "cast"),
      Map.entry("type_as", "cast"),
      Map.entry("batch_norm", "batchnormalization"),
      Map.entry("pixel_shuffle", "depthtospace"),
      Map.entry("pixel_unshuffle", "spacetodepth"),
      Map.entry("size", "size"),
      Map.entry("zeros", "constantofshape"),
      Map.entry("zeros_like", "constantofshape"),
      Map.entry("ones_like", "constantofshape"));

  /** The kind of a TFLite op; a depthwise conv over one input channel is an ordinary conv (ONNX group 1). */
  static String tflite(String opName, int inputChannels) {
    String k = TFLITE.getOrDefault(opName, opName.toLowerCase(Locale.ROOT).replace("_", ""));
    return k.equals("dwconv") && inputChannels == 1 ? "conv" : k;
  }

  /** The kind of an ONNX op; Conv with group > 1 is the depthwise (grouped) conv. */
  static String onnx(String opType, long group) {
    String k = ONNX.getOrDefault(opType, opType.toLowerCase(Locale.ROOT));
    return k.equals("conv") && group > 1 ? "dwconv" : k;
  }

  /**
   * The kind of a TorchScript op ("aten::conv2d"; an in-place variant like aten::relu_ is its op); a convolution with
   * groups > 1 is the depthwise (grouped) conv.
   */
  static String torch(String op, long groups) {
    String n = op.substring(op.indexOf("::") + 2);
    if (n.endsWith("_") && !n.startsWith("_")) {
      n = n.substring(0, n.length() - 1);
    }
    String k = TORCH.getOrDefault(n, n.toLowerCase(Locale.ROOT).replace("_", ""));
    return k.equals("conv") && groups > 1 ? "dwconv" : k;
  }

  /** The fused activation of a TFLite op's options, or NONE. */
  static Activation fused(OpOptions o) {
    Activation a = Activation.NONE;
    if (o instanceof OpOptions.Conv2D c) {
      a = c.activation();
    } else if (o instanceof OpOptions.DepthwiseConv2D c) {
      a = c.activation();
    } else if (o instanceof OpOptions.TransposeConv c) {
      a = c.activation();
    } else if (o instanceof OpOptions.Pool2D c) {
      a = c.activation();
    } else if (o instanceof OpOptions.FullyConnected c) {
      a = c.activation();
    } else if (o instanceof OpOptions.Concatenation c) {
      a = c.activation();
    } else if (o instanceof OpOptions.Arithmetic c) {
      a = c.activation();
    } else if (o instanceof OpOptions.L2Norm c) {
      a = c.activation();
    }
    return a == null ? Activation.NONE : a;
  }

  /** The kind of the separate node a fused activation becomes in ONNX; null when it has none (NONE, or no-ops). */
  static String activationKind(Activation a) {
    return switch (a) {
      case RELU -> "relu";
      case RELU6, RELU_N1_TO_1 -> "clip";
      default -> null;
    };
  }
}
