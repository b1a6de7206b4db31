package dev.crossalign.tflite;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The model rewritten so that every op reads its run-time inputs from graph inputs of its own: tensor X consumed by
 * an op becomes graph input {@code X + SUFFIX}, while the op still writes X. Fed the reference's own tensors, a
 * backend that runs this graph computes every op in isolation in one run: the isolated mode for backends that take a
 * whole graph (ONNX Runtime). Constants and constant-only chains (DEQUANTIZE/DENSIFY of weights) stay as they are.
 * The file's bytes and buffers are shared with the original; this form is never handed to the interpreter.
 */
public final class IsolatedForm {
  public static final String SUFFIX = "__isolated_in";

  private IsolatedForm() {}

  /** The rewritten model and, per new graph input, the name of the original tensor it stands for. */
  public record Result(TfliteModel model, Map<String, String> inputFor) {}

  public static Result of(TfliteModel model) {
    Subgraph g = model.main();
    Set<Integer> constant = new HashSet<>();
    for (TensorInfo t : g.tensors()) {
      if (model.isConstant(t)) {
        constant.add(t.index());
      }
    }
    for (Operator op : g.operators()) {
      boolean allConst = op.inputs().length > 0 && !op.isCustom();
      for (int in : op.inputs()) {
        if (in >= 0 && !constant.contains(in)) {
          allConst = false;
        }
      }
      if (allConst && (op.builtin() == BuiltinOp.DEQUANTIZE || op.builtin() == BuiltinOp.DENSIFY)) {
        for (int o : op.outputs()) {
          constant.add(o);
        }
      }
    }
    List<TensorInfo> tensors = new ArrayList<>(g.tensors());
    Map<Integer, Integer> replacement = new HashMap<>();
    Map<String, String> inputFor = new java.util.LinkedHashMap<>();
    List<Integer> inputs = new ArrayList<>();
    List<Operator> ops = new ArrayList<>();
    for (Operator op : g.operators()) {
      int[] in = op.inputs().clone();
      for (int i = 0; i < in.length; i++) {
        int t = in[i];
        if (t < 0 || constant.contains(t)) {
          continue;
        }
        Integer r = replacement.get(t);
        if (r == null) {
          TensorInfo src = g.tensor(t);
          r = tensors.size();
          String name = src.name() + SUFFIX;
          tensors.add(new TensorInfo(r, name, src.type(), src.typeCode(), src.shape(), src.shapeSignature(), 0,
              src.quantization(), null, false));
          replacement.put(t, r);
          inputs.add(r);
          inputFor.put(name, src.name());
        }
        in[i] = r;
      }
      ops.add(new Operator(op.index(), op.builtin(), op.builtinCode(), op.customCode(), op.version(), in,
          op.outputs(), op.options(), op.customOptions()));
    }
    Subgraph iso = new Subgraph(g.name(), tensors, inputs.stream().mapToInt(Integer::intValue).toArray(), g.outputs(), ops);
    List<Subgraph> subgraphs = new ArrayList<>(model.subgraphs());
    subgraphs.set(0, iso);
    TfliteModel m = new TfliteModel(model.label() + " (isolated form)", model.rawBytes(), model.schemaVersion(),
        model.description(), subgraphs, model.buffers(), model.signatures(), model.metadata());
    return new Result(m, inputFor);
  }
}
