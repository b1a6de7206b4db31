package dev.crossalign.port.ops;

import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.OpView;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.codegen.PyOp;
import dev.crossalign.tflite.TensorType;
import java.util.Set;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.onnx.OnnxTypes;
import dev.crossalign.port.onnx.OnnxOp;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.util.List;

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
    TensorType t = check(ctx);
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

  /** The operand type this family takes (float32 or int32, both alike), for the lowering and the code generation. */
  private static TensorType check(OpView v) {
    if (v.inputCount() != 2 || !v.hasInput(0) || !v.hasInput(1)) {
      throw v.unsupported("expects two inputs");
    }
    if (Axes.quantized(v, 0) || Axes.quantized(v, 1) || v.output(0).isQuantized()) {
      throw v.unsupported("quantized operands");
    }
    TensorType t = v.input(0).type();
    if (t != v.input(1).type() || (t != TensorType.FLOAT32 && t != TensorType.INT32)) {
      throw v.unsupported("operand types " + t + " and " + v.input(1).type());
    }
    return t;
  }

  @Override
  public Set<String> pythonOps() {
    return opNames();
  }

  @Override
  public void emitPython(PyOp p) {
    TensorType t = check(p);
    int rank = p.outShape(0).length;
    String a = Broadcast.py(p, 0, rank);
    String b = Broadcast.py(p, 1, rank);
    String back = t == TensorType.INT32 ? ".int()" : ".float()";
    if (p.opName().equals("FLOOR_DIV")) {
      // TFLite: floor(double(x) / double(y)); a float32 quotient could round up to the next integer first
      p.line(p.out(0) + " = torch.floor(" + a + ".double() / " + b + ".double())" + back);
      return;
    }
    // TFLite: m = fmod(x, y) (C's truncated remainder), then m + y where m != 0 and its sign differs from y's
    String m = p.temp("fmod");
    String bv = p.temp("divisor");
    p.line(bv + " = " + b);
    p.line(m + " = torch.fmod(" + a + ", " + bv + ")");
    p.line(p.out(0) + " = torch.where((" + m + " != 0) & ((" + bv + " < 0) != (" + m + " < 0)), " + m + " + " + bv
        + ", " + m + ")");
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
