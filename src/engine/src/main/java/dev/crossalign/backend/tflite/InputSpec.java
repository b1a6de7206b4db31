package dev.crossalign.backend.tflite;

import dev.crossalign.CrossalignException;
import dev.crossalign.tensor.DType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.tensorflowlite.Interpreter;
import org.bytedeco.tensorflowlite.TfLiteIntArray;
import org.bytedeco.tensorflowlite.TfLiteTensor;

/**
 * What a graph input expects.
 *
 * @param name its capture name
 * @param tensorIndex its TFLite tensor index
 * @param dtype the dtype a given tensor must have
 * @param shapeSignature -1 on the axes that may be resized (empty when the model gives no signature)
 */
record InputSpec(String name, int tensorIndex, DType dtype, int[] shapeSignature) {

  /** The graph inputs of an interpreter, in the model's order; UNSUPPORTED for an input of an unmapped type. */
  // "try": PointerScope is opened for its side effect (it frees every native temporary created inside), never read.
  @SuppressWarnings("try")
  static List<InputSpec> read(Interpreter interp, int nTensors, String[] names, String label) {
    List<InputSpec> specs = new ArrayList<>();
    try (PointerScope scope = new PointerScope()) {
      for (int idx : NativeTensors.readIndices(interp.inputs(), nTensors, label, "input")) {
        TfLiteTensor t = interp.tensor(idx);
        DType dt = NativeTensors.dtypeOf(t.type());
        if (dt == null) {
          throw CrossalignException.unsupported(
              "input '" + names[idx] + "' of model " + label + " has TFLite type " + t.type()
                  + ", which crossalign does not map");
        }
        TfLiteIntArray sig = t.dims_signature();
        int[] signature = sig == null || sig.isNull() ? new int[0] : NativeTensors.intArray(sig);
        specs.add(new InputSpec(names[idx], idx, dt, signature));
      }
    }
    return specs;
  }

  /** INPUT unless {@code given} differs from {@code current} only on axes the signature marks resizable. */
  void checkResizable(int[] current, int[] given, String label) {
    String where = "input '" + name + "' of model " + label;
    if (given.length != current.length) {
      throw CrossalignException.input(
          where + " has rank " + current.length + " " + Arrays.toString(current) + ", got rank " + given.length
              + " " + Arrays.toString(given));
    }
    int[] sig = shapeSignature;
    for (int a = 0; a < given.length; a++) {
      if (given[a] != current[a] && (sig.length != given.length || sig[a] != -1)) {
        throw CrossalignException.input(
            where + " expects shape " + Arrays.toString(current) + " (signature "
                + (sig.length == 0 ? "fixed" : Arrays.toString(sig)) + "), got " + Arrays.toString(given)
                + ": axis " + a + " is not resizable");
      }
    }
  }
}
