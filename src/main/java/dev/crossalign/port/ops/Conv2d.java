package dev.crossalign.port.ops;

import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.PortValue;
import dev.crossalign.tflite.OpOptions;
import java.util.Set;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * CONV_2D: filter [out, kh, kw, in] (OHWI) permuted once to OIHW; SAME padding as TF computes it, padded explicitly
 * when the two sides differ. Grouped convs (in channels a multiple of the filter's) use groups = C / filter_in.
 */
public final class Conv2d implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("CONV_2D");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    OpOptions.Conv2D o = (OpOptions.Conv2D) ctx.op().options();
    FusedActivation.check(ctx, o.activation());
    OpConstants.requireFloat(ctx, 0, 1, 2);
    Tensor w = ctx.constant(1);
    if (w == null) {
      throw ctx.unsupported("filter computed at run time");
    }
    int[] in = ctx.input(0).shape();
    int[] ws = ctx.input(1).shape();
    if (in.length != 4 || ws.length != 4) {
      throw ctx.unsupported("expects a rank-4 input and filter");
    }
    Tensor weight = ctx.prepared(w.permute(0, 3, 1, 2));
    Tensor bias = ctx.hasInput(2) && ctx.constant(2) != null ? ctx.prepared(ctx.constant(2)) : null;
    if (ctx.hasInput(2) && bias == null) {
      throw ctx.unsupported("bias computed at run time");
    }
    int groups = in[3] / ws[3];
    SamePadding ph = SamePadding.of(o.padding(), in[1], ws[1], o.strideH(), o.dilationH());
    SamePadding pw = SamePadding.of(o.padding(), in[2], ws[2], o.strideW(), o.dilationW());
    long[] stride = {o.strideH(), o.strideW()};
    long[] dilation = {o.dilationH(), o.dilationW()};
    return inputs -> {
      // created per run: a native object made at prepare time would be freed with the preparation's PointerScope
      TensorOptional b = bias == null ? new TensorOptional() : new TensorOptional(bias);
      Tensor x = inputs[0].nchwTensor().contiguous(torch.MemoryFormat.ChannelsLast); // no-op when it already is
      Tensor y;
      if (ph.symmetric() && pw.symmetric()) {
        y = torch.conv2d(x, weight, b, stride, new long[] {ph.begin(), pw.begin()}, dilation, groups);
      } else {
        Tensor padded = torch.constant_pad_nd(x, pw.begin(), pw.end(), ph.begin(), ph.end())
            .contiguous(torch.MemoryFormat.ChannelsLast);
        y = torch.conv2d(padded, weight, b, stride, new long[] {0, 0}, dilation, groups);
      }
      return new PortValue[] {PortValue.nchw(FusedActivation.apply(y, o.activation()))};
    };
  }
}
