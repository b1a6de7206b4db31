package dev.crossalign.port.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.Activation;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.Padding;
import dev.crossalign.tflite.Quantization;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One-op (and tiny constant-subgraph) models built with TfliteWriter, exported, run in ONNX Runtime and compared with
 * the real TFLite interpreter on the same seeded inputs: every ONNX tensor that stands for a TFLite tensor (op outputs
 * and graph outputs) within max_abs 1e-5.
 */
class OneOpExportTest {
  private static final double ATOL = 1e-5;

  record Case(String name, Consumer<TfliteWriter> build, double lo, double hi) {
    @Override
    public String toString() {
      return name;
    }
  }

  // ------------------------------------------------------------------ model helpers

  private static HostTensor rnd(long seed, double lo, double hi, int... shape) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] v = new float[(int) HostTensor.numel(shape)];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (lo + (hi - lo) * r.nextDouble());
    }
    return HostTensor.ofFloats(shape, Layout.ANY, v);
  }

  private static int ints(TfliteWriter w, String name, int... v) {
    return w.constant(name, HostTensor.ofInts(new int[] {v.length}, Layout.ANY, v));
  }

  private static int scalarInt(TfliteWriter w, String name, int v) {
    return w.constant(name, HostTensor.ofInts(new int[0], Layout.ANY, new int[] {v}));
  }

  private static int f(TfliteWriter w, String name, int... shape) {
    return w.tensor(name, TensorType.FLOAT32, shape);
  }

  private static int in(TfliteWriter w, int... shape) {
    return w.input("x", TensorType.FLOAT32, shape);
  }

  private static Case c(String name, Consumer<TfliteWriter> b) {
    return new Case(name, b, -2, 2);
  }

  private static Case c(String name, double lo, double hi, Consumer<TfliteWriter> b) {
    return new Case(name, b, lo, hi);
  }

  private static Consumer<TfliteWriter> conv(int h, int w, int cin, int cout, int k, Padding p, int stride, int dil,
      Activation act, boolean bias, int oh, int ow) {
    return wr -> {
      int x = in(wr, 1, h, w, cin);
      int wt = wr.constant("w", rnd(11, -1, 1, cout, k, k, cin));
      int b = bias ? wr.constant("b", rnd(12, -1, 1, cout)) : -1;
      int y = f(wr, "y", 1, oh, ow, cout);
      wr.op(BuiltinOp.CONV_2D, new OpOptions.Conv2D(p, stride, stride, act, dil, dil), new int[] {x, wt, b},
          new int[] {y});
      wr.outputs(y);
    };
  }

  private static Consumer<TfliteWriter> dw(int h, int w, int c, int m, int k, Padding p, int stride, Activation act,
      int oh, int ow) {
    return wr -> {
      int x = in(wr, 1, h, w, c);
      int wt = wr.constant("w", rnd(13, -1, 1, 1, k, k, c * m));
      int b = wr.constant("b", rnd(14, -1, 1, c * m));
      int y = f(wr, "y", 1, oh, ow, c * m);
      wr.op(BuiltinOp.DEPTHWISE_CONV_2D, new OpOptions.DepthwiseConv2D(p, stride, stride, m, act, 1, 1),
          new int[] {x, wt, b}, new int[] {y});
      wr.outputs(y);
    };
  }

  private static Consumer<TfliteWriter> unary(BuiltinOp op, OpOptions o, int... shape) {
    return wr -> {
      int x = in(wr, shape);
      int y = f(wr, "y", shape);
      wr.op(op, o, new int[] {x}, new int[] {y});
      wr.outputs(y);
    };
  }

  private static Consumer<TfliteWriter> binary(BuiltinOp op, OpOptions o, int[] a, int[] bShape, boolean bConst,
      int[] out) {
    return wr -> {
      int x = in(wr, a);
      int b = bConst ? wr.constant("b", rnd(21, 0.5, 2, bShape)) : wr.input("x2", TensorType.FLOAT32, bShape);
      int y = f(wr, "y", out);
      wr.op(op, o, new int[] {x, b}, new int[] {y});
      wr.outputs(y);
    };
  }

  private static Consumer<TfliteWriter> pool(BuiltinOp op, int h, int w, int k, int s, Padding p, int oh, int ow) {
    return wr -> {
      int x = in(wr, 1, h, w, 3);
      int y = f(wr, "y", 1, oh, ow, 3);
      wr.op(op, new OpOptions.Pool2D(p, s, s, k, k, Activation.NONE), new int[] {x}, new int[] {y});
      wr.outputs(y);
    };
  }

  private static Consumer<TfliteWriter> resize(BuiltinOp op, OpOptions o, int h, int w, int oh, int ow) {
    return wr -> {
      int x = in(wr, 1, h, w, 2);
      int size = ints(wr, "size", oh, ow);
      int y = f(wr, "y", 1, oh, ow, 2);
      wr.op(op, o, new int[] {x, size}, new int[] {y});
      wr.outputs(y);
    };
  }

  /** A conv whose filter comes from a constant subgraph (DEQUANTIZE / DENSIFY) that the exporter folds. */
  private static Consumer<TfliteWriter> convWithFoldedFilter(String kind) {
    return wr -> {
      int x = in(wr, 1, 6, 6, 4);
      HostTensor dense = rnd(31, -1, 1, 8, 3, 3, 4);
      int filt = f(wr, "w_float", 8, 3, 3, 4);
      switch (kind) {
        case "fp16" -> {
          float[] v = dense.toFloatArray();
          short[] h = new short[v.length];
          java.nio.ByteBuffer bb = java.nio.ByteBuffer.allocate(v.length * 2).order(java.nio.ByteOrder.LITTLE_ENDIAN);
          for (int i = 0; i < v.length; i++) {
            bb.putShort(dev.crossalign.tensor.Half.fromFloat(v[i]));
          }
          bb.flip();
          int q = wr.constant("w_fp16", HostTensor.of(DType.FLOAT16, dense.shape(), Layout.ANY, bb));
          wr.op(BuiltinOp.DEQUANTIZE, new OpOptions.None(), new int[] {q}, new int[] {filt});
        }
        case "int8" -> {
          float[] v = dense.toFloatArray();
          float[] scale = new float[8];
          long[] zp = new long[8];
          java.nio.ByteBuffer bb = java.nio.ByteBuffer.allocate(v.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
          for (int o = 0; o < 8; o++) {
            scale[o] = 0.01f * (o + 1);
          }
          for (int i = 0; i < v.length; i++) {
            int o = i / 36;
            bb.put((byte) Math.max(-127, Math.min(127, Math.round(v[i] / scale[o]))));
          }
          bb.flip();
          Quantization qp = new Quantization(new float[0], new float[0], scale, zp, 0);
          int q = wr.constant("w_int8", HostTensor.of(DType.INT8, dense.shape(), Layout.ANY, bb), qp);
          wr.op(BuiltinOp.DEQUANTIZE, new OpOptions.None(), new int[] {q}, new int[] {filt});
        }
        default -> { // sparse: half the weights zero, CSR over the last dimension with 1x4 blocks
          float[] v = dense.toFloatArray();
          for (int i = 0; i < v.length; i++) {
            if ((i / 4) % 2 == 0) {
              v[i] = 0f;
            }
          }
          HostTensor sp = HostTensor.ofFloats(new int[] {8, 36}, Layout.ANY, v);
          int s = wr.sparseConstant("w_sparse", sp, new int[] {0, 1, 2}, new int[] {1}, new boolean[] {false, true,
              false}, new int[] {4});
          int flat = f(wr, "w_dense", 8, 36);
          wr.op(BuiltinOp.DENSIFY, new OpOptions.None(), new int[] {s}, new int[] {flat});
          wr.op(BuiltinOp.RESHAPE, new OpOptions.None(), new int[] {flat, ints(wr, "wshape", 8, 3, 3, 4)},
              new int[] {filt});
        }
      }
      int b = wr.constant("b", rnd(32, -1, 1, 8));
      int y = f(wr, "y", 1, 6, 6, 8);
      wr.op(BuiltinOp.CONV_2D, new OpOptions.Conv2D(Padding.SAME, 1, 1, Activation.RELU, 1, 1),
          new int[] {x, filt, b}, new int[] {y});
      wr.outputs(y);
    };
  }

  static Stream<Arguments> cases() {
    List<Case> l = new ArrayList<>();
    // CONV_2D: SAME (symmetric and asymmetric), stride 2 on even and odd sizes, VALID, dilation, activations
    l.add(c("conv same s1 3x3", conv(7, 7, 3, 4, 3, Padding.SAME, 1, 1, Activation.NONE, true, 7, 7)));
    l.add(c("conv same s2 even (asymmetric pad)", conv(8, 8, 3, 4, 3, Padding.SAME, 2, 1, Activation.NONE, true, 4,
        4)));
    l.add(c("conv same s2 odd", conv(7, 9, 3, 4, 3, Padding.SAME, 2, 1, Activation.RELU, true, 4, 5)));
    l.add(c("conv same s2 k4 even", conv(8, 8, 2, 3, 4, Padding.SAME, 2, 1, Activation.RELU6, true, 4, 4)));
    l.add(c("conv valid s2", conv(9, 8, 3, 4, 3, Padding.VALID, 2, 1, Activation.RELU_N1_TO_1, true, 4, 3)));
    l.add(c("conv same dilation 2", conv(9, 9, 2, 3, 3, Padding.SAME, 1, 2, Activation.NONE, true, 9, 9)));
    l.add(c("conv fused tanh (a no-op in TFLite)", conv(5, 5, 2, 3, 3, Padding.SAME, 1, 1, Activation.TANH, true, 5, 5)));
    // The interpreter ignores a fused TANH (CalculateActivationRange knows only the RELU family); so must the export.
    l.add(c("add fused tanh (a no-op in TFLite)", binary(BuiltinOp.ADD, new OpOptions.Arithmetic(11, Activation.TANH),
        new int[] {1, 4, 5, 3}, new int[] {1, 4, 5, 3}, false, new int[] {1, 4, 5, 3})));
    l.add(c("conv 1x1", conv(5, 5, 6, 4, 1, Padding.VALID, 1, 1, Activation.NONE, true, 5, 5)));
    // DEPTHWISE_CONV_2D
    l.add(c("depthwise same s1", dw(7, 7, 4, 1, 3, Padding.SAME, 1, Activation.NONE, 7, 7)));
    l.add(c("depthwise same s2 even", dw(8, 8, 4, 1, 3, Padding.SAME, 2, Activation.RELU6, 4, 4)));
    l.add(c("depthwise multiplier 2", dw(6, 6, 3, 2, 3, Padding.SAME, 1, Activation.RELU, 6, 6)));
    l.add(c("depthwise valid 5x5 s2", dw(11, 11, 4, 1, 5, Padding.VALID, 2, Activation.NONE, 4, 4)));
    // constant subgraphs folded into initializers
    l.add(c("dequantize fp16 filter", convWithFoldedFilter("fp16")));
    l.add(c("dequantize int8 per-channel filter", convWithFoldedFilter("int8")));
    l.add(c("densify sparse filter", convWithFoldedFilter("sparse")));
    // binary with broadcasting
    l.add(c("add act+act relu", binary(BuiltinOp.ADD, new OpOptions.Arithmetic(11, Activation.RELU),
        new int[] {1, 4, 5, 3}, new int[] {1, 4, 5, 3}, false, new int[] {1, 4, 5, 3})));
    l.add(c("add const [C]", binary(BuiltinOp.ADD, new OpOptions.Arithmetic(11, Activation.NONE),
        new int[] {1, 4, 5, 3}, new int[] {3}, true, new int[] {1, 4, 5, 3})));
    l.add(c("add act rank2 + act rank1", binary(BuiltinOp.ADD, new OpOptions.Arithmetic(11, Activation.NONE),
        new int[] {4, 3}, new int[] {3}, false, new int[] {4, 3})));
    l.add(c("add rank4 + non-const rank 1", binary(BuiltinOp.ADD, new OpOptions.Arithmetic(11, Activation.NONE),
        new int[] {1, 4, 5, 3}, new int[] {3}, false, new int[] {1, 4, 5, 3})));
    l.add(c("mul const [1,1,C] relu6", binary(BuiltinOp.MUL, new OpOptions.Arithmetic(21, Activation.RELU6),
        new int[] {1, 4, 5, 3}, new int[] {1, 1, 3}, true, new int[] {1, 4, 5, 3})));
    l.add(c("mul const [H,W,1]", binary(BuiltinOp.MUL, new OpOptions.Arithmetic(21, Activation.NONE),
        new int[] {1, 4, 5, 3}, new int[] {4, 5, 1}, true, new int[] {1, 4, 5, 3})));
    l.add(c("sub", binary(BuiltinOp.SUB, new OpOptions.Arithmetic(28, Activation.NONE),
        new int[] {1, 3, 3, 2}, new int[] {1, 3, 3, 2}, false, new int[] {1, 3, 3, 2})));
    l.add(c("div const", binary(BuiltinOp.DIV, new OpOptions.Arithmetic(29, Activation.NONE),
        new int[] {1, 3, 3, 2}, new int[] {2}, true, new int[] {1, 3, 3, 2})));
    l.add(c("maximum", binary(BuiltinOp.MAXIMUM, new OpOptions.None(), new int[] {2, 5}, new int[] {2, 5}, false,
        new int[] {2, 5})));
    l.add(c("minimum const", binary(BuiltinOp.MINIMUM, new OpOptions.None(), new int[] {1, 2, 2, 3}, new int[] {3},
        true, new int[] {1, 2, 2, 3})));
    l.add(c("squared difference", binary(BuiltinOp.SQUARED_DIFFERENCE, new OpOptions.None(), new int[] {1, 2, 3, 4},
        new int[] {1, 2, 3, 4}, false, new int[] {1, 2, 3, 4})));
    l.add(c("pow", 0.5, 2, binary(BuiltinOp.POW, new OpOptions.None(), new int[] {2, 6}, new int[] {6}, true,
        new int[] {2, 6})));
    // unary / activations
    l.add(c("relu", unary(BuiltinOp.RELU, new OpOptions.None(), 1, 3, 4, 5)));
    l.add(c("relu6", -8, 8, unary(BuiltinOp.RELU6, new OpOptions.None(), 1, 3, 4, 5)));
    l.add(c("logistic", -6, 6, unary(BuiltinOp.LOGISTIC, new OpOptions.None(), 1, 3, 4, 5)));
    l.add(c("tanh", -4, 4, unary(BuiltinOp.TANH, new OpOptions.None(), 1, 3, 4, 5)));
    l.add(c("hard swish", -5, 5, unary(BuiltinOp.HARD_SWISH, new OpOptions.None(), 1, 3, 4, 5)));
    l.add(c("leaky relu", unary(BuiltinOp.LEAKY_RELU, new OpOptions.LeakyRelu(0.2f), 1, 3, 4, 5)));
    l.add(c("elu", unary(BuiltinOp.ELU, new OpOptions.None(), 2, 7)));
    l.add(c("exp", unary(BuiltinOp.EXP, new OpOptions.None(), 2, 7)));
    l.add(c("log", 0.1, 4, unary(BuiltinOp.LOG, new OpOptions.None(), 2, 7)));
    l.add(c("sqrt", 0.1, 4, unary(BuiltinOp.SQRT, new OpOptions.None(), 2, 7)));
    l.add(c("rsqrt", 0.1, 4, unary(BuiltinOp.RSQRT, new OpOptions.None(), 2, 7)));
    l.add(c("abs", unary(BuiltinOp.ABS, new OpOptions.None(), 1, 2, 3, 4)));
    l.add(c("neg", unary(BuiltinOp.NEG, new OpOptions.None(), 1, 2, 3, 4)));
    l.add(c("gelu erf", unary(BuiltinOp.GELU, new OpOptions.Gelu(false), 2, 9)));
    l.add(c("gelu tanh", unary(BuiltinOp.GELU, new OpOptions.Gelu(true), 2, 9)));
    l.add(c("softmax rank2", unary(BuiltinOp.SOFTMAX, new OpOptions.Softmax(1f), 3, 7)));
    l.add(c("softmax rank4 beta 0.5", unary(BuiltinOp.SOFTMAX, new OpOptions.Softmax(0.5f), 1, 2, 3, 5)));
    l.add(c("log softmax", unary(BuiltinOp.LOG_SOFTMAX, new OpOptions.None(), 3, 7)));
    l.add(c("prelu slope [1,1,C]", binary(BuiltinOp.PRELU, new OpOptions.None(), new int[] {1, 3, 4, 5},
        new int[] {1, 1, 5}, true, new int[] {1, 3, 4, 5})));
    // pooling
    l.add(c("maxpool same s2 even", pool(BuiltinOp.MAX_POOL_2D, 8, 8, 3, 2, Padding.SAME, 4, 4)));
    l.add(c("maxpool same s2 odd", -3, -1, pool(BuiltinOp.MAX_POOL_2D, 7, 7, 2, 2, Padding.SAME, 4, 4)));
    l.add(c("maxpool valid", pool(BuiltinOp.MAX_POOL_2D, 7, 7, 2, 2, Padding.VALID, 3, 3)));
    l.add(c("avgpool same s1 k3", pool(BuiltinOp.AVERAGE_POOL_2D, 5, 6, 3, 1, Padding.SAME, 5, 6)));
    l.add(c("avgpool same s2 even", pool(BuiltinOp.AVERAGE_POOL_2D, 8, 8, 3, 2, Padding.SAME, 4, 4)));
    l.add(c("avgpool valid", pool(BuiltinOp.AVERAGE_POOL_2D, 8, 8, 2, 2, Padding.VALID, 4, 4)));
    // resize
    for (boolean[] fl : new boolean[][] {{false, false}, {true, false}, {false, true}}) {
      String tag = fl[0] ? "align_corners" : fl[1] ? "half_pixel" : "plain";
      l.add(c("bilinear " + tag + " x2", resize(BuiltinOp.RESIZE_BILINEAR, new OpOptions.ResizeBilinear(fl[0], fl[1]),
          4, 5, 8, 10)));
      l.add(c("bilinear " + tag + " 5->7 / 6->4", resize(BuiltinOp.RESIZE_BILINEAR,
          new OpOptions.ResizeBilinear(fl[0], fl[1]), 5, 6, 7, 4)));
      l.add(c("nearest " + tag + " x2", resize(BuiltinOp.RESIZE_NEAREST_NEIGHBOR,
          new OpOptions.ResizeNearestNeighbor(fl[0], fl[1]), 4, 5, 8, 10)));
      l.add(c("nearest " + tag + " 5->7 / 6->4", resize(BuiltinOp.RESIZE_NEAREST_NEIGHBOR,
          new OpOptions.ResizeNearestNeighbor(fl[0], fl[1]), 5, 6, 7, 4)));
    }
    // padding
    l.add(c("pad", w -> {
      int x = in(w, 1, 3, 4, 2);
      int p = w.constant("p", HostTensor.ofInts(new int[] {4, 2}, Layout.ANY, new int[] {0, 0, 1, 2, 0, 3, 1, 0}));
      int y = f(w, "y", 1, 6, 7, 3);
      w.op(BuiltinOp.PAD, new OpOptions.None(), new int[] {x, p}, new int[] {y});
      w.outputs(y);
    }));
    l.add(c("padv2 value", w -> {
      int x = in(w, 1, 3, 4, 2);
      int p = w.constant("p", HostTensor.ofInts(new int[] {4, 2}, Layout.ANY, new int[] {0, 0, 2, 0, 1, 1, 0, 0}));
      int v = w.constant("v", HostTensor.ofFloats(new int[0], Layout.ANY, new float[] {-7.5f}));
      int y = f(w, "y", 1, 5, 6, 2);
      w.op(BuiltinOp.PADV2, new OpOptions.None(), new int[] {x, p, v}, new int[] {y});
      w.outputs(y);
    }));
    l.add(c("mirror pad reflect", w -> {
      int x = in(w, 1, 4, 4, 2);
      int p = w.constant("p", HostTensor.ofInts(new int[] {4, 2}, Layout.ANY, new int[] {0, 0, 1, 2, 2, 1, 0, 0}));
      int y = f(w, "y", 1, 7, 7, 2);
      w.op(BuiltinOp.MIRROR_PAD, new OpOptions.MirrorPad(0), new int[] {x, p}, new int[] {y});
      w.outputs(y);
    }));
    // shapes
    l.add(c("reshape 4->2", w -> {
      int x = in(w, 1, 2, 3, 4);
      int y = f(w, "y", 6, 4);
      w.op(BuiltinOp.RESHAPE, new OpOptions.None(), new int[] {x, ints(w, "s", 6, 4)}, new int[] {y});
      w.outputs(y);
    }));
    l.add(c("reshape 4->4 then relu", w -> {
      int x = in(w, 1, 2, 3, 4);
      int y = f(w, "y", 1, 4, 3, 2);
      int z = f(w, "z", 1, 4, 3, 2);
      w.op(BuiltinOp.RESHAPE, new OpOptions.None(), new int[] {x, ints(w, "s", 1, 4, 3, 2)}, new int[] {y});
      w.op(BuiltinOp.RELU, new OpOptions.None(), new int[] {y}, new int[] {z});
      w.outputs(z);
    }));
    l.add(c("concat channels", w -> {
      int a = in(w, 1, 3, 4, 2);
      int b = w.input("x2", TensorType.FLOAT32, 1, 3, 4, 3);
      int y = f(w, "y", 1, 3, 4, 5);
      w.op(BuiltinOp.CONCATENATION, new OpOptions.Concatenation(3, Activation.NONE), new int[] {a, b},
          new int[] {y});
      w.outputs(y);
    }));
    l.add(c("concat height", w -> {
      int a = in(w, 1, 3, 4, 2);
      int b = w.input("x2", TensorType.FLOAT32, 1, 2, 4, 2);
      int y = f(w, "y", 1, 5, 4, 2);
      w.op(BuiltinOp.CONCATENATION, new OpOptions.Concatenation(1, Activation.NONE), new int[] {a, b}, new int[] {y});
      w.outputs(y);
    }));
    l.add(c("concat rank2 axis -1", w -> {
      int a = in(w, 2, 3);
      int b = w.input("x2", TensorType.FLOAT32, 2, 4);
      int y = f(w, "y", 2, 7);
      w.op(BuiltinOp.CONCATENATION, new OpOptions.Concatenation(-1, Activation.NONE), new int[] {a, b},
          new int[] {y});
      w.outputs(y);
    }));
    l.add(c("fully connected from rank 4", w -> {
      int x = in(w, 1, 2, 3, 4);
      int wt = w.constant("w", rnd(41, -1, 1, 5, 24));
      int b = w.constant("b", rnd(42, -1, 1, 5));
      int y = f(w, "y", 1, 5);
      w.op(BuiltinOp.FULLY_CONNECTED, new OpOptions.FullyConnected(Activation.RELU, 0, false), new int[] {x, wt, b},
          new int[] {y});
      w.outputs(y);
    }));
    l.add(c("fully connected keep_num_dims rank 3, no bias", w -> {
      int x = in(w, 2, 3, 6);
      int wt = w.constant("w", rnd(43, -1, 1, 4, 6));
      int y = f(w, "y", 2, 3, 4);
      w.op(BuiltinOp.FULLY_CONNECTED, new OpOptions.FullyConnected(Activation.NONE, 0, true), new int[] {x, wt, -1},
          new int[] {y});
      w.outputs(y);
    }));
    l.add(c("mean hw keepdims", w -> {
      int x = in(w, 1, 4, 5, 3);
      int y = f(w, "y", 1, 1, 1, 3);
      w.op(BuiltinOp.MEAN, new OpOptions.Reducer(true), new int[] {x, ints(w, "ax", 1, 2)}, new int[] {y});
      w.outputs(y);
    }));
    l.add(c("mean hw", w -> {
      int x = in(w, 1, 4, 5, 3);
      int y = f(w, "y", 1, 3);
      w.op(BuiltinOp.MEAN, new OpOptions.Reducer(false), new int[] {x, ints(w, "ax", 1, 2)}, new int[] {y});
      w.outputs(y);
    }));
    l.add(c("mean channels (TF-axes path)", w -> {
      int x = in(w, 1, 4, 5, 3);
      int y = f(w, "y", 1, 4, 5);
      w.op(BuiltinOp.MEAN, new OpOptions.Reducer(false), new int[] {x, ints(w, "ax", 3)}, new int[] {y});
      w.outputs(y);
    }));
    l.add(c("sum axis 1 rank 3", w -> {
      int x = in(w, 2, 5, 3);
      int y = f(w, "y", 2, 3);
      w.op(BuiltinOp.SUM, new OpOptions.Reducer(false), new int[] {x, ints(w, "ax", 1)}, new int[] {y});
      w.outputs(y);
    }));
    l.add(c("reduce max keepdims channels", w -> {
      int x = in(w, 1, 4, 5, 3);
      int y = f(w, "y", 1, 4, 5, 1);
      w.op(BuiltinOp.REDUCE_MAX, new OpOptions.Reducer(true), new int[] {x, ints(w, "ax", -1)}, new int[] {y});
      w.outputs(y);
    }));
    l.add(c("transpose conv same s2", w -> {
      int x = in(w, 1, 4, 4, 3);
      int wt = w.constant("w", rnd(51, -1, 1, 2, 3, 3, 3));
      int y = f(w, "y", 1, 8, 8, 2);
      w.op(BuiltinOp.TRANSPOSE_CONV, new OpOptions.TransposeConv(Padding.SAME, 2, 2, Activation.NONE),
          new int[] {ints(w, "os", 1, 8, 8, 2), wt, x}, new int[] {y});
      w.outputs(y);
    }));
    l.add(c("transpose conv valid s2 k2 + bias", w -> {
      int x = in(w, 1, 3, 5, 3);
      int wt = w.constant("w", rnd(52, -1, 1, 4, 2, 2, 3));
      int b = w.constant("b", rnd(53, -1, 1, 4));
      int y = f(w, "y", 1, 6, 10, 4);
      w.op(BuiltinOp.TRANSPOSE_CONV, new OpOptions.TransposeConv(Padding.VALID, 2, 2, Activation.NONE),
          new int[] {ints(w, "os", 1, 6, 10, 4), wt, x, b}, new int[] {y});
      w.outputs(y);
    }));
    l.add(c("depth to space", w -> {
      int x = in(w, 1, 2, 3, 8);
      int y = f(w, "y", 1, 4, 6, 2);
      w.op(BuiltinOp.DEPTH_TO_SPACE, new OpOptions.BlockSize(94, 2), new int[] {x}, new int[] {y});
      w.outputs(y);
    }));
    l.add(c("space to depth", w -> {
      int x = in(w, 1, 4, 6, 2);
      int y = f(w, "y", 1, 2, 3, 8);
      w.op(BuiltinOp.SPACE_TO_DEPTH, new OpOptions.BlockSize(19, 2), new int[] {x}, new int[] {y});
      w.outputs(y);
    }));
    l.add(c("strided slice stride 2 + shrink", w -> {
      int x = in(w, 1, 6, 5, 4);
      int y = f(w, "y", 3, 5, 2);
      w.op(BuiltinOp.STRIDED_SLICE, new OpOptions.StridedSlice(0b0100, 0b0100, 0, 0, 0b0001, false),
          new int[] {x, ints(w, "b", 0, 1, 0, 1), ints(w, "e", 1, 6, 0, 4), ints(w, "s", 1, 2, 1, 2)},
          new int[] {y});
      w.outputs(y);
    }));
    l.add(c("strided slice negative stride, begin/end masks", w -> {
      int x = in(w, 2, 7, 3);
      int y = f(w, "y", 2, 3, 3);
      w.op(BuiltinOp.STRIDED_SLICE, new OpOptions.StridedSlice(0b001, 0b101, 0, 0, 0, false),
          new int[] {x, ints(w, "b", 0, 6, 0), ints(w, "e", 0, 0, 0), ints(w, "s", 1, -2, 1)}, new int[] {y});
      w.outputs(y);
    }));
    l.add(c("transpose conv valid, output larger than the full result", w -> {
      int x = in(w, 1, 4, 4, 2);
      int wt = w.constant("w", rnd(54, -1, 1, 3, 2, 2, 2));
      int b = w.constant("b", rnd(55, -1, 1, 3));
      int y = f(w, "y", 1, 9, 9, 3);
      w.op(BuiltinOp.TRANSPOSE_CONV, new OpOptions.TransposeConv(Padding.VALID, 2, 2, Activation.NONE),
          new int[] {ints(w, "os", 1, 9, 9, 3), wt, x, b}, new int[] {y});
      w.outputs(y);
    }));
    l.add(c("transpose conv same s2 odd output", w -> {
      int x = in(w, 1, 4, 4, 2);
      int wt = w.constant("w", rnd(56, -1, 1, 3, 3, 3, 2));
      int y = f(w, "y", 1, 7, 7, 3);
      w.op(BuiltinOp.TRANSPOSE_CONV, new OpOptions.TransposeConv(Padding.SAME, 2, 2, Activation.NONE),
          new int[] {ints(w, "os", 1, 7, 7, 3), wt, x}, new int[] {y});
      w.outputs(y);
    }));
    l.add(c("concat constant + activation", w -> {
      int a = in(w, 1, 2, 3, 2);
      int k = w.constant("k", rnd(57, -1, 1, 1, 2, 3, 1));
      int y = f(w, "y", 1, 2, 3, 3);
      w.op(BuiltinOp.CONCATENATION, new OpOptions.Concatenation(3, Activation.NONE), new int[] {a, k}, new int[] {y});
      w.outputs(y);
    }));
    l.add(c("pad rank 2", w -> {
      int x = in(w, 3, 4);
      int p = w.constant("p", HostTensor.ofInts(new int[] {2, 2}, Layout.ANY, new int[] {1, 0, 2, 3}));
      int y = f(w, "y", 4, 9);
      w.op(BuiltinOp.PAD, new OpOptions.None(), new int[] {x, p}, new int[] {y});
      w.outputs(y);
    }));
    l.add(c("arg max channels -> int32", w -> {
      int x = in(w, 1, 3, 4, 5);
      int y = w.tensor("y", TensorType.INT32, 1, 3, 4);
      w.op(BuiltinOp.ARG_MAX, new OpOptions.ArgMinMax(40, TensorType.INT32), new int[] {x, ints(w, "a", 3)},
          new int[] {y});
      w.outputs(y);
    }));
    l.add(c("arg min axis 1 -> int64", w -> {
      int x = in(w, 2, 6, 3);
      int y = w.tensor("y", TensorType.INT64, 2, 3);
      w.op(BuiltinOp.ARG_MIN, new OpOptions.ArgMinMax(57, TensorType.INT64), new int[] {x, ints(w, "a", 1)},
          new int[] {y});
      w.outputs(y);
    }));
    l.add(c("cast float -> int32 (truncation)", -9, 9, w -> {
      int x = in(w, 1, 2, 3, 4);
      int y = w.tensor("y", TensorType.INT32, 1, 2, 3, 4);
      w.op(BuiltinOp.CAST, new OpOptions.Cast(TensorType.FLOAT32, TensorType.INT32), new int[] {x}, new int[] {y});
      w.outputs(y);
    }));
    l.add(c("reduce min hw keepdims", w -> {
      int x = in(w, 1, 4, 5, 3);
      int y = f(w, "y", 1, 1, 1, 3);
      w.op(BuiltinOp.REDUCE_MIN, new OpOptions.Reducer(true), new int[] {x, ints(w, "ax", 1, 2)}, new int[] {y});
      w.outputs(y);
    }));
    l.add(c("reduce prod", 0.5, 1.5, w -> {
      int x = in(w, 3, 4);
      int y = f(w, "y", 3);
      w.op(BuiltinOp.REDUCE_PROD, new OpOptions.Reducer(false), new int[] {x, ints(w, "ax", 1)}, new int[] {y});
      w.outputs(y);
    }));
    l.add(c("slice", w -> {
      int x = in(w, 1, 5, 5, 3);
      int y = f(w, "y", 1, 3, 4, 2);
      w.op(BuiltinOp.SLICE, new OpOptions.None(), new int[] {x, ints(w, "b", 0, 1, 1, 1), ints(w, "s", 1, 3, -1, 2)},
          new int[] {y});
      w.outputs(y);
    }));
    l.add(c("squeeze", w -> {
      int x = in(w, 1, 1, 5, 3);
      int y = f(w, "y", 5, 3);
      w.op(BuiltinOp.SQUEEZE, new OpOptions.Squeeze(new int[] {0, 1}), new int[] {x}, new int[] {y});
      w.outputs(y);
    }));
    l.add(c("expand dims", w -> {
      int x = in(w, 2, 5, 3);
      int y = f(w, "y", 2, 5, 1, 3);
      w.op(BuiltinOp.EXPAND_DIMS, new OpOptions.None(), new int[] {x, scalarInt(w, "a", 2)}, new int[] {y});
      w.outputs(y);
    }));
    l.add(c("transpose", w -> {
      int x = in(w, 1, 2, 3, 4);
      int y = f(w, "y", 1, 4, 2, 3);
      w.op(BuiltinOp.TRANSPOSE, new OpOptions.None(), new int[] {x, ints(w, "p", 0, 3, 1, 2)}, new int[] {y});
      w.outputs(y);
    }));
    l.add(c("gather axis 1", w -> {
      int x = in(w, 3, 5, 2);
      int y = f(w, "y", 3, 3, 2);
      w.op(BuiltinOp.GATHER, new OpOptions.Gather(1, 0), new int[] {x, ints(w, "i", 4, 0, 2)}, new int[] {y});
      w.outputs(y);
    }));
    l.add(c("split channels", w -> {
      int x = in(w, 1, 2, 3, 6);
      int y0 = f(w, "y0", 1, 2, 3, 3);
      int y1 = f(w, "y1", 1, 2, 3, 3);
      w.op(BuiltinOp.SPLIT, new OpOptions.Split(35, 2), new int[] {scalarInt(w, "a", 3), x}, new int[] {y0, y1});
      w.outputs(y0, y1);
    }));
    l.add(c("split_v height", w -> {
      int x = in(w, 1, 5, 3, 2);
      int y0 = f(w, "y0", 1, 2, 3, 2);
      int y1 = f(w, "y1", 1, 3, 3, 2);
      w.op(BuiltinOp.SPLIT_V, new OpOptions.Split(79, 2), new int[] {x, ints(w, "s", 2, 3), scalarInt(w, "a", 1)},
          new int[] {y0, y1});
      w.outputs(y0, y1);
    }));
    l.add(c("pack axis 1", w -> {
      int a = in(w, 2, 3);
      int b = w.input("x2", TensorType.FLOAT32, 2, 3);
      int y = f(w, "y", 2, 2, 3);
      w.op(BuiltinOp.PACK, new OpOptions.Pack(2, 1), new int[] {a, b}, new int[] {y});
      w.outputs(y);
    }));
    l.add(c("unpack axis 0", w -> {
      int x = in(w, 2, 3, 4);
      int y0 = f(w, "y0", 3, 4);
      int y1 = f(w, "y1", 3, 4);
      w.op(BuiltinOp.UNPACK, new OpOptions.Unpack(2, 0), new int[] {x}, new int[] {y0, y1});
      w.outputs(y0, y1);
    }));
    l.add(c("tile", w -> {
      int x = in(w, 1, 2, 3, 2);
      int y = f(w, "y", 1, 4, 3, 6);
      w.op(BuiltinOp.TILE, new OpOptions.None(), new int[] {x, ints(w, "m", 1, 2, 1, 3)}, new int[] {y});
      w.outputs(y);
    }));
    l.add(c("batch matmul adj_y", w -> {
      int a = in(w, 2, 3, 4);
      int b = w.input("x2", TensorType.FLOAT32, 2, 5, 4);
      int y = f(w, "y", 2, 3, 5);
      w.op(BuiltinOp.BATCH_MATMUL, new OpOptions.BatchMatMul(false, true), new int[] {a, b}, new int[] {y});
      w.outputs(y);
    }));
    return l.stream().map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void exportedOpMatchesInterpreter(Case cs) {
    TfliteWriter w = new TfliteWriter();
    cs.build().accept(w);
    ExportHarness.Result r = ExportHarness.run(w.build(), 1234, cs.lo(), cs.hi());
    ExportHarness.Diff worst = r.worst();
    System.out.printf("export %-45s tensors %d worst max_abs %.3g (%s)%n", cs.name(), r.diffs().size(),
        worst.maxAbs(), worst.name());
    assertThat(r.outputs()).isNotEmpty();
    for (ExportHarness.Diff d : r.diffs()) {
      assertThat(d.maxAbs()).as("max_abs of %s", d.name()).isLessThanOrEqualTo(ATOL);
    }
  }
}
