package dev.crossalign.port.ops;

import dev.crossalign.tflite.SparseDecoder;
import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.PortValue;
import dev.crossalign.tensor.Half;
import dev.crossalign.tflite.Sparsity;
import dev.crossalign.tflite.TensorInfo;
import java.nio.ByteBuffer;
import java.util.Set;
import org.bytedeco.pytorch.AbstractTensor;
import org.bytedeco.pytorch.Tensor;

/**
 * DENSIFY of a sparse constant, decoded once in plain Java at prepare time ({@link SparseDecoder}) from the raw buffer
 * bytes. FLOAT32 and FLOAT16 become float32 (fp16 widened exactly, the bits of each stored value kept: -0.0 and NaN
 * stay what they are); INT8 becomes int32 raw values, the form the port keeps quantized constants in. Unfilled
 * elements are +0 as TFLite writes them.
 */
public final class Densify implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("DENSIFY");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    TensorInfo in = ctx.input(0);
    Sparsity sp = in.sparsity();
    if (sp == null) {
      throw ctx.unsupported("input '" + in.name() + "' carries no sparsity parameters");
    }
    if (!ctx.model().isConstant(in)) {
      throw ctx.unsupported("sparse input '" + in.name() + "' has no constant data");
    }
    if (in.type() == null) {
      throw ctx.unsupported("input type code " + in.typeCode());
    }
    int elem =
        switch (in.type()) {
          case FLOAT32 -> 4;
          case FLOAT16 -> 2;
          case INT8 -> 1;
          default -> throw ctx.unsupported("sparse values of type " + in.type());
        };
    ByteBuffer data = ctx.model().bufferData(in.buffer());
    if (data.remaining() % elem != 0) {
      throw ctx.unsupported(
          "buffer of '" + in.name() + "' has " + data.remaining() + " bytes, not a multiple of " + elem);
    }
    int count = data.remaining() / elem;
    int[] srcOf;
    try {
      srcOf = SparseDecoder.decode(in.shape(), sp, count);
    } catch (IllegalArgumentException e) {
      throw ctx.unsupported("sparse tensor '" + in.name() + "': " + e.getMessage());
    }
    long[] shape = new long[in.shape().length];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = in.shape()[i];
    }
    Tensor dense;
    if (elem == 1) {
      int[] v = new int[srcOf.length];
      for (int i = 0; i < v.length; i++) {
        v[i] = srcOf[i] < 0 ? 0 : data.get(data.position() + srcOf[i]);
      }
      dense = AbstractTensor.create(v, shape);
    } else {
      float[] v = new float[srcOf.length];
      int base = data.position();
      for (int i = 0; i < v.length; i++) {
        int s = srcOf[i];
        if (s >= 0) {
          v[i] = elem == 4 ? data.getFloat(base + 4 * s) : Half.toFloat(data.getShort(base + 2 * s));
        }
      }
      dense = AbstractTensor.create(v, shape);
    }
    Tensor value = ctx.prepared(dense);
    return inputs -> new PortValue[] {PortValue.tf(value)};
  }
}
