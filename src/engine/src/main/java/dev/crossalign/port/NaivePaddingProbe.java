package dev.crossalign.port;

import dev.crossalign.backend.Activations;
import dev.crossalign.backend.torch.TorchTensors;
import dev.crossalign.port.ops.FusedActivation;
import dev.crossalign.tflite.SamePadding;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.Activation;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.Operator;
import dev.crossalign.tflite.Subgraph;
import dev.crossalign.tflite.TensorInfo;
import dev.crossalign.tflite.TfliteModel;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * What PyTorch's naive {@code padding=k//2} would have cost: for convs whose TF SAME padding is asymmetric, runs the
 * symmetric version on the reference's own input and measures it against the reference output. This is the error a
 * hand port makes silently, since the output shape does not change.
 */
public final class NaivePaddingProbe {
  /** One probed conv: the tensor, its geometry and the naive version's max abs error against the reference. */
  public record Finding(String tensor, String op, int kernel, int stride, int padBegin, int padEnd, double naiveMaxAbs) {}

  private NaivePaddingProbe() {}

  public static List<Finding> probe(TfliteModel model, Activations reference, int limit) {
    List<Finding> out = new ArrayList<>();
    Subgraph g = model.main();
    try (PointerScope scope = new PointerScope();
        InferenceMode guard = new InferenceMode()) {
      for (Operator op : g.operators()) {
        if (out.size() >= limit) {
          break;
        }
        Finding f = op.builtin() == BuiltinOp.CONV_2D ? probe(model, reference, op) : null;
        if (f != null) {
          out.add(f);
        }
      }
    }
    return out;
  }

  /** One conv: null when its padding is symmetric, naive padding changes its shape, or a tensor is missing. */
  private static Finding probe(TfliteModel model, Activations reference, Operator op) {
    Subgraph g = model.main();
    OpOptions.Conv2D o = (OpOptions.Conv2D) op.options();
    TensorInfo in = g.tensor(op.inputs()[0]);
    TensorInfo w = g.tensor(op.inputs()[1]);
    if (in.shape().length != 4 || w.shape().length != 4 || o.dilationH() != 1 || o.dilationW() != 1) {
      return null;
    }
    int kh = w.shape()[1];
    int kw = w.shape()[2];
    SamePadding ph = SamePadding.of(o.padding(), in.shape()[1], kh, o.strideH(), 1);
    SamePadding pw = SamePadding.of(o.padding(), in.shape()[2], kw, o.strideW(), 1);
    if (ph.symmetric() && pw.symmetric()) {
      return null;
    }
    // naive: symmetric k//2 on both axes; only comparable when it gives TF's output shape
    int outH = (in.shape()[1] + 2 * (kh / 2) - kh) / o.strideH() + 1;
    int outW = (in.shape()[2] + 2 * (kw / 2) - kw) / o.strideW() + 1;
    if (outH != ph.out() || outW != pw.out()) {
      return null;
    }
    HostTensor x = reference.tensor(in.name());
    HostTensor y = reference.tensor(g.tensor(op.outputs()[0]).name());
    HostTensor wt = reference.tensor(w.name());
    if (wt == null && model.isConstant(w) && w.sparsity() == null && !w.isQuantized()) {
      wt = model.constant(w);
    }
    if (x == null || y == null || wt == null) {
      return null;
    }
    Tensor bias = null;
    if (op.inputs().length > 2 && op.inputs()[2] >= 0) {
      TensorInfo b = g.tensor(op.inputs()[2]);
      HostTensor bh = reference.tensor(b.name());
      if (bh == null && model.isConstant(b) && !b.isQuantized()) {
        bh = model.constant(b);
      }
      if (bh == null) {
        return null;
      }
      bias = TorchTensors.toTorch(bh);
    }
    if (o.activation() == Activation.SIGN_BIT) {
      return null;
    }
    HostTensor nh = naive(x, wt, bias, o, kh, kw, in.shape()[3] / w.shape()[3]);
    double worst = 0;
    for (long i = 0; i < y.numel(); i++) {
      worst = Math.max(worst, Math.abs(y.getDouble(i) - nh.getDouble(i)));
    }
    return new Finding(g.tensor(op.outputs()[0]).name(), op.opName(), Math.max(kh, kw), o.strideH(), ph.begin(),
        ph.end(), worst);
  }

  /** The conv with PyTorch's symmetric padding k//2 (and the fused activation), NHWC on the host. */
  private static HostTensor naive(HostTensor x, HostTensor wt, Tensor bias, OpOptions.Conv2D o, int kh, int kw,
      long groups) {
    Tensor xt = PortValue.toNchw(TorchTensors.toTorch(x.toFloat32()));
    Tensor wtt = PortValue.toNchw(TorchTensors.toTorch(wt.toFloat32()));
    Tensor naive =
        torch.conv2d(
            xt,
            wtt,
            bias == null ? new TensorOptional() : new TensorOptional(bias),
            new long[] {o.strideH(), o.strideW()},
            new long[] {kh / 2, kw / 2},
            new long[] {1, 1},
            groups);
    naive = FusedActivation.apply(naive, o.activation());
    HostTensor nh = TorchTensors.toHost(PortValue.toNhwc(naive), Layout.NHWC);
    return nh;
  }
}
