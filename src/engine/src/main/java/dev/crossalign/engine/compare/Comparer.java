package dev.crossalign.engine.compare;

import dev.crossalign.CrossalignException;
import dev.crossalign.align.AlignmentResult;
import dev.crossalign.align.Comparison;
import dev.crossalign.align.InputChecks;
import dev.crossalign.align.Metrics;
import dev.crossalign.align.Mode;
import dev.crossalign.align.Tolerance;
import dev.crossalign.align.Verdict;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.CapturedTensor;
import dev.crossalign.engine.InputGenerator;
import dev.crossalign.onnx.OnnxModel;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Npz;
import dev.crossalign.tflite.TfliteModel;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Compares two models the user brings (any mix of .tflite, .onnx and TorchScript modules, or an .npz of tensors
 * captured elsewhere) on the same inputs, tensor by tensor wherever the tensors can be paired (see
 * {@link TensorMatcher}), and gives the same {@link AlignmentResult} as validate, with pair "A~B" named by backend.
 */
public final class Comparer {
  private Comparer() {}

  /** The result, how tensors were paired, and each side's run ("a", "b"). */
  public record Outcome(AlignmentResult result, Matching matching, Map<String, Activations> activations) {}

  public static Outcome compare(CompareRequest req) {
    Map<String, Double> timing = new LinkedHashMap<>();
    long t0 = System.nanoTime();
    try (Side first = open(req.a(), req);
        Side second = req.torchscript() != null
            ? TorchScriptSide.open(req.torchscript(), req.torchscriptLayout(), req.config())
            : open(req.b(), req)) {
      timing.put("load", ms(t0));
      boolean swapped = rank(second) < rank(first);
      return compare(swapped ? second : first, swapped ? first : second, swapped, req, timing, t0);
    }
  }

  /**
   * Which side is the reference, whichever order the two were given in: a TFLite model (what conversions start
   * from), else an ONNX model, else a TorchScript module, else an .npz; between two of a kind, the first given.
   */
  private static int rank(Side s) {
    if (s instanceof TfliteSide) {
      return 0;
    }
    if (s instanceof OnnxSide) {
      return 1;
    }
    return s instanceof TorchScriptSide ? 2 : 3;
  }

  private static String kind(Side s) {
    return new String[] {"a TFLite model", "an ONNX model", "a TorchScript module", "an .npz"}[rank(s)];
  }

  /** {@code a} is the reference and {@code b} the candidate; {@code swapped}: the user named b first. */
  private static Outcome compare(Side a, Side b, boolean swapped, CompareRequest req, Map<String, Double> timing,
      long t0) {
    List<String> notes = new ArrayList<>();
    Map<String, String> config = config(a, b, req);
    notes.add(referenceNote(a, b));

    boolean aDrives = !a.inputs().isEmpty() || b.inputs().isEmpty();
    Side driver = aDrives ? a : b;
    Side other = aDrives ? b : a;
    Map<String, HostTensor> givenOther = new LinkedHashMap<>();
    Map<String, HostTensor> givenDriver = givenInputs(driver, other, req, givenOther, notes);
    long t1 = System.nanoTime();
    Map<String, HostTensor> driverInputs = driver instanceof TfliteSide ts
        ? InputGenerator.inputs(ts.model(), req.config().seed(), req.inputLow(), req.inputHigh(), givenDriver)
        : SeededInputs.generate(driver.label(), driver.inputs(), req.config().seed(), req.inputLow(), req.inputHigh(), givenDriver);
    Activations driverRun = driver.run(driverInputs);
    timing.put(aDrives ? "run.reference" : "run.candidate", ms(t1));

    long t2 = System.nanoTime();
    Feeding.OtherRun fed = Feeding.runOther(other, driver, driverInputs, givenOther, notes);
    List<InputPairing> pairings = fed.pairings();
    timing.put(aDrives ? "run.candidate" : "run.reference", ms(t2));
    pairings.forEach(p -> notes.add(Feeding.note(p)));

    Activations runA = aDrives ? driverRun : fed.run();
    Activations runB = aDrives ? fed.run() : driverRun;
    List<InputPairing> aToB = pairings.stream()
        .map(p -> aDrives ? p : new InputPairing(p.b(), p.a(), p.permutation(), p.how())).toList();
    long t3 = System.nanoTime();
    TensorMatcher.Result res = TensorMatcher.match(runA, a.graph(), runB, b.graph(), aToB, req.matchByValue());
    List<TensorMatch> pairs = res.pairs();
    timing.put("match", ms(t3));

    String refSide = swapped ? "b" : "a";
    Matching matching = Matching.of(res, counted(runA, a.graph()), pairings, aDrives ? refSide : (swapped ? "a" : "b"),
        refSide, reassemblies(runA, runB, pairs));
    notes.addAll(matching.notes(res.unpairedOutputsA().keySet()));
    res.outputsBThroughParts().forEach((o, how) -> notes.add("candidate output '" + o + "' compared in parts: " + how));
    config.putAll(matching.config());
    a.info().forEach((k, v) -> config.put("reference." + k, v));
    b.info().forEach((k, v) -> config.put("candidate." + k, v));

    long t4 = System.nanoTime();
    List<Comparison> comparisons = comparisons(runA, runB, pairs, req.effectiveTolerance());
    timing.put("compare", ms(t4));
    Comparison first = AlignmentResult.firstFailing(comparisons);
    if (first != null && first.metrics() != null && !other.inputs().isEmpty()) {
      channelOrderNote(driverInputs, other, givenOther, aDrives, runA, runB, pairs, req, first).ifPresent(notes::add);
    }
    if (first != null) {
      pairs.stream().filter(p -> p.a().equals(first.name())).findFirst()
          .ifPresent(p -> notes.add(divergenceNote(p, b)));
    }
    timing.put("total", ms(t0));
    AlignmentResult result = new AlignmentResult(a.label(), req.device().toString(), req.config().seed(),
        req.tolerance(), List.of(a.backend(), b.backend()), comparisons, first, List.of(),
        verdict(comparisons, matching), notes, new TreeMap<>(timing), new TreeMap<>(config));
    return new Outcome(result, matching, byRole(runA, runB));
  }

  /** The two runs as the outcome names them, reference first. */
  private static Map<String, Activations> byRole(Activations reference, Activations candidate) {
    Map<String, Activations> acts = new LinkedHashMap<>();
    acts.put("reference", reference);
    acts.put("candidate", candidate);
    return acts;
  }

  /**
   * The driver's given inputs: its --input files, else what the other side's .npz holds under its input names, each
   * with validate's input checks in the notes; the other side's --input files go to {@code givenOther}.
   */
  private static Map<String, HostTensor> givenInputs(Side driver, Side other, CompareRequest req,
      Map<String, HostTensor> givenOther, List<String> notes) {
    Map<String, HostTensor> givenDriver = new LinkedHashMap<>();
    splitGiven(req.inputs(), driver, other, givenDriver, givenOther);
    if (other instanceof NpzSide npz) {
      Feeding.inputsFromNpz(npz, driver, givenDriver, notes);
    }
    for (InputSpec s : driver.inputs()) {
      if (givenDriver.containsKey(s.name())) {
        notes.addAll(inputNotes(s, givenDriver.get(s.name()), req.expectedRange()));
      }
    }
    return givenDriver;
  }

  /** The report's config: both labels, the input range, threads, the tolerance's switches, value matching. */
  private static Map<String, String> config(Side a, Side b, CompareRequest req) {
    Map<String, String> config = new LinkedHashMap<>();
    config.put("compare.reference", a.label());
    config.put("compare.candidate", b.label());
    config.put("input_range", req.inputLow() + ".." + req.inputHigh());
    config.put("intra_op_threads", Integer.toString(req.config().intraOpThreads()));
    config.put("tolerance.atol_scaled_by_max_abs_ref", Boolean.toString(req.tolerance().scaleAtol()));
    config.put("tolerance.rel_l2_budget", Double.toString(req.relL2Budget()));
    config.put("compare.value_matching", Boolean.toString(req.matchByValue()));
    return config;
  }

  /** Which side is the reference and why. */
  private static String referenceNote(Side a, Side b) {
    return rank(a) != rank(b)
        ? "reference: " + a.label() + " (" + kind(a) + " is the reference against " + kind(b)
            + ", whichever order the two are given in)"
        : "reference: " + a.label() + " (both are " + kind(a).replaceFirst("^an? ", "") + "s: the first given is"
            + " the reference)";
  }

  /** The reference's tensors the matching counts: captured, input-dependent, not the model inputs. */
  private static List<String> counted(Activations runA, GraphView graph) {
    List<String> counted = new ArrayList<>();
    for (CapturedTensor c : runA.tensors()) {
      if (!"INPUT".equals(c.op()) && (graph == null || graph.isData(c.name()))) {
        counted.add(c.name());
      }
    }
    return counted;
  }

  /** Which candidate tensor the first failing reference tensor was paired with, and how. */
  private static String divergenceNote(TensorMatch p, Side b) {
    return "first divergence '" + p.a() + "' is paired with " + b.backend() + " tensor '" + p.b() + "' (by "
        + p.method().jsonName().replace('_', ' ') + ")";
  }

  /**
   * MISALIGNED when a compared tensor fails (only that); else INCOMPLETE when nothing was compared or a model output
   * of either side could not be paired; else ALIGNED.
   */
  static Verdict verdict(List<Comparison> comparisons, Matching matching) {
    if (comparisons.stream().anyMatch(c -> !c.passed())) {
      return Verdict.MISALIGNED;
    }
    return comparisons.isEmpty() || !matching.unpairedOutputs().isEmpty() ? Verdict.INCOMPLETE : Verdict.ALIGNED;
  }

  /** validate's preprocessing checks of a given input: range, mean, channel means, and warnings. */
  private static List<String> inputNotes(InputSpec s, HostTensor t, InputChecks.ValueRange expected) {
    InputChecks.InputReport r = InputChecks.check(s.name(), s.shape(), s.dtype(), expected, t);
    StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "input '%s': range [%.6g, %.6g], mean %.6g",
        s.name(), r.min(), r.max(), r.mean()));
    if (!r.channelMeans().isEmpty()) {
      b.append(", channel means [");
      for (int i = 0; i < r.channelMeans().size(); i++) {
        b.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.4g", r.channelMeans().get(i)));
      }
      b.append(']');
    }
    List<String> out = new ArrayList<>();
    out.add(b.toString());
    out.addAll(r.warnings());
    return out;
  }

  /**
   * |reference - candidate| of the worst comparison (the first divergence, else the largest rel_l2), up to 2^20
   * elements, keyed by the reference tensor's name: the HTML report's error histogram.
   */
  public static Map<String, float[]> errorSamples(Outcome o) {
    List<Comparison> worst = o.result().worstFirst();
    if (worst.isEmpty() || worst.get(0).metrics() == null) {
      return Map.of();
    }
    Comparison c = o.result().firstDivergence() != null ? o.result().firstDivergence() : worst.get(0);
    Activations ra = o.activations().get("reference");
    Activations rb = o.activations().get("candidate");
    TensorMatch m = o.matching().pairs().stream().filter(p -> p.a().equals(c.name())).findFirst().orElse(null);
    if (m == null || ra == null || rb == null) {
      return Map.of();
    }
    HostTensor x = ra.tensor(c.name());
    HostTensor y = TensorMatcher.aligned(ra, rb, m).b();
    int n = (int) Math.min(x.numel(), 1 << 20);
    float[] d = new float[n];
    for (int i = 0; i < n; i++) {
      d[i] = (float) Math.abs(x.getDouble(i) - y.getDouble(i));
    }
    return Map.of(c.name(), d);
  }

  /** For each output of A compared against something other than B's tensor as is: how B's side was put together. */
  private static Map<String, String> reassemblies(Activations a, Activations b, List<TensorMatch> pairs) {
    Map<String, String> out = new LinkedHashMap<>();
    for (TensorMatch p : pairs) {
      if (!a.outputNames().contains(p.a())) {
        continue;
      }
      int[] sa = a.tensor(p.a()).shape();
      if (p.reassembly() != null) {
        out.put(p.a(), p.reassembly().describe(sa));
        continue;
      }
      int[] sb = b.tensor(p.b()).shape();
      if (p.permutation() != null) {
        out.put(p.a(), "'" + p.b() + "' " + Arrays.toString(sb) + " permuted " + p.permutation());
      } else if (!Arrays.equals(sa, sb)) {
        out.put(p.a(), "'" + p.b() + "' " + Arrays.toString(sb) + " reshaped to " + Arrays.toString(sa));
      }
    }
    return out;
  }

  /**
   * The usual preprocessing mistake: one model takes RGB, the other BGR. When the comparison fails, runs the other
   * side once more with the channels of every 3-channel image input swapped; if that aligns the first divergent
   * tensor much better, says so.
   */
  static java.util.Optional<String> channelOrderNote(Map<String, HostTensor> driverInputs, Side other,
      Map<String, HostTensor> givenOther, boolean aDrives, Activations runA, Activations runB, List<TensorMatch> pairs,
      CompareRequest req, Comparison first) {
    Map<String, HostTensor> swapped = new LinkedHashMap<>();
    boolean any = false;
    for (Map.Entry<String, HostTensor> e : driverInputs.entrySet()) {
      HostTensor t = e.getValue();
      if (t.rank() == 4 && t.dim(3) == 3) {
        swapped.put(e.getKey(), dev.crossalign.align.InputChecks.swapChannels(t));
        any = true;
      } else {
        swapped.put(e.getKey(), t);
      }
    }
    if (!any) {
      return java.util.Optional.empty();
    }
    Activations swappedRun = other.run(InputMatcher.pair(swapped, "", other.inputs(), other.label(), givenOther)
        .feeds());
    List<Comparison> again = aDrives
        ? comparisons(runA, swappedRun, pairs, req.effectiveTolerance())
        : comparisons(swappedRun, runB, pairs, req.effectiveTolerance());
    for (Comparison c : again) {
      if (c.name().equals(first.name()) && c.metrics() != null
          && c.metrics().relL2() < 0.5 * first.metrics().relL2()) {
        return java.util.Optional.of(String.format(java.util.Locale.ROOT,
            "channel order: with the image channels swapped (RGB<->BGR) for %s, '%s' is much closer (rel_l2 %.3g"
                + " instead of %.3g): the two models probably expect different channel orders",
            other.label(), first.name(), c.metrics().relL2(), first.metrics().relL2()));
      }
    }
    return java.util.Optional.empty();
  }

  /** One comparison per pair, in A's order (unpaired tensors are listed by the matching, not compared). */
  static List<Comparison> comparisons(Activations a, Activations b, List<TensorMatch> pairs, Tolerance tol) {
    String pair = a.backend() + "~" + b.backend();
    Map<String, TensorMatch> byA = new LinkedHashMap<>();
    pairs.forEach(p -> byA.put(p.a(), p));
    List<Comparison> out = new ArrayList<>();
    List<CapturedTensor> list = a.tensors();
    for (int i = 0; i < list.size(); i++) {
      CapturedTensor c = list.get(i);
      TensorMatch m = byA.get(c.name());
      if (m == null) {
        continue;
      }
      List<Integer> shape = Arrays.stream(c.tensor().shape()).boxed().toList();
      Alignment.Aligned al = TensorMatcher.aligned(a, b, m);
      Metrics metrics = Metrics.of(c.tensor(), al.b(), tol);
      out.add(new Comparison(c.name(), c.op(), i, shape, pair, Mode.CHAINED, metrics, Comparison.Status.COMPARED,
          m.permutation(), null));
    }
    return out;
  }

  private static void splitGiven(Map<String, HostTensor> given, Side driver, Side other,
      Map<String, HostTensor> forDriver, Map<String, HostTensor> forOther) {
    for (Map.Entry<String, HostTensor> e : given.entrySet()) {
      if (driver.inputs().stream().anyMatch(s -> s.name().equals(e.getKey()))) {
        forDriver.put(e.getKey(), e.getValue());
      } else if (other.inputs().stream().anyMatch(s -> s.name().equals(e.getKey()))) {
        forOther.put(e.getKey(), e.getValue());
      } else {
        List<String> names = new ArrayList<>();
        driver.inputs().forEach(s -> names.add(s.toString()));
        other.inputs().forEach(s -> names.add(s.toString()));
        throw CrossalignException.input("--input " + e.getKey() + ": neither model has an input of that name; their"
            + " inputs are " + names);
      }
    }
  }

  /** Opens a .tflite, .onnx or .npz file by extension (else by the TFLite file identifier). */
  static Side open(Path file, CompareRequest req) {
    dev.crossalign.tensor.RegularFiles.require(file, file.toString());
    String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
    if (n.endsWith(".npz")) {
      return new NpzSide(file.toString(), Npz.read(file));
    }
    if (n.endsWith(".onnx")) {
      return OnnxSide.open(OnnxModel.read(file), file.toString(), req.config(), req.device());
    }
    if (n.endsWith(".tflite") || isTflite(file)) {
      return TfliteSide.open(TfliteModel.read(file), req.tfliteThreads());
    }
    if (n.endsWith(".pt") || n.endsWith(".pth") || n.endsWith(".torchscript")) {
      return TorchScriptSide.open(file, req.torchscriptLayout(), req.config());
    }
    return OnnxSide.open(OnnxModel.read(file), file.toString(), req.config(), req.device());
  }

  private static boolean isTflite(Path file) {
    byte[] head = new byte[8];
    try (InputStream in = Files.newInputStream(file)) {
      int got = in.readNBytes(head, 0, 8);
      return got == 8 && head[4] == 'T' && head[5] == 'F' && head[6] == 'L' && head[7] == '3';
    } catch (IOException e) {
      throw CrossalignException.input(file + ": cannot read (" + e.getMessage() + ")");
    }
  }

  private static double ms(long start) {
    return (System.nanoTime() - start) / 1e6;
  }
}
