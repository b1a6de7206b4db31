package dev.crossalign.port.codegen;

import java.util.List;

/**
 * Each generated op as a TorchScript method of the module that holds the weights: {@code _op_<index>(self, <the
 * op's run-time inputs>)} runs exactly the lines the forward holds for that op (the same text, {@link OpCode}) and
 * returns its outputs in TFLite's axes, as the forward's capture does. Isolated runs call these with the reference's
 * tensors; the weights are the module's own attributes, so they exist once. Method names start with an underscore,
 * which no generated weight or variable name does ({@link Py#identifier}).
 */
public final class OpMethods {
  private OpMethods() {}

  /** The method that runs op {@code opIndex}. */
  public static String name(int opIndex) {
    return "_op_" + opIndex;
  }

  /** All ops' methods as one TorchScript source (one compilation for the whole model). */
  public static String source(List<OpCode> ops) {
    StringBuilder b = new StringBuilder();
    for (OpCode op : ops) {
      if (!op.outputs().isEmpty()) {
        method(b, op);
      }
    }
    return ModuleSource.torchScript(b.toString());
  }

  private static void method(StringBuilder b, OpCode op) {
    b.append("def ").append(name(op.opIndex())).append("(self");
    for (OpCode.Value v : op.inputs()) {
      b.append(", ").append(v.var()).append(": Tensor");
    }
    b.append(") -> ");
    if (op.outputs().size() == 1) {
      b.append("Tensor");
    } else {
      b.append("Tuple[").append("Tensor, ".repeat(op.outputs().size() - 1)).append("Tensor]");
    }
    b.append(":\n");
    for (String line : op.lines()) {
      b.append("    ").append(line).append('\n');
    }
    b.append("    return ");
    for (int k = 0; k < op.outputs().size(); k++) {
      OpCode.Value v = op.outputs().get(k);
      b.append(k == 0 ? "" : ", ").append(v.var()).append(v.rank() == 4 ? ".permute(0, 2, 3, 1)" : "");
    }
    b.append('\n');
  }
}
