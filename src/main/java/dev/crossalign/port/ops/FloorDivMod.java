package dev.crossalign.port.ops;

import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.onnx.OnnxTypes;
import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.onnx.OnnxOp;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.TensorType;
import java.util.List;
import java.util.Set;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * FLOOR_DIV and FLOOR_MOD over float32 / int32 with numpy broadcasting, TF semantics for negative operands, as
 * TFLite's kernels compute them. FLOOR_DIV: floor(double(x) / double(y)) converted back (also for float32: dividing
 * in float first could round a quotient just below an integer up to it). FLOOR_MOD: m = fmod(x, y) (C truncated
 * remainder; integer % for int32), then m + y where m != 0 and sign(m) != sign(y). Division by an integer zero is
 * an error in TFLite and is not checked here.
 */
public final class FloorDivMod implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("FLOOR_DIV", "FLOOR_MOD");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    boolean div = ctx.op().opName().equals("FLOOR_DIV");
    if (ctx.inputCount() != 2 || !ctx.hasInput(0) || !ctx.hasInput(1)) {
      throw ctx.unsupported("expects two inputs");
    }
    if (Axes.quantized(ctx, 0) || Axes.quantized(ctx, 1) || ctx.output(0).isQuantized()) {
      throw ctx.unsupported("quantized operands");
    }
    TensorType t = ctx.input(0).type();
    if (t != ctx.input(1).type() || (t != TensorType.FLOAT32 && t != TensorType.INT32)) {
      throw ctx.unsupported("operand types " + t + " and " + ctx.input(1).type());
    }
    ScalarType st = t == TensorType.INT32 ? ScalarType.Int : ScalarType.Float;
    return inputs -> {
      Broadcast bc = Broadcast.of(inputs[0], inputs[1]);
      Tensor a = bc.a();
      Tensor b = bc.b();
      Tensor r;
      if (div) {
        r = a.to(ScalarType.Double).div(b.to(ScalarType.Double)).floor().to(st);
      } else {
        Tensor m = torch.fmod(a, b);
        Scalar zero = new Scalar(0.0);
        Tensor fix = m.ne(zero).logical_and(b.lt(zero).ne(m.lt(zero)));
        r = m.add(b).where(fix, m);
      }
      return new PortValue[] {bc.wrap(r)};
    };
  }

  @Override
  public Set<String> onnxOps() {
    return opNames();
  }

  @Override
  public void exportOnnx(OnnxOp s) {
    TensorType t0 = s.in(0).type();
    if (t0 != s.in(1).type() || (t0 != TensorType.FLOAT32 && t0 != TensorType.INT32)) {
      throw s.refuse("operand types " + t0 + " and " + s.in(1).type());
    }
    DType t = t0.dtype();
    int r = s.outShape(0).length;
    if (s.opName().equals("FLOOR_DIV")) {
      // floor(double(x) / double(y)) cast back, as TFLite's kernel computes it for float32 and int32
      String a = s.castTo(s.operand(0, r), DType.FLOAT64, "x_f64");
      String b = s.castTo(s.operand(1, r), DType.FLOAT64, "y_f64");
      String q = s.tmp("quot");
      String fl = s.tmp("floor");
      s.node("Div", List.of(a, b), List.of(q));
      s.node("Floor", List.of(q), List.of(fl));
      s.node("Cast", List.of(fl), List.of(s.out(0)), OnnxGraphBuilder.attrs().putInt("to", OnnxTypes.elemType(t)));
      return;
    }
    // m = fmod(x, y) (Mod fmod=1: C truncated remainder), then m + y where m != 0 and sign(m) != sign(y)
    String a = s.operand(0, r);
    String b = s.operand(1, r);
    String zero = t == DType.INT32
        ? s.init("zero_i32", HostTensor.ofInts(new int[0], Layout.ANY, new int[] {0}))
        : s.f32Scalar(0f);
    String m = s.tmp("fmod");
    s.node("Mod", List.of(a, b), List.of(m), OnnxGraphBuilder.attrs().putInt("fmod", 1));
    String mz = s.tmp("m_is0");
    String mnz = s.tmp("m_not0");
    String bneg = s.tmp("y_neg");
    String mneg = s.tmp("m_neg");
    String diff = s.tmp("sign_differs");
    String fix = s.tmp("fix");
    String sum = s.tmp("m_plus_y");
    s.node("Equal", List.of(m, zero), List.of(mz));
    s.node("Not", List.of(mz), List.of(mnz));
    s.node("Less", List.of(b, zero), List.of(bneg));
    s.node("Less", List.of(m, zero), List.of(mneg));
    s.node("Xor", List.of(bneg, mneg), List.of(diff));
    s.node("And", List.of(mnz, diff), List.of(fix));
    s.node("Add", List.of(m, b), List.of(sum));
    s.node("Where", List.of(fix, sum, m), List.of(s.out(0)));
  }
}
