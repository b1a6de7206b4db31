package dev.crossalign.engine.gpu;

import dev.crossalign.align.Metrics;
import dev.crossalign.align.Tolerance;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.Backend;
import dev.crossalign.backend.cudnn.ConvEpilogue;
import dev.crossalign.backend.tflite.TfliteBackend;
import dev.crossalign.engine.Reference;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Npz;
import dev.crossalign.tflite.TfliteModel;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The GPU check's CPU leg, run on the GPU machine by the bundled JRE: TFLite again on the bundled inputs, every
 * captured tensor against the bundled reference (was the reference reproduced on this CPU, bitwise or within
 * tolerance?), and every conv's TFLite output against a float64 host convolution fed exactly what cuDNN will be fed
 * (are the bundle's layouts and TF padding right?).
 */
public final class CpuLeg {
  private CpuLeg() {}

  /** A float32 rel_l2 that a re-run of the same float32 kernels on another CPU stays under. */
  public static final double RERUN_REL_L2 = 1e-5;

  /** TFLite's float32 conv against the float64 truth: rel_l2 above this means the bundle data is wrong. */
  public static final double TRUTH_REL_L2 = 1e-4;

  public record TensorCheck(String name, boolean bitwise, double maxAbs, double relL2) {}

  public record ConvTruth(int operator, String op, String output, String geometry, double maxAbs, double relL2) {}

  public record ModelResult(
      String model,
      String bundledTfliteVersion,
      int tensors,
      int bitwiseEqual,
      int missing,
      String worstTensor,
      double worstRelL2,
      double worstMaxAbs,
      double worstConvVsFloat64RelL2,
      boolean pass,
      double runMs,
      List<ConvTruth> convs,
      List<TensorCheck> notBitwise) {}

  public record Report(
      String leg, String java, String os, String cpu, String tfliteVersion, boolean pass, List<ModelResult> models) {

    public List<String> lines() {
      List<String> out = new ArrayList<>();
      for (ModelResult m : models) {
        out.add(String.format(Locale.ROOT,
            "cpu: %s: TFLite %s re-run, %d/%d tensors bitwise equal to the bundled reference, worst rel_l2 %.3g (%s);"
                + " convs vs float64 worst rel_l2 %.3g: %s",
            m.model(), tfliteVersion, m.bitwiseEqual(), m.tensors(), m.worstRelL2(), m.worstTensor(),
            m.worstConvVsFloat64RelL2(), m.pass() ? "ok" : "FAILED"));
      }
      out.add("cpu: " + models.stream().filter(ModelResult::pass).count() + " of " + models.size()
          + " models reproduced (TFLite " + tfliteVersion + ", " + cpu + ")");
      return out;
    }
  }

  public static Report run(Path bundle, boolean truth) {
    List<ModelResult> models = new ArrayList<>();
    String version = TfliteBackend.tfliteVersion();
    for (Path dir : BundleManifest.modelDirs(bundle)) {
      models.add(model(dir, BundleManifest.read(dir), truth));
    }
    boolean pass = models.stream().allMatch(ModelResult::pass);
    return new Report("cpu", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"),
        System.getProperty("os.name") + " " + System.getProperty("os.arch"), Machine.cpuName(), version, pass,
        List.copyOf(models));
  }

  private static ModelResult model(Path dir, BundleManifest m, boolean truth) {
    TfliteModel model = TfliteModel.read(dir.resolve(BundleManifest.MODEL));
    Map<String, HostTensor> inputs = Npz.read(dir.resolve(BundleManifest.INPUTS));
    Map<String, HostTensor> reference = Npz.read(dir.resolve(BundleManifest.REFERENCE));
    Activations run;
    long t0 = System.nanoTime();
    try (Backend ref = Reference.exact(model, 1)) {
      run = ref.run(inputs);
    }
    double runMs = (System.nanoTime() - t0) / 1e6;
    int bitwise = 0;
    int missing = 0;
    int compared = 0;
    String worst = "-";
    double worstRel = 0;
    double worstAbs = 0;
    List<TensorCheck> notBitwise = new ArrayList<>();
    for (Map.Entry<String, HostTensor> e : reference.entrySet()) {
      if (!run.contains(e.getKey())) {
        missing++;
        continue;
      }
      HostTensor got = run.tensor(e.getKey());
      compared++;
      if (sameBytes(e.getValue(), got)) {
        bitwise++;
        continue;
      }
      Metrics mt = Metrics.of(e.getValue(), got, Tolerance.DEFAULT);
      notBitwise.add(new TensorCheck(e.getKey(), false, mt.maxAbs(), mt.relL2()));
      if (!(mt.relL2() <= worstRel)) {
        worstRel = mt.relL2();
        worstAbs = mt.maxAbs();
        worst = e.getKey();
      }
    }
    List<ConvTruth> convs = new ArrayList<>();
    double worstTruth = 0;
    if (truth) {
      for (ConvCase c : ConvCase.load(dir, m)) {
        float[] t = ConvEpilogue.float64Truth(c.geometry(), c.geometry().plan(), c.inputNhwc(), c.filterKcrs(),
            c.bias(), c.activation());
        Errors err = Errors.of(t, c.referenceNhwc());
        convs.add(new ConvTruth(c.spec().operator(), c.spec().op(), c.spec().output(), c.geometry().toString(),
            err.maxAbs(), err.relL2()));
        if (!(err.relL2() <= worstTruth)) {
          worstTruth = err.relL2();
        }
      }
    }
    boolean pass = missing == 0 && worstRel <= RERUN_REL_L2 && worstTruth <= TRUTH_REL_L2;
    return new ModelResult(m.name(), m.tfliteVersion(), compared, bitwise, missing, worst, worstRel, worstAbs,
        worstTruth, pass, runMs, List.copyOf(convs), List.copyOf(notBitwise));
  }

  private static boolean sameBytes(HostTensor a, HostTensor b) {
    if (a.dtype() != b.dtype() || !java.util.Arrays.equals(a.shape(), b.shape())) {
      return false;
    }
    ByteBuffer x = a.data();
    ByteBuffer y = b.data();
    return x.equals(y);
  }
}
