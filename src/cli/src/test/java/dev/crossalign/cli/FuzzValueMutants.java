package dev.crossalign.cli;

import dev.crossalign.testutil.TfliteFields;
import dev.crossalign.tflite.Operator;
import dev.crossalign.tflite.Subgraph;
import dev.crossalign.tflite.TensorInfo;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteModel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Mutants of the values of the small integer constants that ops read as shapes, sizes and axes (RESHAPE's shape, PAD's
 * paddings, RESIZE's size, TRANSPOSE's perm, a reduction's axis, STRIDED_SLICE's begin/end/strides...): the other
 * mutators change where a buffer is and how long, never what it holds. Each kernel, the port's lowerings and the
 * ONNX export read these values; a size bound ({@code tflite.TensorSizes}) and each op's own checks must refuse what
 * they cannot run. Each mutant reproducible from (seed, case number); the kind names the op that reads the constant.
 */
final class FuzzValueMutants {
  private FuzzValueMutants() {}

  /** A constant an op reads: where its int32/int64 elements start, how many, how wide, and the op's name. */
  record Target(String op, int dataPos, int count, int width) {}

  /** A base model's targets, found once. */
  record Base(byte[] bytes, List<Target> targets) {
    static Base of(byte[] bytes) {
      TfliteModel m = TfliteModel.read(bytes, "base");
      Map<Integer, Integer> dataPosOfBuffer = new HashMap<>();
      for (TfliteFields.Field f : TfliteFields.of(bytes).of(TfliteFields.Kind.BUFFER_DATA_LEN)) {
        dataPosOfBuffer.put(f.op(), f.pos() + 4);
      }
      Subgraph g = m.main();
      List<Target> targets = new ArrayList<>();
      for (Operator op : g.operators()) {
        for (int in : op.inputs()) {
          if (in < 0) {
            continue;
          }
          TensorInfo t = g.tensor(in);
          int width = t.type() == TensorType.INT32 ? 4 : t.type() == TensorType.INT64 ? 8 : 0;
          Integer pos = dataPosOfBuffer.get(t.buffer());
          long count = dev.crossalign.tensor.HostTensor.numel(t.shape());
          if (width > 0 && pos != null && m.isConstant(t) && count > 0 && count <= 64) {
            targets.add(new Target(op.opName(), pos, (int) count, width));
          }
        }
      }
      if (targets.isEmpty()) {
        throw new IllegalArgumentException("a base without integer constants");
      }
      return new Base(bytes, List.copyOf(targets));
    }
  }

  static FuzzMutants.Mutant mutate(Base base, long seed, int caseNo) {
    SplittableRandom rnd = new SplittableRandom(seed * 1_000_081L + caseNo);
    Target t = base.targets().get(rnd.nextInt(base.targets().size()));
    byte[] b = base.bytes().clone();
    ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    int changes = rnd.nextInt(4) == 0 ? t.count() : 1; // now and then every element
    for (int k = 0; k < changes; k++) {
      int at = t.dataPos() + t.width() * (changes == 1 ? rnd.nextInt(t.count()) : k);
      long old = t.width() == 4 ? bb.getInt(at) : bb.getLong(at);
      long v = switch (rnd.nextInt(8)) {
        case 0 -> 0;
        case 1 -> -1;
        case 2 -> old + rnd.nextInt(-3, 4);
        case 3 -> old * rnd.nextInt(2, 9);
        case 4 -> 1L << rnd.nextInt(31);
        case 5 -> rnd.nextBoolean() ? Integer.MAX_VALUE : Integer.MIN_VALUE;
        case 6 -> rnd.nextInt(-8, 64);
        default -> t.width() == 8 && rnd.nextBoolean() ? rnd.nextLong() : rnd.nextInt();
      };
      if (t.width() == 4) {
        bb.putInt(at, (int) v);
      } else {
        bb.putLong(at, v);
      }
    }
    return new FuzzMutants.Mutant("values." + t.op().toLowerCase(Locale.ROOT), b);
  }
}
