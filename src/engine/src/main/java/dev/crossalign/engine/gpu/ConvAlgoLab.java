package dev.crossalign.engine.gpu;

import dev.crossalign.CrossalignException;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.backend.cudnn.AlgoPerf;
import dev.crossalign.backend.cudnn.Cudnn;
import dev.crossalign.backend.cudnn.CudnnConv;
import dev.crossalign.backend.cudnn.MathType;
import dev.crossalign.backend.tflite.TfliteBackend;
import dev.crossalign.backend.tflite.TfliteOptions;
import dev.crossalign.engine.Reference;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tflite.NativeSafety;
import dev.crossalign.tflite.TfliteModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The conv-algorithm experiment behind {@code crossalign determinism MODEL --conv-algos}: every float32 conv layer of a
 * model, run directly on cuDNN with every forward algorithm cuDNN offers for it, each compared with TFLite's output of
 * that layer (fed TFLite's own input activation, so errors do not accumulate) and repeated to see whether it is bitwise
 * reproducible.
 */
public final class ConvAlgoLab {
  private ConvAlgoLab() {}

  /**
   * One algorithm on one layer.
   *
   * @param cudnnTimeMs cuDNN's own measurement from cudnnFindConvolutionForwardAlgorithmEx (kernel time)
   * @param medianMs median wall time of our forward calls (upload, kernel, synchronize, download)
   * @param maxAbsError max |cuDNN + bias + activation - TFLite| over the layer's output
   * @param bitwiseRepeatable whether all repeats gave the same bytes
   * @param error why it did not run, or null
   */
  public record AlgoRun(
      String algorithm,
      String mathType,
      boolean cudnnDeterministic,
      String status,
      double cudnnTimeMs,
      double medianMs,
      long workspaceBytes,
      double maxAbsError,
      boolean bitwiseRepeatable,
      int repeats,
      String error) {}

  /** One layer's results. */
  /**
   * One layer's results.
   *
   * @param heuristicOrder cuDNN's heuristic ranking (cudnnGetConvolutionForwardAlgorithm_v7) of the algorithms that it
   *     says are supported, best first: what a framework without benchmark mode would pick
   * @param algorithms the measured list (cudnnFindConvolutionForwardAlgorithmEx), fastest first
   */
  public record LayerResult(int operator, String op, String output, String geometry, boolean prePadded,
      List<String> heuristicOrder, List<AlgoRun> algorithms) {}

  /** The experiment's report. */
  public record Report(
      String model, String device, String versions, String mathRequested, int repeat, List<LayerResult> layers,
      List<ConvLayers.Skipped> skipped) {

    /** Every algorithm that ran gave bitwise-identical repeats. */
    public boolean allRepeatable() {
      return layers.stream().flatMap(l -> l.algorithms().stream())
          .filter(a -> a.error() == null).allMatch(AlgoRun::bitwiseRepeatable);
    }

    /** The report as console lines. */
    public List<String> lines() {
      List<String> out = new ArrayList<>();
      out.add("conv algorithms on " + device + " (" + versions + "), math " + mathRequested + ", " + repeat
          + " repeats, model " + model);
      for (LayerResult l : layers) {
        out.add(String.format(Locale.ROOT, "%s #%d %s  %s%s", l.op(), l.operator(), l.output(), l.geometry(),
            l.prePadded() ? "  (asymmetric SAME: host pre-pad)" : ""));
        out.add("    heuristic order (_v7): " + String.join(" > ", l.heuristicOrder()));
        for (AlgoRun a : l.algorithms()) {
          if (a.error() != null) {
            out.add(String.format(Locale.ROOT, "    %-22s %-10s %s", a.algorithm(), a.mathType(), a.error()));
          } else {
            out.add(String.format(Locale.ROOT,
                "    %-22s %-10s %-13s cudnn %8.4f ms  wall %8.4f ms  ws %10d B  max_err %.3g  %s",
                a.algorithm(), a.mathType(), a.cudnnDeterministic() ? "deterministic" : "non-determ.", a.cudnnTimeMs(),
                a.medianMs(), a.workspaceBytes(), a.maxAbsError(),
                a.bitwiseRepeatable() ? "bitwise-equal x" + a.repeats() : "DIFFERS across " + a.repeats() + " runs"));
          }
        }
      }
      for (ConvLayers.Skipped s : skipped) {
        out.add("skipped " + s.op() + " #" + s.operator() + " " + s.output() + ": " + s.reason());
      }
      out.add(allRepeatable()
          ? "every algorithm that ran was bitwise reproducible"
          : "NON-DETERMINISTIC: some algorithm differs across repeats (see above)");
      return out;
    }
  }

  /**
   * Runs the experiment.
   *
   * @param inputs the model inputs (seeded by the caller)
   * @param device a CUDA device; CPU is refused
   * @param config allow_tf32_cudnn picks the math type asked of cuDNN: DEFAULT (TF32 allowed) or FMA (no TF32)
   * @param repeat forward calls per algorithm, at least 2
   * @throws CrossalignException ENVIRONMENT without a GPU build and driver (checked first); INPUT on bad arguments
   */
  public static Report run(
      TfliteModel model, Map<String, HostTensor> inputs, Device device, DeterminismConfig config, int repeat) {
    Cudnn.require();
    if (!device.isCuda()) {
      throw CrossalignException.input("--conv-algos runs on cuDNN: give --device cuda or cuda:N, got " + device);
    }
    if (repeat < 2) {
      throw CrossalignException.input("--repeat must be at least 2, got " + repeat);
    }
    MathType math = config.allowTf32Cudnn() ? MathType.DEFAULT : MathType.FMA;
    NativeSafety.check(model);
    List<LayerResult> results = new ArrayList<>();
    ConvLayers.Found found;
    try (TfliteBackend ref = Reference.open(model, TfliteOptions.defaults())) {
      Activations run = ref.run(inputs);
      found = ConvLayers.of(model, ref, run);
    }
    for (ConvLayers.Layer l : found.layers()) {
      List<AlgoRun> algos = new ArrayList<>();
      List<String> heuristic = new ArrayList<>();
      try (CudnnConv conv = CudnnConv.create(l.geometry(), l.filterKcrs(), device.index())) {
        for (AlgoPerf p : conv.heuristics(math)) {
          if (p.ok()) {
            heuristic.add(p.name() + "/" + (p.mathType() == null ? "?" : p.mathType().name()));
          }
        }
        for (AlgoPerf p : conv.find(l.inputNhwc(), math)) {
          algos.add(measure(conv, l, p, repeat));
        }
      }
      results.add(new LayerResult(l.operator(), l.op(), l.output(), l.geometry().toString(),
          !l.geometry().plan().symmetric(), List.copyOf(heuristic), List.copyOf(algos)));
    }
    return new Report(model.label(), device.toString(), Cudnn.versions(), math.name(), repeat, List.copyOf(results),
        found.skipped());
  }

  private static AlgoRun measure(CudnnConv conv, ConvLayers.Layer l, AlgoPerf p, int repeat) {
    String math = p.mathType() == null ? "?" : p.mathType().name();
    if (!p.ok() || p.algorithm() == null || p.mathType() == null) {
      return new AlgoRun(p.name(), math, p.deterministic(), p.status(), p.timeMs(), -1, p.workspaceBytes(), Double.NaN,
          false, 0, p.ok() ? "unknown algorithm or math type id" : p.status());
    }
    try {
      float[] first = null;
      boolean same = true;
      double[] ms = new double[repeat];
      for (int r = 0; r < repeat; r++) {
        long t0 = System.nanoTime();
        float[] y = conv.forward(l.inputNhwc(), p.algorithm(), p.mathType());
        ms[r] = (System.nanoTime() - t0) / 1e6;
        if (first == null) {
          first = y;
        } else if (!Errors.bitwiseEqual(first, y)) {
          same = false;
        }
      }
      Arrays.sort(ms);
      float[] out = ConvLayers.biasAndActivation(first.clone(), l.bias(), l.activation());
      return new AlgoRun(p.name(), math, p.deterministic(), p.status(), p.timeMs(), ms[repeat / 2], p.workspaceBytes(),
          ConvLayers.maxAbsDiff(out, l.referenceNhwc()), same, repeat, null);
    } catch (CrossalignException e) {
      return new AlgoRun(p.name(), math, p.deterministic(), p.status(), p.timeMs(), -1, p.workspaceBytes(), Double.NaN,
          false, 0, e.getMessage());
    }
  }
}
