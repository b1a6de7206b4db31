package dev.crossalign.port.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.backend.Activations;
import dev.crossalign.backend.onnx.OrtBackend;
import dev.crossalign.backend.onnx.OrtOptions;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.testutil.PortHarness;
import dev.crossalign.tflite.TensorInfo;
import dev.crossalign.tflite.TfliteModel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a TFLite model through the real interpreter (oracle) and its ONNX export through ONNX Runtime on the same
 * seeded inputs, and compares every ONNX tensor that stands for a TFLite tensor (permuted back from NCHW where the
 * model metadata says so).
 */
final class ExportHarness {
  private ExportHarness() {}

  /** One compared tensor. */
  record Diff(String name, boolean graphOutput, double maxAbs, double relL2, long numel) {}

  record Result(Export export, List<Diff> diffs) {
    Diff worst() {
      return diffs.stream().max((a, b) -> Double.compare(a.maxAbs, b.maxAbs)).orElseThrow();
    }

    List<Diff> outputs() {
      return diffs.stream().filter(Diff::graphOutput).toList();
    }
  }

  static Result run(byte[] tflite, long seed, double lo, double hi) {
    TfliteModel model = TfliteModel.read(tflite, "test.tflite");
    Export ex = Exporter.export(model, ExportOptions.DEFAULT);
    Map<Integer, HostTensor> inputs = PortHarness.randomInputs(model, seed, lo, hi);
    Map<Integer, HostTensor> ref = PortHarness.reference(tflite, inputs); // custom ops: the reference backend's kernels
    Map<String, HostTensor> feeds = new LinkedHashMap<>();
    for (int idx : model.main().inputs()) {
      feeds.put(model.main().tensor(idx).name(), inputs.get(idx));
    }
    Activations act;
    try (OrtBackend ort = OrtBackend.open(ex.model(), OrtOptions.DEFAULT)) {
      act = ort.run(feeds);
    }
    Map<String, Integer> byName = new HashMap<>();
    for (TensorInfo t : model.main().tensors()) {
      byName.putIfAbsent(t.name(), t.index());
    }
    List<Integer> outs = new ArrayList<>();
    for (int o : model.main().outputs()) {
      outs.add(o);
    }
    List<Diff> diffs = new ArrayList<>();
    for (Map.Entry<String, String> e : ex.onnxToTflite().entrySet()) {
      Integer idx = byName.get(e.getValue());
      assertThat(idx).as("TFLite tensor %s", e.getValue()).isNotNull();
      HostTensor want = ref.get(idx);
      if (want == null || !act.contains(e.getKey())) {
        continue;
      }
      HostTensor got = act.tensor(e.getKey());
      Layout l = ex.model().layoutOf(e.getKey(), got.rank());
      if (l == Layout.NCHW) {
        got = got.permute(OnnxOp.TO_NHWC, Layout.NHWC);
      }
      assertThat(got.shape()).as("shape of %s", e.getKey()).containsExactly(want.shape());
      assertThat(got.dtype()).as("dtype of %s", e.getKey()).isEqualTo(want.dtype());
      double maxAbs = 0;
      double num = 0;
      double den = 0;
      for (long i = 0; i < want.numel(); i++) {
        double a = want.getDouble(i);
        double b = got.getDouble(i);
        double d = Math.abs(a - b);
        if (Double.isNaN(d)) {
          d = Double.isNaN(a) && Double.isNaN(b) ? 0 : Double.POSITIVE_INFINITY;
        }
        maxAbs = Math.max(maxAbs, d);
        num += (a - b) * (a - b);
        den += a * a;
      }
      double rel = Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
      diffs.add(new Diff(e.getKey(), outs.contains(idx), maxAbs, rel, want.numel()));
    }
    assertThat(diffs).as("compared tensors").isNotEmpty();
    return new Result(ex, diffs);
  }
}
