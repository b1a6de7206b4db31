package dev.crossalign.tflite;

import dev.crossalign.CrossalignException;
import java.util.Arrays;
import java.util.List;

/**
 * The size every tensor of a model may have, checked when the model is read (so validate, compare, bench, convert and
 * inspect refuse alike, before any backend runs): at most {@link #MAX_BYTES}, what one host tensor holds. A real
 * model's largest tensor is megabytes; a mutated or hostile shape can make a backend compute gigabytes for minutes
 * before the host copy fails (release fuzz case t941: 130 s of TorchScript for a 2 GiB port tensor).
 *
 * <p>Checked: the shape each tensor declares, and the output shape that the ops which size their output from their
 * inputs' shapes and constant values (convolutions, PAD, TILE, BROADCAST_TO, FILL, RESIZE, TRANSPOSE_CONV, ONE_HOT,
 * STRIDED_SLICE, SLICE, broadcasting binary ops, CONCATENATION) derive from their declared inputs, as TFLite's Prepare and the port do,
 * whatever output shape the file declares. One growth step per op: a chain of ops each growing a tensor whose
 * declared shape understates it is bounded by the next op's own check only as far as its inputs' declared shapes go.
 *
 * <p>Inputs TFLite's Prepare refuses ({@link PrepareRefusals}) are refused. Where the derivation is exact
 * ({@link DerivedShapes#exact}), the declared output shape must be it: TFLite
 * resizes such an output when it runs, but the port, its generated PyTorch code and the ONNX export take the declared
 * shapes, and a file whose declared shape lies was compared as MISALIGNED (a fuzzed PAD adding 3 to the batch: the
 * port's STRIDED_SLICE after it kept batch 4 where TFLite's sliced to 1).
 */
public final class TensorSizes {
  private TensorSizes() {}

  /** The most bytes one tensor may hold: a host tensor is one Java array (2 GiB less the VM's array header). */
  public static final long MAX_BYTES = Integer.MAX_VALUE - 8L;

  /**
   * Refuses the model's first tensor, declared or derived, of more than {@link #MAX_BYTES} bytes.
   *
   * @throws CrossalignException INPUT naming the model, the tensor and the op that makes it
   */
  public static void check(TfliteModel model) {
    List<Subgraph> subgraphs = model.subgraphs();
    for (int s = 0; s < subgraphs.size(); s++) {
      Subgraph g = subgraphs.get(s);
      String sub = s == 0 ? "" : "subgraph " + s + " ";
      int[] producer = new int[g.tensors().size()];
      Arrays.fill(producer, -1);
      for (Operator op : g.operators()) {
        for (int o : op.outputs()) {
          if (o >= 0 && o < producer.length) {
            producer[o] = op.index();
          }
        }
      }
      for (TensorInfo t : g.tensors()) {
        long bytes = bytes(t.shape(), t);
        if (bytes > MAX_BYTES) {
          String by = producer[t.index()] >= 0 ? ", output of " + sub + "op #" + producer[t.index()] + " "
              + g.operators().get(producer[t.index()]).opName() : "";
          throw CrossalignException.input("model " + model.label() + ": " + sub + "tensor " + t.index() + " '"
              + OpInputChecks.printable(t.name()) + "'" + by + " declares shape " + Arrays.toString(t.shape())
              + " of " + typeName(t)
              + ": " + bytes + " bytes, more than the " + MAX_BYTES + " one tensor may hold");
        }
      }
      for (Operator op : g.operators()) {
        if (op.builtin() == null || op.outputs().length == 0 || op.outputs()[0] < 0) {
          continue;
        }
        long[] shape = DerivedShapes.of(model, g, op);
        TensorInfo out = g.tensor(op.outputs()[0]);
        long bytes = shape == null ? 0 : bytes(shape, out);
        if (bytes > MAX_BYTES) {
          throw CrossalignException.input("model " + model.label() + ": " + sub + "op #" + op.index() + " "
              + op.opName() + " output 0 '" + OpInputChecks.printable(out.name()) + "' would have shape "
              + Arrays.toString(shape)
              + " of " + typeName(out) + " (the file declares " + Arrays.toString(out.shape()) + "): " + bytes
              + " bytes, more than the " + MAX_BYTES + " one tensor may hold");
        }
        String refusal = PrepareRefusals.of(model, g, op);
        if (refusal != null) {
          throw CrossalignException.input("model " + model.label() + ": " + sub + "op #" + op.index() + " "
              + op.opName() + " " + refusal);
        }
        long[] exact = DerivedShapes.exact(model, g, op);
        if (exact != null && out.shape().length > 0
            && !Arrays.equals(exact, Arrays.stream(out.shape()).asLongStream().toArray())) {
          throw CrossalignException.input("model " + model.label() + ": " + sub + "op #" + op.index() + " "
              + op.opName() + " output 0 '" + OpInputChecks.printable(out.name()) + "' is declared "
              + Arrays.toString(out.shape())
              + ", its inputs make " + Arrays.toString(exact) + " (TFLite resizes it when it runs; the port, its"
              + " PyTorch code and ONNX export take the declared shapes)");
        }
      }
    }
  }

  /** Bytes of a tensor of this shape and t's type, saturating at Long.MAX_VALUE instead of overflowing. */
  static long bytes(long[] shape, TensorInfo t) {
    long n = elementBytes(t);
    for (long d : shape) {
      if (d < 0) {
        return 0; // unknown (other checks refuse negative dimensions)
      }
      n = d == 0 ? 0 : n > Long.MAX_VALUE / d ? Long.MAX_VALUE : n * d;
    }
    return n;
  }

  private static long bytes(int[] shape, TensorInfo t) {
    return bytes(Arrays.stream(shape).asLongStream().toArray(), t);
  }

  /** Bytes per element; 1 for types without a fixed width (STRING, RESOURCE, VARIANT, INT4). */
  private static long elementBytes(TensorInfo t) {
    if (t.type() == null) {
      return 1;
    }
    if (t.type().dtype() != null) {
      return t.type().dtype().byteSize();
    }
    return switch (t.type()) {
      case COMPLEX128 -> 16;
      case COMPLEX64, UINT64 -> 8;
      case UINT32 -> 4;
      case UINT16, BFLOAT16 -> 2;
      default -> 1;
    };
  }

  private static String typeName(TensorInfo t) {
    return t.type() == null ? "type code " + t.typeCode() : t.type().name();
  }
}
