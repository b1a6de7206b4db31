package dev.crossalign.engine.compare;

import dev.crossalign.CrossalignException;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Seeded inputs for declared input specs, drawn exactly as {@link dev.crossalign.engine.InputGenerator} draws them
 * for a TFLite model (one split stream per input, in order; floats uniform in [low, high), int32 in [0, max(1,
 * high))), so an ONNX model with the same inputs gets the same numbers. A dynamic axis (-1) becomes 1.
 */
final class SeededInputs {
  private SeededInputs() {}

  /** Inputs for {@code model} (its label, named in refusals): the user's where given, else seeded. */
  static Map<String, HostTensor> generate(String model,
      List<InputSpec> specs, long seed, double low, double high, Map<String, HostTensor> given) {
    Map<String, HostTensor> out = new LinkedHashMap<>();
    SplittableRandom root = new SplittableRandom(seed);
    for (InputSpec s : specs) {
      SplittableRandom rnd = root.split();
      int[] shape = Arrays.stream(s.shape()).map(d -> d < 0 ? 1 : d).toArray();
      HostTensor user = given.get(s.name());
      if (user != null) {
        if (!fits(s.shape(), user.shape())) {
          throw CrossalignException.input("--input " + s.name() + ": shape " + Arrays.toString(user.shape())
              + " does not match the model's " + Arrays.toString(s.shape()) + " (-1 = any)");
        }
        out.put(s.name(), (user.dtype() == DType.FLOAT64 && s.dtype() == DType.FLOAT32 ? user.toFloat32() : user)
            .withLayout(s.layout()));
        continue;
      }
      if (s.dtype() == null) {
        throw CrossalignException.unsupported(
            "model " + model + ": input '" + s.name() + "' has no declared type: give it with --input");
      }
      int n = Math.toIntExact(HostTensor.numel(shape));
      switch (s.dtype()) {
        case FLOAT32 -> {
          float[] v = new float[n];
          for (int i = 0; i < n; i++) {
            v[i] = (float) (low + (high - low) * rnd.nextDouble());
          }
          out.put(s.name(), HostTensor.ofFloats(shape, s.layout(), v));
        }
        case INT32 -> {
          int[] v = new int[n];
          for (int i = 0; i < n; i++) {
            v[i] = rnd.nextInt(Math.max(1, (int) Math.max(1, high)));
          }
          out.put(s.name(), HostTensor.ofInts(shape, s.layout(), v));
        }
        case INT64 -> {
          long[] v = new long[n];
          for (int i = 0; i < n; i++) {
            v[i] = rnd.nextInt(Math.max(1, (int) Math.max(1, high)));
          }
          out.put(s.name(), HostTensor.ofLongs(shape, s.layout(), v));
        }
        default -> throw CrossalignException.unsupported(
            "model " + model + ": input '" + s.name() + "' of type " + s.dtype()
                + ": give it with --input NAME=FILE.npy");
      }
    }
    return out;
  }

  static boolean fits(int[] declared, int[] actual) {
    if (declared.length != actual.length) {
      return false;
    }
    for (int i = 0; i < declared.length; i++) {
      if (declared[i] >= 0 && declared[i] != actual[i]) {
        return false;
      }
    }
    return true;
  }
}
