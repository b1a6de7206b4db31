package dev.crossalign.port.codegen;

import java.util.List;

/**
 * One TFLite op's generated code as the module's forward holds it: the lines the op's family emitted
 * ({@link dev.crossalign.port.OpLowering#emitPython}), the variables of its run-time inputs (distinct, in input
 * order; constant inputs are weights the lines read from {@code self}) and of its outputs. {@link OpMethods} turns it
 * into a TorchScript method of its own, so that isolated runs execute the very text chained runs do.
 */
public record OpCode(int opIndex, String opName, List<Value> inputs, List<Value> outputs, List<String> lines) {
  /** A run-time tensor of the op: its TFLite index, its Python variable, its rank (rank 4 is held NCHW). */
  public record Value(int tensor, String var, int rank) {}

  public OpCode {
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
    lines = List.copyOf(lines);
  }
}
