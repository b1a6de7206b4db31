package dev.crossalign.engine;

import dev.crossalign.CrossalignException;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.Subgraph;
import dev.crossalign.tflite.TensorInfo;
import dev.crossalign.tflite.TfliteModel;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/** Seeded model inputs: uniform in [low, high) for float inputs, user tensors where given (checked against the model). */
public final class InputGenerator {
  private InputGenerator() {}

  public static Map<String, HostTensor> inputs(
      TfliteModel model, long seed, double low, double high, Map<String, HostTensor> given) {
    Subgraph g = model.main();
    Map<String, HostTensor> out = new LinkedHashMap<>();
    for (String name : given.keySet()) {
      boolean known = false;
      for (int idx : g.inputs()) {
        known |= g.tensor(idx).name().equals(name);
      }
      if (!known) {
        throw CrossalignException.input("--input " + name + ": the model has no input of that name; its inputs are "
            + inputNames(g));
      }
    }
    SplittableRandom root = new SplittableRandom(seed);
    for (int idx : g.inputs()) {
      TensorInfo t = g.tensor(idx);
      SplittableRandom rnd = root.split();
      Layout layout = t.shape().length == 4 ? Layout.NHWC : Layout.ANY;
      HostTensor user = given.get(t.name());
      if (user != null) {
        if (!Arrays.equals(user.shape(), t.shape())) {
          String hint = "";
          int[] s = user.shape();
          int[] m = t.shape();
          if (s.length == 4 && m.length == 4 && s[0] == m[0] && s[1] == m[3] && s[2] == m[1] && s[3] == m[2]) {
            hint = " (looks like NCHW data for an NHWC input: transpose it to [0,2,3,1])";
          }
          throw CrossalignException.input("--input " + t.name() + ": shape " + Arrays.toString(s)
              + " does not match the model's " + Arrays.toString(m) + hint);
        }
        out.put(t.name(), user.dtype() == DType.FLOAT64 ? user.toFloat32().withLayout(layout) : user.withLayout(layout));
        continue;
      }
      if (t.type() == null || t.type().dtype() == null) {
        throw CrossalignException.unsupported("model " + model.label() + ": input '" + t.name()
            + "' has a type the engine cannot generate");
      }
      int n = Math.toIntExact(HostTensor.numel(t.shape()));
      switch (t.type().dtype()) {
        case FLOAT32, FLOAT16, FLOAT64 -> {
          float[] v = new float[n];
          for (int i = 0; i < n; i++) {
            v[i] = (float) (low + (high - low) * rnd.nextDouble());
          }
          out.put(t.name(), HostTensor.ofFloats(t.shape(), layout, v));
        }
        case INT32 -> {
          int[] v = new int[n];
          for (int i = 0; i < n; i++) {
            v[i] = rnd.nextInt(Math.max(1, (int) Math.max(1, high)));
          }
          out.put(t.name(), HostTensor.ofInts(t.shape(), layout, v));
        }
        default -> throw CrossalignException.unsupported("model " + model.label() + ": input '" + t.name() + "' of type "
            + t.type() + ": give it with --input NAME=FILE.npy");
      }
    }
    return out;
  }

  static String inputNames(Subgraph g) {
    StringBuilder b = new StringBuilder("[");
    for (int idx : g.inputs()) {
      if (b.length() > 1) {
        b.append(", ");
      }
      b.append(g.tensor(idx).name()).append(Arrays.toString(g.tensor(idx).shape()));
    }
    return b.append(']').toString();
  }
}
