package dev.crossalign.backend.tflite;

import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteFloat16;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteFloat32;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteMmapRo;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteOk;

import dev.crossalign.CrossalignException;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tflite.CustomOpChecks;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteWriter;
import java.util.Arrays;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.tensorflowlite.Interpreter;
import org.bytedeco.tensorflowlite.TfLiteContext;
import org.bytedeco.tensorflowlite.TfLiteNode;
import org.bytedeco.tensorflowlite.TfLiteTensor;

/**
 * One node of a model re-built as a one-op model (its constant inputs copied in as constants, fp16 weights through
 * DEQUANTIZE included, the others as graph inputs, the same custom_options) and run by TFLite's XNNPACK delegate in an interpreter of its own. {@link #invoke}
 * copies the node's run-time inputs from the main interpreter's context in and its outputs back, byte for byte.
 * Owns the one-op interpreter's handles ({@link #close()}); fp32 only.
 *
 * @param nodeIndex the node in the main interpreter
 * @param mainInputs the main interpreter's tensors fed at run time, in the one-op model's input order
 * @param mainOutputs the main interpreter's output tensors of the node, in the one-op model's output order
 */
record OneOpInterpreter(int nodeIndex, TfliteHandles handles, int[] mainInputs, int[] mainOutputs)
    implements AutoCloseable {

  /**
   * Builds the one-op interpreter for a node of {@code main} (tensors allocated) with the XNNPACK delegate, which
   * must take the node: the caller ({@link DelegateBackedKernels#attach}) refuses the model otherwise.
   */
  static OneOpInterpreter build(Interpreter main, int nodeIndex, String customCode, int threads, String label) {
    TfLiteNode node = ExecutionPlan.nodeAt(main, nodeIndex).first();
    int[] ins = NativeTensors.intArray(node.inputs());
    int[] outs = NativeTensors.intArray(node.outputs());
    String what = "custom op " + NativeTensors.printable(customCode) + " (node " + nodeIndex + ") of model " + label;
    TfliteWriter w = new TfliteWriter();
    int[] subIns = new int[ins.length];
    int[] runtime = new int[ins.length];
    int nRuntime = 0;
    for (int i = 0; i < ins.length; i++) {
      if (ins[i] < 0) {
        subIns[i] = -1;
        continue;
      }
      TfLiteTensor t = float32(main, ins[i], what);
      String name = "in" + i;
      HostTensor constant = t.allocation_type() == kTfLiteMmapRo
          ? constant(t, ins[i], what)
          : dequantizedConstant(main, ins[i], what);
      if (constant != null) {
        subIns[i] = w.constant(name, constant.toFloat32());
      } else {
        subIns[i] = w.input(name, TensorType.FLOAT32, NativeTensors.dimsOf(t, name));
        runtime[nRuntime++] = ins[i];
      }
    }
    int[] subOuts = new int[outs.length];
    for (int i = 0; i < outs.length; i++) {
      subOuts[i] = w.tensor("out" + i, TensorType.FLOAT32, NativeTensors.dimsOf(float32(main, outs[i], what), "out"));
    }
    checkChannels(main, customCode, ins, outs, what);
    w.custom(customCode, subIns, subOuts, NativeTensors.customOptions(node));
    w.outputs(subOuts);
    TfliteHandles h;
    try {
      h = InterpreterFactory.buildOneOp(
          w.build(), "(its one-op model)", new TfliteOptions(threads, TfliteOptions.Delegate.XNNPACK));
    } catch (CrossalignException e) {
      throw new CrossalignException(e.kind(),
          what + " cannot run on TFLite's XNNPACK delegate, TFLite's only kernel for it: " + e.getMessage());
    }
    return new OneOpInterpreter(nodeIndex, h, Arrays.copyOf(runtime, nRuntime), outs.clone());
  }

  /**
   * The value of a tensor that DEQUANTIZE computes from a FLOAT16 constant (MediaPipe's fp16 weights), converted here
   * as DEQUANTIZE would (fp16 to fp32 is exact): the one-op model gets it as a constant, as the XNNPACK delegate
   * takes such weights on the whole model. Null when another op, or nothing constant, produces the tensor.
   */
  private static HostTensor dequantizedConstant(Interpreter main, int index, String what) {
    for (OpNode n : ExecutionPlan.nodes(main)) {
      if (n.outputs().length != 1 || n.outputs()[0] != index) {
        continue;
      }
      if (!n.op().equals("DEQUANTIZE") || n.inputs().length != 1 || n.inputs()[0] < 0
          || n.inputs()[0] >= main.tensors_size()) {
        return null;
      }
      TfLiteTensor from = main.tensor(n.inputs()[0]);
      boolean fp16Constant = from.allocation_type() == kTfLiteMmapRo && from.type() == kTfLiteFloat16;
      return fp16Constant ? constant(from, n.inputs()[0], what) : null;
    }
    return null;
  }

  /**
   * A constant's value from the main interpreter. TFLite takes a read-only buffer larger than the tensor's shape
   * needs; the one-op model is built from the shape, so a buffer of another size is the file's fault (exit 2), named
   * with the node and its model.
   */
  private static HostTensor constant(TfLiteTensor t, int index, String what) {
    DType dt = NativeTensors.dtypeOf(t.type());
    if (dt != null) {
      int[] shape = NativeTensors.dimsOf(t, "tensor " + index);
      long need = HostTensor.numel(shape) * dt.byteSize();
      if (t.bytes() != need) {
        throw CrossalignException.input(what + ": constant tensor " + index + " has a buffer of " + t.bytes()
            + " bytes, its shape " + Arrays.toString(shape) + " of " + dt + " needs " + need);
      }
    }
    return NativeTensors.copyOut(t, "tensor " + index);
  }

  /**
   * The transposed conv's channel rule on the shapes TFLite gave the tensors (a DEQUANTIZE or RESHAPE output takes
   * its shape at run time, not from the file): the delegate kernel would read or write past a tensor otherwise.
   */
  private static void checkChannels(Interpreter main, String customCode, int[] ins, int[] outs, String what) {
    if (!CustomOpChecks.isTransposeConvBias(customCode, ins, outs)) {
      return;
    }
    String v = CustomOpChecks.transposeConvBiasChannels(NativeTensors.dimsOf(main.tensor(ins[0]), "input"),
        NativeTensors.dimsOf(main.tensor(ins[1]), "weights"), NativeTensors.dimsOf(main.tensor(ins[2]), "bias"),
        NativeTensors.dimsOf(main.tensor(outs[0]), "output"));
    if (v != null) {
      throw CrossalignException.input(what + ": " + v + " (as TFLite shaped them at run time)");
    }
  }

  private static TfLiteTensor float32(Interpreter main, int index, String what) {
    if (index < 0 || index >= main.tensors_size()) {
      throw CrossalignException.input(what + " names tensor " + index + ", out of range");
    }
    TfLiteTensor t = main.tensor(index);
    if (t.type() != kTfLiteFloat32) {
      throw CrossalignException.unsupported(what + ": tensor " + index + " has TFLite type " + t.type()
          + ", the XNNPACK-backed kernel takes float32 only");
    }
    return t;
  }


  /** Copies the node's inputs in from {@code context}, runs the one-op interpreter, copies its outputs back. */
  boolean invoke(TfLiteContext context) {
    Interpreter sub = handles.interpreter();
    long count = context.tensors_size();
    TfLiteTensor base = context.tensors();
    for (int i = 0; i < mainInputs.length; i++) {
      if (copy(at(base, count, mainInputs[i]), sub.tensor(sub.inputs().get(i))) != null) {
        return false;
      }
    }
    if (sub.Invoke() != kTfLiteOk) {
      return false;
    }
    for (int i = 0; i < mainOutputs.length; i++) {
      if (copy(sub.tensor(sub.outputs().get(i)), at(base, count, mainOutputs[i])) != null) {
        return false;
      }
    }
    return true;
  }

  private static TfLiteTensor at(TfLiteTensor base, long count, int index) {
    return index < 0 || index >= count ? null : base.getPointer(index);
  }

  /**
   * Same shape and byte count on both sides or nothing is copied (a resized input the one-op model was not built for:
   * the same bytes in another shape would be computed as the old one; NativeSafety refuses the files that reshape a
   * served node's input at run time, this is the last guard).
   *
   * @return null once copied, else why nothing was (package-private for its test)
   */
  static String copy(TfLiteTensor from, TfLiteTensor to) {
    if (from == null || to == null) {
      return "no tensor to copy " + (from == null ? "from" : "to");
    }
    int[] fromShape = NativeTensors.dimsOf(from, "from");
    int[] toShape = NativeTensors.dimsOf(to, "to");
    if (from.bytes() != to.bytes() || from.bytes() <= 0 || !Arrays.equals(fromShape, toShape)) {
      return "shape " + Arrays.toString(fromShape) + " (" + from.bytes() + " bytes) is not the "
          + Arrays.toString(toShape) + " (" + to.bytes() + " bytes) it is copied into";
    }
    BytePointer src = from.data().raw();
    BytePointer dst = to.data().raw();
    if (src == null || src.isNull() || dst == null || dst.isNull()) {
      return "no data to copy";
    }
    Pointer.memcpy(dst, src, from.bytes());
    return null;
  }

  @Override
  public void close() {
    handles.close();
  }
}
