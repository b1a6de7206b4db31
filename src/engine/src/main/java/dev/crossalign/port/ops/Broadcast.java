package dev.crossalign.port.ops;

import dev.crossalign.port.PortValue;
import org.bytedeco.pytorch.Tensor;

/**
 * Brings two operands of an elementwise op to axes torch can broadcast the way TFLite does (numpy rules over TFLite's
 * axes). When one operand flows as NCHW and the other has TFLite axes of rank at most 4, the other is first given rank
 * 4 by prepending 1s (numpy broadcasting) and then permuted NHWC -> NCHW, so the result stays NCHW. Otherwise both
 * operands are taken in TFLite axes.
 */
record Broadcast(Tensor a, Tensor b, boolean nchw) {

  static Broadcast of(PortValue x, PortValue y) {
    if (x.isNchw() && y.isNchw()) {
      return new Broadcast(x.tensor(), y.tensor(), true);
    }
    if (x.isNchw() && y.rank() <= 4) {
      return new Broadcast(x.tensor(), toNchw(y.tensor()), true);
    }
    if (y.isNchw() && x.rank() <= 4) {
      return new Broadcast(toNchw(x.tensor()), y.tensor(), true);
    }
    return new Broadcast(x.tfTensor(), y.tfTensor(), false);
  }

  /** A TFLite-axes tensor of rank <= 4 as rank 4 (leading 1s), permuted NHWC -> NCHW. */
  static Tensor toNchw(Tensor t) {
    int r = (int) t.dim();
    Tensor t4 = t;
    if (r < 4) {
      long[] shape = new long[4];
      for (int i = 0; i < 4; i++) {
        shape[i] = i < 4 - r ? 1 : t.size(i - (4 - r));
      }
      t4 = t.reshape(shape);
    }
    return PortValue.toNchw(t4);
  }

  /**
   * Operand {@code i} of an elementwise op as PyTorch code that broadcasts the way TFLite does against an output of
   * rank {@code outRank}: for a rank-4 output (held NCHW) a lower-rank operand gets leading 1s and the NHWC -> NCHW
   * permute (done once in Java for a constant); otherwise the operand in TFLite axes.
   */
  static String py(dev.crossalign.port.codegen.PyOp p, int i, int outRank) {
    int r = p.inShape(i).length;
    if (outRank != 4 || r == 4) {
      return outRank == 4 ? p.value(i) : p.tf(i);
    }
    if (r > 4) {
      throw p.unsupported("operand of rank " + r + " against a rank-4 result");
    }
    int[] shape4 = new int[4];
    for (int k = 0; k < 4; k++) {
      shape4[k] = k < 4 - r ? 1 : p.inShape(i)[k - (4 - r)];
    }
    dev.crossalign.tensor.HostTensor c = p.constant(i);
    if (c != null) {
      dev.crossalign.tensor.HostTensor held =
          c.reshape(shape4).permute(dev.crossalign.tensor.Layout.nhwcToNchw(), dev.crossalign.tensor.Layout.NCHW);
      return p.weight(i, "nchw", held, c.dtype() == dev.crossalign.tensor.DType.FLOAT32);
    }
    return p.tf(i) + ".reshape(" + dev.crossalign.port.codegen.Py.ints(shape4) + ").permute(0, 3, 1, 2)";
  }

  PortValue wrap(Tensor result) {
    return nchw ? PortValue.nchw(result) : PortValue.tf(result);
  }
}
