package dev.crossalign.port;

import dev.crossalign.port.codegen.PyOp;
import dev.crossalign.port.onnx.OnnxOp;
import java.util.Set;

/**
 * The plug-in SPI: lowers one family of TFLite ops (builtin names like "CONV_2D" or custom codes) to libtorch, and
 * writes the same ops as PyTorch code ({@link #emitPython}: the generated model.py / TorchScript) and as ONNX nodes
 * ({@link #exportOnnx}: what {@code convert --to onnx} and the ONNX leg run). One family, one file: a plug-in that
 * lowers a custom op can export it the same way.
 * Builtin lowerings and user plug-ins are found the same way, through {@code
 * META-INF/services/dev.crossalign.port.OpLowering}; a plug-in's lowering wins over a builtin one for the same name.
 */
public interface OpLowering {
  /** Op names this lowering handles: builtin operator names or custom codes. */
  Set<String> opNames();

  /**
   * Prepares the op (weights converted once). Throws {@link UnsupportedOpException} with a reason when this instance
   * of the op cannot be lowered (an option value, a dtype, a dynamic weight).
   */
  LoweredOp lower(LoweringContext ctx);

  /**
   * The op names of {@link #opNames} this family can also write as PyTorch code; empty when it writes none (then
   * {@code convert --to pytorch} refuses the model naming the op).
   */
  default Set<String> pythonOps() {
    return Set.of();
  }

  /**
   * Writes one operator as PyTorch code (eager PyTorch and TorchScript at once): forward lines through {@link
   * PyOp#line} assigning every output ({@link PyOp#out}) in the generated convention (rank 4 NCHW), weights through
   * {@link PyOp#weight}/{@link PyOp#table}. Throws {@link UnsupportedOpException} when this instance cannot be written.
   */
  default void emitPython(PyOp op) {
    throw op.unsupported("no PyTorch code generation for this op");
  }

  /**
   * The op names of {@link #opNames} this family can also export to ONNX; empty when it exports none (then the
   * exporter refuses the model naming the op, exit 3).
   */
  default Set<String> onnxOps() {
    return Set.of();
  }

  /**
   * Writes one operator as ONNX nodes through {@link OnnxOp}: inputs by {@link OnnxOp#x} (rank 4 NCHW) or {@link
   * OnnxOp#tf} (TFLite axes), every output claimed with {@link OnnxOp#out}/{@link OnnxOp#outTf}. Throws {@link
   * OnnxOp#refuse} when this instance cannot be exported.
   */
  default void exportOnnx(OnnxOp op) {
    throw op.refuse("no ONNX export for this op");
  }

  /** Builtin lowerings rank 0; plug-ins should return a higher rank to take precedence. */
  default int rank() {
    return 0;
  }
}
