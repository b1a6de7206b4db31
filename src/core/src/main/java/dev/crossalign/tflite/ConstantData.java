package dev.crossalign.tflite;

import dev.crossalign.CrossalignException;
import java.util.Arrays;
import java.util.List;

/**
 * What every tensor's type and every constant's buffer must be, checked when the model is read (so validate, compare,
 * bench, convert and inspect refuse alike, exit 2, before any backend or exporter). TFLite's interpreter builder
 * refuses a tensor whose type code it does not know and a constant whose buffer is shorter than its shape needs
 * ("could not build an interpreter"); the port, its PyTorch code and the ONNX export read each constant as exactly its
 * shape's bytes ({@link TfliteModel#constant}), and refused the same files as an op they could not convert (exit 3).
 * So a dense constant of a fixed-width type must have exactly the bytes its shape needs. Sparse constants (their
 * buffer holds the compressed values, read through DENSIFY) and types without a fixed width are not sized here.
 */
final class ConstantData {
  private ConstantData() {}

  /**
   * Refuses the first tensor, in any subgraph, of a type code TFLite does not know, or a constant whose buffer does not
   * hold exactly the bytes of its shape and type.
   *
   * @throws CrossalignException INPUT naming the model and the tensor
   */
  static void check(TfliteModel model) {
    List<Subgraph> subgraphs = model.subgraphs();
    for (int s = 0; s < subgraphs.size(); s++) {
      String sub = s == 0 ? "" : "subgraph " + s + " ";
      for (TensorInfo t : subgraphs.get(s).tensors()) {
        String v = violation(model, t);
        if (v != null) {
          throw CrossalignException.input("model " + model.label() + ": " + sub + "tensor " + t.index() + " '"
              + OpInputChecks.printable(t.name()) + "' " + v);
        }
      }
    }
  }

  private static String violation(TfliteModel model, TensorInfo t) {
    if (t.type() == null) {
      return "has type code " + t.typeCode() + ", which is no TFLite type";
    }
    if (!model.isConstant(t) || t.sparsity() != null || t.type().dtype() == null) {
      return null;
    }
    long have = model.buffers().get(t.buffer()).length();
    long need = t.type().dtype().byteSize();
    for (int d : t.shape()) {
      if (d < 0) {
        return "is a constant of shape " + Arrays.toString(t.shape()) + " (a negative dimension) with a buffer of "
            + have + " bytes";
      }
      need = need > Long.MAX_VALUE / Math.max(d, 1) ? Long.MAX_VALUE : need * d;
    }
    return have == need ? null
        : "has a constant buffer of " + have + " bytes, its shape " + Arrays.toString(t.shape()) + " of "
            + t.type().name() + " needs " + need;
  }
}
