package dev.crossalign.engine.gpu;

import dev.crossalign.CrossalignException;
import dev.crossalign.backend.cudnn.AlgoPerf;
import dev.crossalign.backend.cudnn.ConvEpilogue;
import dev.crossalign.backend.cudnn.ConvGeometry;
import dev.crossalign.backend.cudnn.Cudnn;
import dev.crossalign.backend.cudnn.CudnnConv;
import dev.crossalign.backend.cudnn.HostLayouts;
import dev.crossalign.backend.cudnn.MathType;
import dev.crossalign.backend.cudnn.PaddingPlan;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The GPU check's cuDNN leg: every bundled conv run directly on cuDNN with every forward algorithm cuDNN offers for
 * it, with TF32 forbidden (CUDNN_FMA_MATH) and allowed (CUDNN_DEFAULT_MATH): kernel time (CUDA events), max_abs and
 * rel_l2 against TFLite's output of that layer and against a float64 host conv, and whether {@code repeat} runs give
 * the same bits. Per layer it names the fastest algorithm, cuDNN's heuristic pick (a framework without benchmark mode)
 * and the fastest deterministic one (what a deterministic profile may use); for layers with TF's asymmetric SAME
 * padding it times the same conv with a framework's symmetric {@code k//2} padding too.
 *
 * <p>Touches no TFLite or libtorch class: it reads the bundle's npz files, so the class path is javacpp + the cuda
 * bindings + crossalign + Jackson.
 */
public final class CudnnLeg {
  private CudnnLeg() {}

  /** What to run. */
  public record Options(int device, int repeat, int warmup, int iterations, boolean truth, boolean planOnly) {
    public Options {
      if (repeat < 2) {
        throw CrossalignException.input("--repeat must be at least 2, got " + repeat);
      }
      if (iterations < 1 || warmup < 0 || device < 0) {
        throw CrossalignException.input("--iterations must be at least 1, --warmup and --device not negative");
      }
    }
  }

  /**
   * One algorithm on one layer under one math type.
   *
   * @param mathUsed the math type cuDNN measured it with (DEFAULT may come back as TENSOR_OP)
   * @param claimedDeterministic cuDNN's CUDNN_DETERMINISTIC flag
   * @param findMs cuDNN's own time from cudnnFindConvolutionForwardAlgorithmEx
   * @param kernelMs our time per call: CUDA events around {@code iterations} forward calls
   * @param maxAbs against TFLite's output (bias and fused activation applied on the host)
   * @param maxAbsVsFloat64 against the float64 host conv (NaN when not computed)
   * @param bitwiseRepeatable whether {@code repeats} forward calls gave the same bits
   * @param error why it did not run, or null
   */
  public record AlgoResult(
      String algorithm,
      String mathUsed,
      boolean claimedDeterministic,
      double findMs,
      double kernelMs,
      long workspaceBytes,
      double maxAbs,
      double relL2,
      double maxAbsVsFloat64,
      boolean bitwiseRepeatable,
      int repeats,
      String error) {

    boolean ran() {
      return error == null;
    }
  }

  /**
   * One layer under one requested math type.
   *
   * @param heuristicPick the first supported entry of cudnnGetConvolutionForwardAlgorithm_v7
   * @param deterministicPick the fastest algorithm that cuDNN calls deterministic and that repeated bitwise here
   */
  public record MathResult(
      String math,
      boolean tf32Allowed,
      List<String> heuristicOrder,
      List<AlgoResult> algorithms,
      String fastest,
      double fastestMs,
      double fastestRelL2,
      String heuristicPick,
      double heuristicMs,
      double heuristicRelL2,
      String deterministicPick,
      double deterministicMs,
      double deterministicRelL2) {}

  /**
   * TF's asymmetric SAME against a framework's symmetric {@code (k-1)*d/2} pad on the same layer (FMA math).
   *
   * @param tfFastestMs fastest kernel with TF's padding (host pre-pad + cuDNN's symmetric part)
   * @param symmetricFastestMs fastest kernel with the symmetric pad only
   * @param symmetricRelL2 how far the symmetric pad's output is from TFLite's (the price of getting SAME wrong)
   * @param hostPrePadMs the host pre-pad copy that TF's padding adds per call (median)
   */
  public record PaddingCost(
      String tfPadding,
      String symmetricPadding,
      double tfFastestMs,
      double symmetricFastestMs,
      String symmetricFastest,
      double symmetricMaxAbs,
      double symmetricRelL2,
      double hostPrePadMs) {}

  public record LayerResult(
      String model,
      int operator,
      String op,
      String output,
      String geometry,
      boolean asymmetricPadding,
      double tfliteVsFloat64RelL2,
      List<MathResult> math,
      PaddingCost padding,
      String error) {}

  /** Per model: the numbers the README table takes. */
  public record ModelSummary(
      String model,
      int layers,
      int layerErrors,
      int algorithmRuns,
      int notRepeatable,
      List<String> notRepeatableRuns,
      double fmaHeuristicWorstRelL2,
      double tf32HeuristicWorstRelL2,
      double fmaHeuristicWorstMaxAbs,
      double tf32HeuristicWorstMaxAbs,
      double fmaFastestMsSum,
      double fmaHeuristicMsSum,
      double fmaDeterministicMsSum,
      double tf32FastestMsSum,
      double tf32HeuristicMsSum,
      List<String> deterministicAlgorithms,
      List<String> nonDeterministicAlgorithms,
      double asymmetricTfMsSum,
      double asymmetricSymmetricMsSum,
      double asymmetricHostPrePadMsSum) {}

  /**
   * The leg's JSON.
   *
   * @param status ran, plan-only, or unavailable (then {@code reason} says why in one line)
   * @param bindings the cuda bindings on the class path (which JavaCPP cuda preset)
   */
  public record Report(
      String leg,
      String status,
      String reason,
      String bindings,
      Cudnn.DeviceInfo device,
      int repeat,
      int iterations,
      double wallSeconds,
      List<ModelSummary> models,
      List<LayerResult> layers) {

    public List<String> lines() {
      List<String> out = new ArrayList<>();
      if (!"ran".equals(status)) {
        out.add("cudnn: " + status + (reason == null ? "" : ": " + reason));
      }
      for (ModelSummary m : models) {
        out.add(String.format(Locale.ROOT,
            "cudnn: %s: %d convs, %d algorithm runs, %d not bitwise repeatable; heuristic pick worst rel_l2 FMA %.3g,"
                + " TF32 %.3g; sum of fastest %.3f ms, heuristic %.3f ms, deterministic %.3f ms (FMA)",
            m.model(), m.layers(), m.algorithmRuns(), m.notRepeatable(), m.fmaHeuristicWorstRelL2(),
            m.tf32HeuristicWorstRelL2(), m.fmaFastestMsSum(), m.fmaHeuristicMsSum(), m.fmaDeterministicMsSum()));
      }
      return out;
    }
  }

  public static Report run(Path bundle, Options o) {
    long t0 = System.nanoTime();
    List<ConvCase> cases = new ArrayList<>();
    for (Path dir : BundleManifest.modelDirs(bundle)) {
      cases.addAll(ConvCase.load(dir, BundleManifest.read(dir)));
    }
    String bindings = Cudnn.bindings();
    Cudnn.DeviceInfo info = null;
    if (!o.planOnly()) {
      try { // first, so that a machine without a GPU hears so at once, before the host convs
        Cudnn.require();
        info = Cudnn.deviceInfo(o.device());
      } catch (CrossalignException e) {
        return new Report(dev.crossalign.backend.BackendKind.CUDNN.id(), "unavailable", e.getMessage(), bindings, null, o.repeat(), o.iterations(),
            seconds(t0), List.of(), List.of());
      }
    }
    List<float[]> truths = new ArrayList<>();
    for (ConvCase c : cases) {
      truths.add(o.truth() ? ConvEpilogue.float64Truth(c.geometry(), c.geometry().plan(), c.inputNhwc(),
          c.filterKcrs(), c.bias(), c.activation()) : null);
    }
    if (o.planOnly()) {
      List<LayerResult> layers = new ArrayList<>();
      for (int i = 0; i < cases.size(); i++) {
        layers.add(layerShell(cases.get(i), truths.get(i), List.of(), null, null));
      }
      return new Report(dev.crossalign.backend.BackendKind.CUDNN.id(), "plan-only", "--plan-only: host checks only, cuDNN not called", bindings, null,
          o.repeat(), o.iterations(), seconds(t0), summaries(layers), List.copyOf(layers));
    }
    List<LayerResult> layers = new ArrayList<>();
    for (int i = 0; i < cases.size(); i++) {
      ConvCase c = cases.get(i);
      try {
        layers.add(layer(c, truths.get(i), o));
      } catch (CrossalignException e) {
        layers.add(layerShell(c, truths.get(i), List.of(), null, e.getMessage()));
      }
    }
    return new Report(dev.crossalign.backend.BackendKind.CUDNN.id(), "ran", null, bindings, info, o.repeat(), o.iterations(), seconds(t0),
        summaries(layers), List.copyOf(layers));
  }

  private static LayerResult layerShell(
      ConvCase c, float[] truth, List<MathResult> math, PaddingCost pad, String error) {
    double tfliteVsTruth = truth == null ? Double.NaN : Errors.of(truth, c.referenceNhwc()).relL2();
    return new LayerResult(c.model(), c.spec().operator(), c.spec().op(), c.spec().output(), c.geometry().toString(),
        !c.geometry().plan().symmetric(), tfliteVsTruth, math, pad, error);
  }

  private static LayerResult layer(ConvCase c, float[] truth, Options o) {
    List<MathResult> maths = new ArrayList<>();
    try (CudnnConv conv = CudnnConv.create(c.geometry(), c.filterKcrs(), o.device())) {
      for (MathType math : List.of(MathType.FMA, MathType.DEFAULT)) {
        List<String> heuristic = new ArrayList<>();
        for (AlgoPerf p : conv.heuristics(math)) {
          if (p.ok()) {
            heuristic.add(p.name() + "/" + (p.mathType() == null ? "?" : p.mathType().name()));
          }
        }
        List<AlgoResult> algos = new ArrayList<>();
        for (AlgoPerf p : conv.find(c.inputNhwc(), math)) {
          algos.add(measure(conv, c, truth, p, o));
        }
        maths.add(mathResult(math, heuristic, algos));
      }
    }
    PaddingCost pad = null;
    PaddingPlan sym = c.spec().symmetricPlan();
    if (sym != null) {
      pad = paddingCost(c, sym, maths.get(0), o);
    }
    return layerShell(c, truth, List.copyOf(maths), pad, null);
  }

  private static AlgoResult measure(CudnnConv conv, ConvCase c, float[] truth, AlgoPerf p, Options o) {
    String math = p.mathType() == null ? "?" : p.mathType().name();
    if (!p.ok() || p.algorithm() == null || p.mathType() == null) {
      return new AlgoResult(p.name(), math, p.deterministic(), p.timeMs(), Double.NaN, p.workspaceBytes(), Double.NaN,
          Double.NaN, Double.NaN, false, 0, p.ok() ? "unknown algorithm or math type id" : p.status());
    }
    try {
      float[] first = null;
      boolean same = true;
      for (int r = 0; r < o.repeat(); r++) {
        float[] y = conv.forward(c.inputNhwc(), p.algorithm(), p.mathType());
        if (first == null) {
          first = y;
        } else if (!Errors.bitwiseEqual(first, y)) {
          same = false;
        }
      }
      double ms = conv.kernelMs(c.inputNhwc(), p.algorithm(), p.mathType(), o.warmup(), o.iterations());
      float[] out = ConvEpilogue.biasAndActivation(first, c.bias(), c.activation());
      Errors vsRef = Errors.of(c.referenceNhwc(), out);
      double vsTruth = truth == null ? Double.NaN : Errors.of(truth, out).maxAbs();
      return new AlgoResult(p.name(), math, p.deterministic(), p.timeMs(), ms, p.workspaceBytes(), vsRef.maxAbs(),
          vsRef.relL2(), vsTruth, same, o.repeat(), null);
    } catch (CrossalignException e) {
      return new AlgoResult(p.name(), math, p.deterministic(), p.timeMs(), Double.NaN, p.workspaceBytes(), Double.NaN,
          Double.NaN, Double.NaN, false, 0, e.getMessage());
    }
  }

  static MathResult mathResult(MathType math, List<String> heuristic, List<AlgoResult> algos) {
    List<AlgoResult> ran = algos.stream().filter(AlgoResult::ran).toList();
    Optional<AlgoResult> fastest = ran.stream().min(Comparator.comparingDouble(AlgoResult::kernelMs));
    Optional<AlgoResult> det = ran.stream()
        .filter(a -> a.claimedDeterministic() && a.bitwiseRepeatable())
        .min(Comparator.comparingDouble(AlgoResult::kernelMs));
    Optional<AlgoResult> heur = Optional.empty();
    for (String h : heuristic) {
      String name = h.substring(0, h.indexOf('/'));
      heur = ran.stream().filter(a -> a.algorithm().equals(name)).findFirst();
      if (heur.isPresent()) {
        break;
      }
    }
    return new MathResult(math.name(), math != MathType.FMA, List.copyOf(heuristic), List.copyOf(algos),
        fastest.map(AlgoResult::algorithm).orElse(null), fastest.map(AlgoResult::kernelMs).orElse(Double.NaN),
        fastest.map(AlgoResult::relL2).orElse(Double.NaN),
        heur.map(AlgoResult::algorithm).orElse(null), heur.map(AlgoResult::kernelMs).orElse(Double.NaN),
        heur.map(AlgoResult::relL2).orElse(Double.NaN),
        det.map(AlgoResult::algorithm).orElse(null), det.map(AlgoResult::kernelMs).orElse(Double.NaN),
        det.map(AlgoResult::relL2).orElse(Double.NaN));
  }

  private static PaddingCost paddingCost(ConvCase c, PaddingPlan sym, MathResult tfFma, Options o) {
    ConvGeometry g = c.geometry();
    PaddingPlan tf = g.plan();
    String best = null;
    double bestMs = Double.POSITIVE_INFINITY;
    float[] bestOut = null;
    try (CudnnConv conv = CudnnConv.create(g, sym, c.filterKcrs(), o.device())) {
      for (AlgoPerf p : conv.find(c.inputNhwc(), MathType.FMA)) {
        if (!p.ok() || p.algorithm() == null || p.mathType() == null) {
          continue;
        }
        try {
          double ms = conv.kernelMs(c.inputNhwc(), p.algorithm(), p.mathType(), o.warmup(), o.iterations());
          if (ms < bestMs) {
            bestMs = ms;
            best = p.name();
            bestOut = conv.forward(c.inputNhwc(), p.algorithm(), p.mathType());
          }
        } catch (CrossalignException e) {
          // an algorithm that cannot run with this padding is not a candidate
        }
      }
    }
    Errors err = bestOut == null ? new Errors(Double.NaN, Double.NaN)
        : Errors.of(c.referenceNhwc(), ConvEpilogue.biasAndActivation(bestOut, c.bias(), c.activation()));
    float[] nchw = HostLayouts.nhwcToNchw(c.inputNhwc(), g.n(), g.inH(), g.inW(), g.inC());
    double[] ms = new double[Math.max(3, o.repeat())];
    for (int i = 0; i < ms.length; i++) {
      long t0 = System.nanoTime();
      HostLayouts.prePad(nchw, g.n(), g.inC(), g.inH(), g.inW(), tf);
      ms[i] = (System.nanoTime() - t0) / 1e6;
    }
    Arrays.sort(ms);
    return new PaddingCost(plan(tf), plan(sym), tfFma.fastestMs(), best == null ? Double.NaN : bestMs, best,
        err.maxAbs(), err.relL2(), ms[ms.length / 2]);
  }

  private static String plan(PaddingPlan p) {
    return "top " + p.top() + " bottom " + p.bottom() + " left " + p.left() + " right " + p.right();
  }

  static List<ModelSummary> summaries(List<LayerResult> layers) {
    List<String> models = layers.stream().map(LayerResult::model).distinct().toList();
    List<ModelSummary> out = new ArrayList<>();
    for (String model : models) {
      List<LayerResult> ls = layers.stream().filter(l -> l.model().equals(model)).toList();
      int errors = 0;
      int runs = 0;
      List<String> notRep = new ArrayList<>();
      TreeSet<String> det = new TreeSet<>();
      TreeSet<String> nonDet = new TreeSet<>();
      double[] worst = new double[4];
      double[] sums = new double[8];
      for (LayerResult l : ls) {
        if (l.error() != null) {
          errors++;
        }
        for (MathResult m : l.math()) {
          boolean fma = !m.tf32Allowed();
          for (AlgoResult a : m.algorithms()) {
            if (!a.ran()) {
              continue;
            }
            runs++;
            if (!a.bitwiseRepeatable()) {
              notRep.add("#" + l.operator() + " " + a.algorithm() + "/" + a.mathUsed());
            }
            (a.claimedDeterministic() ? det : nonDet).add(a.algorithm());
          }
          if (m.heuristicPick() != null) {
            worst[fma ? 0 : 1] = maxNan(worst[fma ? 0 : 1], m.heuristicRelL2());
          }
          AlgoResult h = m.algorithms().stream().filter(a -> a.ran() && a.algorithm().equals(m.heuristicPick()))
              .findFirst().orElse(null);
          if (h != null) {
            worst[fma ? 2 : 3] = maxNan(worst[fma ? 2 : 3], h.maxAbs());
          }
          if (fma) {
            sums[0] += m.fastestMs();
            sums[1] += m.heuristicMs();
            sums[2] += m.deterministicMs();
          } else {
            sums[3] += m.fastestMs();
            sums[4] += m.heuristicMs();
          }
        }
        if (l.padding() != null) {
          sums[5] += l.padding().tfFastestMs();
          sums[6] += l.padding().symmetricFastestMs();
          sums[7] += l.padding().hostPrePadMs();
        }
      }
      out.add(new ModelSummary(model, ls.size(), errors, runs, notRep.size(), List.copyOf(notRep), worst[0],
          worst[1], worst[2], worst[3], sums[0], sums[1], sums[2], sums[3], sums[4], List.copyOf(det),
          List.copyOf(nonDet), sums[5], sums[6], sums[7]));
    }
    return List.copyOf(out);
  }

  /** Max that keeps a NaN (a NaN error is the worst there is). */
  private static double maxNan(double a, double b) {
    return Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.max(a, b);
  }

  private static double seconds(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }
}
