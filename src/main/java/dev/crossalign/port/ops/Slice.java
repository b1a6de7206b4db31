package dev.crossalign.port.ops;

import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.PortValue;
import java.util.Arrays;
import java.util.Set;
import org.bytedeco.pytorch.Tensor;

/**
 * SLICE with constant begin and size (size -1 = to the end of the axis). Rank is kept, so an NCHW value is sliced
 * on the mapped dims and stays NCHW.
 */
public final class Slice implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("SLICE");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    int[] shape = ctx.input(0).shape();
    int[] begin = Axes.constInts(ctx, 1, "begin");
    int[] size = Axes.constInts(ctx, 2, "size");
    if (begin.length != shape.length || size.length != shape.length) {
      throw ctx.unsupported(
          "begin " + Arrays.toString(begin) + " / size " + Arrays.toString(size) + " do not match rank "
              + shape.length);
    }
    int[] len = new int[shape.length];
    for (int i = 0; i < shape.length; i++) {
      len[i] = size[i] == -1 ? shape[i] - begin[i] : size[i];
      if (begin[i] < 0 || len[i] < 0 || begin[i] + len[i] > shape[i]) {
        throw ctx.unsupported(
            "begin " + Arrays.toString(begin) + " size " + Arrays.toString(size) + " outside shape "
                + Arrays.toString(shape));
      }
    }
    return inputs -> {
      PortValue x = inputs[0];
      Tensor t = x.tensor();
      for (int i = 0; i < shape.length; i++) {
        if (begin[i] != 0 || len[i] != shape[i]) {
          t = t.narrow(Axes.dim(x, i), begin[i], len[i]);
        }
      }
      return new PortValue[] {new PortValue(t, x.layout())};
    };
  }
}
