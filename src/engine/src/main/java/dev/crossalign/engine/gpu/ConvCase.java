package dev.crossalign.engine.gpu;

import dev.crossalign.CrossalignException;
import dev.crossalign.backend.cudnn.ConvGeometry;
import dev.crossalign.backend.cudnn.HostLayouts;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Npz;
import dev.crossalign.tflite.Activation;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * One bundled conv with its data, ready for cuDNN: the input activation TFLite fed it, the filter in cuDNN's KCRS
 * order, the bias, and TFLite's output. Read from the bundle's npz files only (no TFLite here), so the cuDNN leg runs
 * with a class path that has no TFLite jar.
 */
public record ConvCase(
    String model,
    ConvSpec spec,
    ConvGeometry geometry,
    Activation activation,
    float[] inputNhwc,
    float[] filterKcrs,
    float[] bias,
    float[] referenceNhwc) {

  /** Every conv of one bundled model. */
  public static List<ConvCase> load(Path modelDir, BundleManifest m) {
    Map<String, HostTensor> ref = Npz.read(modelDir.resolve(BundleManifest.REFERENCE));
    Map<String, HostTensor> weights = Npz.read(modelDir.resolve(BundleManifest.WEIGHTS));
    List<ConvCase> out = new ArrayList<>();
    for (ConvSpec s : m.convs()) {
      ConvGeometry g = s.geometry();
      HostTensor x = need(ref, s.input(), s, BundleManifest.REFERENCE, new int[] {g.n(), g.inH(), g.inW(), g.inC()});
      HostTensor y = need(ref, s.output(), s, BundleManifest.REFERENCE,
          new int[] {g.n(), s.outH(), s.outW(), g.outC()});
      float[] kcrs;
      if (g.kind() == ConvGeometry.Kind.CONV) {
        HostTensor w = need(weights, s.filter(), s, BundleManifest.WEIGHTS, new int[] {g.outC(), g.kh(), g.kw(), g.inC()});
        kcrs = HostLayouts.convFilterToKcrs(w.toFloatArray(), g.outC(), g.kh(), g.kw(), g.inC());
      } else {
        HostTensor w = need(weights, s.filter(), s, BundleManifest.WEIGHTS, new int[] {1, g.kh(), g.kw(), g.outC()});
        kcrs = HostLayouts.depthwiseFilterToKcrs(w.toFloatArray(), g.kh(), g.kw(), g.outC());
      }
      float[] bias = s.bias() == null
          ? new float[g.outC()]
          : need(weights, s.bias(), s, BundleManifest.WEIGHTS, new int[] {g.outC()}).toFloatArray();
      out.add(new ConvCase(m.name(), s, g, s.fusedActivation(), x.toFloatArray(), kcrs, bias, y.toFloatArray()));
    }
    return List.copyOf(out);
  }

  private static HostTensor need(Map<String, HostTensor> arrays, String name, ConvSpec s, String file, int[] shape) {
    HostTensor t = arrays.get(name);
    if (t == null) {
      throw CrossalignException.input(file + " has no tensor '" + name + "' for conv #" + s.operator());
    }
    if (t.dtype() != DType.FLOAT32 || !Arrays.equals(t.shape(), shape)) {
      throw CrossalignException.input(file + ": tensor '" + name + "' of conv #" + s.operator() + " is " + t.dtype()
          + " " + Arrays.toString(t.shape()) + ", expected FLOAT32 " + Arrays.toString(shape));
    }
    return t;
  }

  /** A short label: model, op, operator index, output tensor. */
  public String label() {
    return model + " " + spec.op() + " #" + spec.operator() + " " + spec.output();
  }
}
