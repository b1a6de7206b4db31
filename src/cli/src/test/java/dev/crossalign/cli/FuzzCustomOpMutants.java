package dev.crossalign.cli;

import dev.crossalign.testutil.TfliteFields;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.Operator;
import dev.crossalign.tflite.Subgraph;
import dev.crossalign.tflite.TfliteModel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Mutants aimed at MediaPipe's custom op Convolution2DTransposeBias (selfie segmentation), the op TFLite runs only in
 * its XNNPACK delegate ({@code backend/tflite/DelegateBackedKernels}): its custom_options (padding, strides, their
 * length), its custom code name, its input count and indices, and the shapes and types of its input, weights (and the
 * fp16 constant a DEQUANTIZE makes them from), bias and output, dims permuted included (same element count, so the
 * buffer still fits). Each reproducible from (seed, case number), in place on the file's bytes.
 */
final class FuzzCustomOpMutants {
  private FuzzCustomOpMutants() {}

  enum Kind { OPTION_VALUE, OPTION_LENGTH, CODE_NAME, INPUT_COUNT, INPUT_INDEX, INPUT_SHAPE, WEIGHTS_SHAPE, BIAS_SHAPE,
    OUTPUT_SHAPE, DIMS_PERMUTED, TENSOR_TYPE }

  /** A model's custom ops, found once per base. */
  record Base(byte[] bytes, TfliteFields fields, Subgraph graph, List<Operator> customOps) {
    static Base of(byte[] bytes) {
      TfliteModel m = TfliteModel.read(bytes, "base");
      List<Operator> custom = m.main().operators().stream().filter(Operator::isCustom).toList();
      if (custom.isEmpty()) {
        throw new IllegalArgumentException("a base without custom ops");
      }
      return new Base(bytes, TfliteFields.of(bytes), m.main(), custom);
    }
  }

  static FuzzMutants.Mutant mutate(Base base, long seed, int caseNo) {
    SplittableRandom rnd = new SplittableRandom(seed * 1_000_039L + caseNo);
    Kind kind = Kind.values()[caseNo % Kind.values().length];
    byte[] b = base.bytes().clone();
    ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    Operator op = base.customOps().get(rnd.nextInt(base.customOps().size()));
    TfliteFields f = base.fields();
    switch (kind) {
      case OPTION_VALUE -> {
        int v = pos(f, TfliteFields.Kind.CUSTOM_OPTIONS, op.index());
        int len = bb.getInt(v);
        if (len >= 4) {
          bb.putInt(v + 4 + 4 * rnd.nextInt(Math.min(3, len / 4)), wild(rnd));
        }
      }
      case OPTION_LENGTH -> {
        int[] lengths = {0, 4, 8, 11, 13, 16, 64, 4096, Integer.MAX_VALUE, -1};
        bb.putInt(pos(f, TfliteFields.Kind.CUSTOM_OPTIONS, op.index()), lengths[rnd.nextInt(lengths.length)]);
      }
      case CODE_NAME -> codeName(b, bb, f, rnd);
      case INPUT_COUNT -> bb.putInt(inputPos(f, op.index(), 0) - 4, rnd.nextInt(6));
      case INPUT_INDEX -> bb.putInt(inputPos(f, op.index(), rnd.nextInt(op.inputs().length)), switch (rnd.nextInt(4)) {
        case 0 -> -1;
        case 1 -> f.tensorCount() + rnd.nextInt(3);
        default -> rnd.nextInt(f.tensorCount());
      });
      case INPUT_SHAPE -> dim(bb, f, op.inputs()[0], rnd);
      case WEIGHTS_SHAPE -> dim(bb, f, source(base.graph(), op.inputs()[1], rnd), rnd);
      case BIAS_SHAPE -> dim(bb, f, source(base.graph(), op.inputs()[2], rnd), rnd);
      case OUTPUT_SHAPE -> dim(bb, f, op.outputs()[0], rnd);
      case DIMS_PERMUTED -> {
        int[] slots = {op.inputs()[0], source(base.graph(), op.inputs()[1], rnd), op.outputs()[0]};
        int at = f.shapeAt(slots[rnd.nextInt(slots.length)]);
        int n = at < 0 ? 0 : bb.getInt(at);
        if (n >= 2) {
          int i = rnd.nextInt(n);
          int j = (i + 1 + rnd.nextInt(n - 1)) % n;
          int di = bb.getInt(at + 4 + 4 * i);
          bb.putInt(at + 4 + 4 * i, bb.getInt(at + 4 + 4 * j));
          bb.putInt(at + 4 + 4 * j, di);
        }
      }
      case TENSOR_TYPE -> {
        int[] all = {op.inputs()[0], op.inputs()[1], op.inputs()[2], op.outputs()[0]};
        int at = f.typeAt(all[rnd.nextInt(all.length)]);
        if (at >= 0) {
          b[at] = (byte) rnd.nextInt(19);
        } else {
          dim(bb, f, all[rnd.nextInt(all.length)], rnd); // FLOAT32 is the default: no type byte to rewrite
        }
      }
      default -> throw new AssertionError(kind);
    }
    return new FuzzMutants.Mutant("deconv." + kind.name().toLowerCase(), b);
  }

  /** The custom code string renamed in place: another MediaPipe op, one letter changed, a NUL, a byte not ASCII. */
  private static void codeName(byte[] b, ByteBuffer bb, TfliteFields f, SplittableRandom rnd) {
    List<TfliteFields.Field> codes = f.of(TfliteFields.Kind.CUSTOM_CODE);
    int at = codes.get(rnd.nextInt(codes.size())).pos();
    int len = bb.getInt(at);
    switch (rnd.nextInt(5)) {
      case 0 -> {
        byte[] other = (rnd.nextBoolean() ? "MaxPoolingWithArgmax2D" : "MaxUnpooling2D").getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(other, 0, b, at + 4, Math.min(len, other.length));
        bb.putInt(at, Math.min(len, other.length));
      }
      case 1 -> b[at + 4 + rnd.nextInt(len)] ^= 0x20; // the case of one letter
      case 2 -> b[at + 4 + rnd.nextInt(len)] = 0;
      case 3 -> b[at + 4 + rnd.nextInt(len)] = (byte) (0x80 + rnd.nextInt(0x80));
      default -> bb.putInt(at, rnd.nextInt(len)); // a prefix of the name
    }
  }

  /** One dim of a tensor's shape, or its rank, set to a hostile value. */
  private static void dim(ByteBuffer bb, TfliteFields f, int tensor, SplittableRandom rnd) {
    int at = f.shapeAt(tensor);
    int n = at < 0 ? 0 : bb.getInt(at);
    if (n == 0) {
      return;
    }
    if (rnd.nextInt(6) == 0) {
      bb.putInt(at, rnd.nextInt(n)); // a lower rank: the first dims only
      return;
    }
    int[] values = {0, 1, -1, 2, 3, 4096, 1 << 20, Integer.MAX_VALUE, rnd.nextInt(2, 64), rnd.nextInt()};
    bb.putInt(at + 4 + 4 * rnd.nextInt(n), values[rnd.nextInt(values.length)]);
  }

  /** The tensor, or half the time the fp16 constant a DEQUANTIZE makes it from. */
  private static int source(Subgraph g, int tensor, SplittableRandom rnd) {
    if (rnd.nextBoolean()) {
      for (Operator o : g.operators()) {
        if (o.builtin() == BuiltinOp.DEQUANTIZE && o.outputs().length == 1 && o.outputs()[0] == tensor) {
          return o.inputs()[0];
        }
      }
    }
    return tensor;
  }

  private static int wild(SplittableRandom rnd) {
    int[] values = {0, 1, 2, 3, -1, -2, 1 << 16, (1 << 16) + 1, Integer.MAX_VALUE, Integer.MIN_VALUE, rnd.nextInt()};
    return values[rnd.nextInt(values.length)];
  }

  private static int pos(TfliteFields f, TfliteFields.Kind kind, int op) {
    List<TfliteFields.Field> xs = new ArrayList<>();
    for (TfliteFields.Field x : f.of(kind)) {
      if (x.op() == op) {
        xs.add(x);
      }
    }
    return xs.get(0).pos();
  }

  private static int inputPos(TfliteFields f, int op, int slot) {
    for (TfliteFields.Field x : f.of(TfliteFields.Kind.OP_INPUT)) {
      if (x.op() == op && x.slot() == slot) {
        return x.pos();
      }
    }
    throw new IllegalStateException("op " + op + " has no input " + slot);
  }
}
