package dev.crossalign.port.ops;

import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.onnx.OnnxOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.port.codegen.Py;
import dev.crossalign.port.codegen.PyOp;
import java.util.List;
import java.util.Set;
import org.bytedeco.pytorch.Tensor;

/**
 * DEPTH_TO_SPACE and SPACE_TO_DEPTH in TF's DCR order: in NHWC, channel {@code (i * b + j) * C' + c} holds pixel
 * offset (i, j) of channel c. torch's pixel_shuffle is CRD (channel-major) in NCHW, so it is NOT used: the same
 * reshape/permute is written directly on the NCHW tensor.
 */
public final class DepthSpace implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("DEPTH_TO_SPACE", "SPACE_TO_DEPTH");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    if (!(ctx.op().options() instanceof OpOptions.BlockSize o)) {
      throw ctx.unsupported("missing block_size options");
    }
    int b = o.blockSize();
    int[] in = ctx.input(0).shape();
    if (in.length != 4 || b < 1) {
      throw ctx.unsupported("expects a rank-4 input and block_size >= 1");
    }
    long n = in[0];
    long h = in[1];
    long w = in[2];
    long c = in[3];
    if (ctx.op().opName().equals("DEPTH_TO_SPACE")) {
      if (c % ((long) b * b) != 0) {
        throw ctx.unsupported("channels " + c + " not divisible by block_size^2");
      }
      long c2 = c / ((long) b * b);
      return inputs -> {
        // NCHW [n, (i, j, c'), h, w] -> [n, c', h, i, w, j]
        Tensor x = inputs[0].nchwTensor().reshape(n, b, b, c2, h, w).permute(0, 3, 4, 1, 5, 2);
        return new PortValue[] {PortValue.nchw(x.reshape(n, c2, h * b, w * b))};
      };
    }
    if (h % b != 0 || w % b != 0) {
      throw ctx.unsupported("spatial size " + h + "x" + w + " not divisible by block_size " + b);
    }
    long h2 = h / b;
    long w2 = w / b;
    return inputs -> {
      // NCHW [n, c, (h', i), (w', j)] -> [n, i, j, c, h', w']
      Tensor x = inputs[0].nchwTensor().reshape(n, c, h2, b, w2, b).permute(0, 3, 5, 1, 2, 4);
      return new PortValue[] {PortValue.nchw(x.reshape(n, (long) b * b * c, h2, w2))};
    };
  }

  @Override
  public Set<String> pythonOps() {
    return opNames();
  }

  @Override
  public void emitPython(PyOp p) {
    if (!(p.op().options() instanceof OpOptions.BlockSize o)) {
      throw p.unsupported("missing block_size options");
    }
    long b = o.blockSize();
    int[] in = p.inShape(0);
    if (in.length != 4 || b < 1) {
      throw p.unsupported("expects a rank-4 input and block_size >= 1");
    }
    long n = in[0];
    long h = in[1];
    long w = in[2];
    long c = in[3];
    String x = p.value(0);
    if (p.opName().equals("DEPTH_TO_SPACE")) {
      if (c % (b * b) != 0) {
        throw p.unsupported("channels " + c + " not divisible by block_size^2");
      }
      long c2 = c / (b * b);
      p.line(p.out(0) + " = " + x + ".reshape(" + Py.ints(n, b, b, c2, h, w) + ").permute(0, 3, 4, 1, 5, 2).reshape("
          + Py.ints(n, c2, h * b, w * b) + ")  # NCHW [n, (i, j, c'), h, w] -> [n, c', h, i, w, j]");
      return;
    }
    if (h % b != 0 || w % b != 0) {
      throw p.unsupported("spatial size " + h + "x" + w + " not divisible by block_size " + b);
    }
    p.line(p.out(0) + " = " + x + ".reshape(" + Py.ints(n, c, h / b, b, w / b, b) + ").permute(0, 3, 5, 1, 2, 4).reshape("
        + Py.ints(n, b * b * c, h / b, w / b) + ")  # NCHW [n, c, (h', i), (w', j)] -> [n, i, j, c, h', w']");
  }

  @Override
  public Set<String> onnxOps() {
    return opNames();
  }

  /** TF's NHWC channel order (block offsets first) is ONNX's DCR order in NCHW. */
  @Override
  public void exportOnnx(OnnxOp s) {
    String type = s.opName().equals("DEPTH_TO_SPACE") ? "DepthToSpace" : "SpaceToDepth";
    if (!(s.options() instanceof OpOptions.BlockSize bs)) {
      throw s.refuse("missing block size");
    }
    OnnxGraphBuilder.Attrs a = OnnxGraphBuilder.attrs().putInt("blocksize", bs.blockSize());
    if (type.equals("DepthToSpace")) {
      a.putString("mode", "DCR");
    }
    s.node(type, List.of(s.x(0)), List.of(s.out(0)), a);
  }
}
