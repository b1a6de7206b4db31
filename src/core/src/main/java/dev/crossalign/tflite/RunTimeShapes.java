package dev.crossalign.tflite;

import java.util.EnumMap;
import java.util.Map;

/**
 * Which tensors of a subgraph get their shape only when the model runs, not when TFLite prepares it: the output of
 * an op whose shape operand (RESHAPE's shape, PAD's paddings, ...) holds values computed from the graph's inputs, of
 * an op whose output size depends on its data (UNIQUE, WHERE), and everything computed from such a tensor. A static
 * shape propagation over the file, so that a kernel taking its shapes when the model is prepared (TFLite's XNNPACK
 * delegate, applied inside AllocateTensors) can be refused before any interpreter exists.
 *
 * <p>A value is known when the model is prepared when it is a constant, a SHAPE of a tensor whose shape is, or computed
 * from such values only (TFLite computes those chains in Prepare: the SHAPE, STRIDED_SLICE, PACK of a converted
 * Keras reshape). Graph inputs and variables are values of the run.
 */
final class RunTimeShapes {
  private RunTimeShapes() {}

  /** For each op, the input slots whose values set the output's shape. */
  private static final Map<BuiltinOp, int[]> SHAPE_OPERANDS = new EnumMap<>(BuiltinOp.class);

  static {
    for (BuiltinOp op : new BuiltinOp[] {BuiltinOp.RESHAPE, BuiltinOp.BROADCAST_TO, BuiltinOp.TILE, BuiltinOp.PAD,
        BuiltinOp.PADV2, BuiltinOp.MIRROR_PAD, BuiltinOp.RESIZE_BILINEAR, BuiltinOp.RESIZE_NEAREST_NEIGHBOR,
        BuiltinOp.EXPAND_DIMS, BuiltinOp.ONE_HOT, BuiltinOp.TRANSPOSE, BuiltinOp.MEAN, BuiltinOp.SUM,
        BuiltinOp.REDUCE_PROD, BuiltinOp.REDUCE_MAX, BuiltinOp.REDUCE_MIN, BuiltinOp.REDUCE_ANY, BuiltinOp.REDUCE_ALL,
        BuiltinOp.ARG_MAX, BuiltinOp.ARG_MIN, BuiltinOp.TOPK_V2}) {
      SHAPE_OPERANDS.put(op, new int[] {1});
    }
    SHAPE_OPERANDS.put(BuiltinOp.FILL, new int[] {0});
    SHAPE_OPERANDS.put(BuiltinOp.TRANSPOSE_CONV, new int[] {0});
    SHAPE_OPERANDS.put(BuiltinOp.SPLIT, new int[] {0});
    SHAPE_OPERANDS.put(BuiltinOp.RANGE, new int[] {0, 1, 2});
    SHAPE_OPERANDS.put(BuiltinOp.SLICE, new int[] {1, 2});
    SHAPE_OPERANDS.put(BuiltinOp.STRIDED_SLICE, new int[] {1, 2, 3});
    SHAPE_OPERANDS.put(BuiltinOp.SPLIT_V, new int[] {1, 2});
    SHAPE_OPERANDS.put(BuiltinOp.SPACE_TO_BATCH_ND, new int[] {1, 2});
    SHAPE_OPERANDS.put(BuiltinOp.BATCH_TO_SPACE_ND, new int[] {1, 2});
  }

  /**
   * Per tensor index: -1 when its shape is known when the model is prepared, otherwise the index of the op from which
   * its shape depends on run-time values (where the propagation started).
   */
  static int[] of(TfliteModel model, Subgraph g) {
    int n = g.tensors().size();
    boolean[] runValue = new boolean[n];
    int[] runShape = new int[n];
    java.util.Arrays.fill(runShape, -1);
    for (int i : g.inputs()) {
      runValue[i] = true;
    }
    for (TensorInfo t : g.tensors()) {
      runValue[t.index()] |= t.isVariable();
    }
    for (Operator op : g.operators()) {
      int from = -1;
      boolean anyRunValue = false;
      for (int in : op.inputs()) {
        if (in >= 0 && !model.isConstant(g.tensor(in))) {
          from = from >= 0 ? from : runShape[in];
          anyRunValue |= runValue[in];
        }
      }
      BuiltinOp b = op.builtin();
      if (from < 0 && (b == BuiltinOp.UNIQUE || b == BuiltinOp.WHERE || b == BuiltinOp.NON_MAX_SUPPRESSION_V4
          || b == BuiltinOp.NON_MAX_SUPPRESSION_V5)) {
        from = op.index();
      }
      for (int slot : b == null ? new int[0] : SHAPE_OPERANDS.getOrDefault(b, new int[0])) {
        if (from < 0 && slot < op.inputs().length && op.inputs()[slot] >= 0 && runValue[op.inputs()[slot]]) {
          from = op.index();
        }
      }
      // SHAPE reads only its input's shape (its own is [rank]); any other op's values are the run's when any input's
      // are, or when its shape is
      boolean value = b == BuiltinOp.SHAPE ? from >= 0 : anyRunValue || from >= 0 || op.isCustom();
      int shapeFrom = b == BuiltinOp.SHAPE ? -1 : from;
      for (int o : op.outputs()) {
        if (o >= 0) {
          runShape[o] = shapeFrom;
          runValue[o] = value;
        }
      }
    }
    return runShape;
  }
}
