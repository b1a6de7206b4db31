package dev.crossalign.tflite;

import java.util.ArrayList;
import java.util.List;

/**
 * The model rewritten so that a multilinear op computes the magnitude of its terms: every FLOAT32 and FLOAT16 constant
 * (weights, biases, fp16 weights behind DEQUANTIZE, the values of sparse weights) has its sign cleared and every fused
 * activation is NONE. Fed the absolute value of the reference's tensors in isolation, a conv of this model returns
 * {@code sum_k |w_k| |x_k| + |b|} per output element: the quantity the float32 accumulation error bound
 * {@code gamma_K * sum|w*x|} is proportional to (issue 13, tolerances from the math). The same holds for
 * FULLY_CONNECTED, BATCH_MATMUL, MEAN, SUM, AVERAGE_POOL_2D and RESIZE_BILINEAR (all linear in each input with
 * non-negative coefficients once signs are cleared). Only those ops' outputs of this form mean anything.
 */
public final class MagnitudeForm {
  private MagnitudeForm() {}

  public static TfliteModel of(TfliteModel model) {
    byte[] bytes = model.rawBytes().clone();
    Subgraph g = model.main();
    for (TensorInfo t : g.tensors()) {
      if (!model.isConstant(t) || t.type() == null) {
        continue;
      }
      int width = switch (t.type()) {
        case FLOAT32 -> 4;
        case FLOAT16 -> 2;
        default -> 0;
      };
      if (width == 0) {
        continue;
      }
      TfliteModel.BufferRef ref = model.buffers().get(t.buffer());
      // little-endian: the sign bit is the top bit of the last byte of each element
      for (long p = ref.offset() + width - 1; p < ref.offset() + ref.length(); p += width) {
        bytes[(int) p] &= 0x7f;
      }
    }
    List<Operator> ops = new ArrayList<>();
    for (Operator op : g.operators()) {
      ops.add(new Operator(op.index(), op.builtin(), op.builtinCode(), op.customCode(), op.version(), op.inputs(),
          op.outputs(), withoutActivation(op.options()), op.customOptions()));
    }
    List<Subgraph> subgraphs = new ArrayList<>(model.subgraphs());
    subgraphs.set(0, new Subgraph(g.name(), g.tensors(), g.inputs(), g.outputs(), ops));
    return new TfliteModel(model.label() + " (magnitude form)", bytes, model.schemaVersion(), model.description(),
        subgraphs, model.buffers(), model.signatures(), model.metadata());
  }

  private static OpOptions withoutActivation(OpOptions o) {
    Activation none = Activation.NONE;
    if (o instanceof OpOptions.Conv2D c) {
      return new OpOptions.Conv2D(c.padding(), c.strideW(), c.strideH(), none, c.dilationW(), c.dilationH());
    }
    if (o instanceof OpOptions.DepthwiseConv2D d) {
      return new OpOptions.DepthwiseConv2D(d.padding(), d.strideW(), d.strideH(), d.depthMultiplier(), none,
          d.dilationW(), d.dilationH());
    }
    if (o instanceof OpOptions.Pool2D p) {
      return new OpOptions.Pool2D(p.padding(), p.strideW(), p.strideH(), p.filterW(), p.filterH(), none);
    }
    if (o instanceof OpOptions.FullyConnected f) {
      return new OpOptions.FullyConnected(none, f.weightsFormat(), f.keepNumDims());
    }
    if (o instanceof OpOptions.TransposeConv t) {
      return new OpOptions.TransposeConv(t.padding(), t.strideW(), t.strideH(), none);
    }
    if (o instanceof OpOptions.Arithmetic a) {
      return new OpOptions.Arithmetic(a.unionType(), none);
    }
    if (o instanceof OpOptions.Concatenation c) {
      return new OpOptions.Concatenation(c.axis(), none);
    }
    return o;
  }
}
