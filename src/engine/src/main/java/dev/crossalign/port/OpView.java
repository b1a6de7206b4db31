package dev.crossalign.port;

import dev.crossalign.tflite.Operator;
import dev.crossalign.tflite.TensorInfo;

/**
 * What a lowering ({@link LoweringContext}) and a code generation ({@link dev.crossalign.port.codegen.PyOp}) both see
 * of one operator: its tensors and options. An op family's preconditions are written once against this view, so the
 * port and the generated code refuse the same instances with the same words.
 */
public interface OpView {
  Operator op();

  int inputCount();

  /** True when input {@code i} is present (not the -1 "absent optional input" marker). */
  boolean hasInput(int i);

  TensorInfo input(int i);

  TensorInfo output(int i);

  /** Whether input {@code i} is known before any run. */
  boolean isConstant(int i);

  UnsupportedOpException unsupported(String reason);
}
