package dev.crossalign.engine;

import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.Half;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.Activation;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.Padding;
import dev.crossalign.tflite.SamePadding;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/**
 * The embedded default model: the classic case. A 1x224x224x3 input, a k=5 s=2 SAME conv (TF pads 1 before and 2
 * after, PyTorch's padding=2 would pad 2 and 2 and keep the shape), then a BlazeFace-style stack: depthwise convs,
 * 1x1 convs, residual adds, a stride-2 block whose skip path is max-pool plus channel PAD, fp16 weights through
 * DEQUANTIZE, and a reshaped head. Built by the project's own writer from a fixed seed.
 */
public final class DemoModel {
  public static final String LABEL = "demo:blazeface-block(224x224x3)";
  private static volatile byte[] cached;

  private DemoModel() {}

  public static byte[] bytes() {
    byte[] b = cached;
    if (b == null) {
      b = build();
      cached = b;
    }
    return b.clone();
  }

  private static final class Builder {
    final TfliteWriter w = new TfliteWriter();
    final SplittableRandom rnd = new SplittableRandom(20240601L);
    int count;

    float[] values(int n, double scale) {
      float[] v = new float[n];
      for (int i = 0; i < n; i++) {
        v[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
      }
      return v;
    }

    /** fp16 weights with a DEQUANTIZE, as converters emit them. */
    int fp16Weights(String name, int[] shape, double scale) {
      float[] v = values((int) HostTensor.numel(shape), scale);
      ByteBuffer b = ByteBuffer.allocate(v.length * 2).order(ByteOrder.LITTLE_ENDIAN);
      for (float f : v) {
        b.putShort(Half.fromFloat(f));
      }
      b.flip();
      int half = w.constant(name + "/fp16", HostTensor.of(DType.FLOAT16, shape, Layout.ANY, b));
      int deq = w.tensor(name, TensorType.FLOAT32, shape);
      w.op(BuiltinOp.DEQUANTIZE, new OpOptions.None(), new int[] {half}, new int[] {deq});
      return deq;
    }

    int bias(String name, int n) {
      return w.constant(name, HostTensor.ofFloats(new int[] {n}, Layout.ANY, values(n, 0.1)));
    }

    int conv(String name, int x, int h, int wd, int cin, int cout, int k, int s, Activation act) {
      int wt = fp16Weights(name + "/weights", new int[] {cout, k, k, cin}, 1.0 / Math.sqrt(k * k * cin));
      int b = bias(name + "/bias", cout);
      int oh = SamePadding.of(Padding.SAME, h, k, s, 1).out();
      int ow = SamePadding.of(Padding.SAME, wd, k, s, 1).out();
      int y = w.tensor(name, TensorType.FLOAT32, 1, oh, ow, cout);
      w.op(BuiltinOp.CONV_2D, new OpOptions.Conv2D(Padding.SAME, s, s, act, 1, 1), new int[] {x, wt, b}, new int[] {y});
      return y;
    }

    int depthwise(String name, int x, int h, int wd, int c, int k, int s) {
      int wt = fp16Weights(name + "/weights", new int[] {1, k, k, c}, 1.0 / k);
      int b = bias(name + "/bias", c);
      int oh = SamePadding.of(Padding.SAME, h, k, s, 1).out();
      int ow = SamePadding.of(Padding.SAME, wd, k, s, 1).out();
      int y = w.tensor(name, TensorType.FLOAT32, 1, oh, ow, c);
      w.op(
          BuiltinOp.DEPTHWISE_CONV_2D,
          new OpOptions.DepthwiseConv2D(Padding.SAME, s, s, 1, Activation.NONE, 1, 1),
          new int[] {x, wt, b},
          new int[] {y});
      return y;
    }

    int addRelu(String name, int a, int b, int h, int wd, int c) {
      int sum = w.tensor(name + "/add", TensorType.FLOAT32, 1, h, wd, c);
      w.op(BuiltinOp.ADD, new OpOptions.Arithmetic(11, Activation.NONE), new int[] {a, b}, new int[] {sum});
      int y = w.tensor(name + "/relu", TensorType.FLOAT32, 1, h, wd, c);
      w.op(BuiltinOp.RELU, new OpOptions.None(), new int[] {sum}, new int[] {y});
      return y;
    }
  }

  static byte[] build() {
    Builder b = new Builder();
    TfliteWriter w = b.w;
    int input = w.input("input", TensorType.FLOAT32, 1, 224, 224, 3);
    int x = b.conv("conv0_k5s2", input, 224, 224, 3, 24, 5, 2, Activation.RELU);
    // block 1: same size
    int d1 = b.depthwise("block1/depthwise", x, 112, 112, 24, 3, 1);
    int p1 = b.conv("block1/project", d1, 112, 112, 24, 24, 1, 1, Activation.NONE);
    x = b.addRelu("block1", p1, x, 112, 112, 24);
    // block 2: stride 2, 24 -> 32 channels; skip path = max-pool + channel pad
    int d2 = b.depthwise("block2/depthwise", x, 112, 112, 24, 3, 2);
    int p2 = b.conv("block2/project", d2, 56, 56, 24, 32, 1, 1, Activation.NONE);
    int pool = w.tensor("block2/skip_pool", TensorType.FLOAT32, 1, 56, 56, 24);
    w.op(BuiltinOp.MAX_POOL_2D, new OpOptions.Pool2D(Padding.VALID, 2, 2, 2, 2, Activation.NONE), new int[] {x}, new int[] {pool});
    int pads = w.constant("block2/skip_pads", HostTensor.ofInts(new int[] {4, 2}, Layout.ANY, new int[] {0, 0, 0, 0, 0, 0, 0, 8}));
    int padded = w.tensor("block2/skip_pad", TensorType.FLOAT32, 1, 56, 56, 32);
    w.op(BuiltinOp.PAD, new OpOptions.None(), new int[] {pool, pads}, new int[] {padded});
    x = b.addRelu("block2", p2, padded, 56, 56, 32);
    // block 3: 5x5 depthwise
    int d3 = b.depthwise("block3/depthwise", x, 56, 56, 32, 5, 1);
    int p3 = b.conv("block3/project", d3, 56, 56, 32, 32, 1, 1, Activation.NONE);
    x = b.addRelu("block3", p3, x, 56, 56, 32);
    // head
    int head = b.conv("head/classifier", x, 56, 56, 32, 4, 1, 1, Activation.NONE);
    int shape = w.constant("head/shape", HostTensor.ofInts(new int[] {3}, Layout.ANY, new int[] {1, 12544, 1}));
    int out = w.tensor("classificators", TensorType.FLOAT32, 1, 12544, 1);
    w.op(BuiltinOp.RESHAPE, new OpOptions.Reshape(new int[] {1, 12544, 1}), new int[] {head, shape}, new int[] {out});
    w.outputs(out);
    return w.build();
  }
}
