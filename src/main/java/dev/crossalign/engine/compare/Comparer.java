package dev.crossalign.engine.compare;

import dev.crossalign.CrossalignException;
import dev.crossalign.align.AlignmentResult;
import dev.crossalign.align.Comparison;
import dev.crossalign.align.Metrics;
import dev.crossalign.align.Mode;
import dev.crossalign.align.Tolerance;
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

/**
 * Compares two models the user brings (any mix of .tflite and .onnx, a TorchScript module, or an .npz of tensors
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
    try (Side a = open(req.a(), req);
        Side b = req.torchscript() != null
            ? TorchScriptSide.open(req.torchscript(), req.torchscriptLayout(), req.config())
            : open(req.b(), req)) {
      timing.put("load", ms(t0));
      return compare(a, b, req, timing, t0);
    }
  }

  private static Outcome compare(Side a, Side b, CompareRequest req, Map<String, Double> timing, long t0) {
    List<String> notes = new ArrayList<>();
    Map<String, String> config = new LinkedHashMap<>();
    config.put("compare.a", a.label());
    config.put("compare.b", b.label());
    config.put("input_range", req.inputLow() + ".." + req.inputHigh());
    config.put("intra_op_threads", Integer.toString(req.config().intraOpThreads()));
    config.put("tolerance.atol_scaled_by_max_abs_ref", Boolean.toString(req.tolerance().scaleAtol()));
    config.put("tolerance.rel_l2_budget", Double.toString(req.relL2Budget()));
    config.put("compare.value_matching", Boolean.toString(req.matchByValue()));

    boolean aDrives = !a.inputs().isEmpty() || b.inputs().isEmpty();
    Side driver = aDrives ? a : b;
    Side other = aDrives ? b : a;
    Map<String, HostTensor> givenDriver = new LinkedHashMap<>();
    Map<String, HostTensor> givenOther = new LinkedHashMap<>();
    splitGiven(req.inputs(), driver, other, givenDriver, givenOther);
    if (other instanceof NpzSide npz && req.inputs().isEmpty()) {
      for (InputSpec s : driver.inputs()) {
        HostTensor t = npz.tensors().get(s.name());
        if (t != null && SeededInputs.fits(s.shape(), t.shape())) {
          givenDriver.put(s.name(), t);
          notes.add("input '" + s.name() + "' taken from " + npz.label());
        }
      }
    }

    long t1 = System.nanoTime();
    Map<String, HostTensor> driverInputs = driver instanceof TfliteSide ts
        ? InputGenerator.inputs(ts.model(), req.config().seed(), req.inputLow(), req.inputHigh(), givenDriver)
        : SeededInputs.generate(driver.inputs(), req.config().seed(), req.inputLow(), req.inputHigh(), givenDriver);
    Activations driverRun = driver.run(driverInputs);
    timing.put("run." + (aDrives ? "a" : "b"), ms(t1));

    long t2 = System.nanoTime();
    List<InputPairing> pairings = new ArrayList<>();
    Activations otherRun;
    if (!other.inputs().isEmpty()) {
      InputMatcher.Fed fed = InputMatcher.pair(driverInputs, other.inputs(), givenOther);
      pairings.addAll(fed.pairings());
      otherRun = other.run(fed.feeds());
    } else if (other instanceof TorchScriptSide tss) {
      otherRun = tss.run(driverInputs);
      for (String n : driverInputs.keySet()) {
        pairings.add(new InputPairing(n, n, "nchw".equals(tss.usedLayout()) && driverInputs.get(n).rank() == 4
            ? new int[] {0, 3, 1, 2} : null, "order"));
      }
      notes.add("TorchScript inputs fed " + ("nchw".equals(tss.usedLayout()) ? "permuted NHWC->NCHW" : "as is")
          + "; only its final outputs are compared");
    } else {
      otherRun = other.run(Map.of());
    }
    timing.put("run." + (aDrives ? "b" : "a"), ms(t2));
    for (InputPairing p : pairings) {
      notes.add("input '" + p.a() + "' fed to '" + p.b() + "' (by " + p.how() + ")"
          + (p.permutation() == null ? "" : " permuted " + Arrays.toString(p.permutation())
          + (Arrays.equals(p.permutation(), new int[] {0, 3, 1, 2}) ? " (NHWC->NCHW)"
          : Arrays.equals(p.permutation(), new int[] {0, 2, 3, 1}) ? " (NCHW->NHWC)" : "")));
    }

    Activations runA = aDrives ? driverRun : otherRun;
    Activations runB = aDrives ? otherRun : driverRun;
    List<InputPairing> aToB = new ArrayList<>();
    for (InputPairing p : pairings) {
      aToB.add(aDrives ? p : new InputPairing(p.b(), p.a(), p.permutation(), p.how()));
    }
    long t3 = System.nanoTime();
    List<TensorMatch> pairs = TensorMatcher.match(runA, a.graph(), runB, b.graph(), aToB, req.matchByValue());
    timing.put("match", ms(t3));

    List<String> counted = new ArrayList<>();
    for (CapturedTensor c : runA.tensors()) {
      if (!"INPUT".equals(c.op()) && (a.graph() == null || a.graph().isData(c.name()))) {
        counted.add(c.name());
      }
    }
    Matching matching = Matching.of(pairs, counted, pairings, aDrives ? "a" : "b");
    notes.add(matching.summary());
    config.put("matching.matched_by_name", Integer.toString(matching.byName()));
    config.put("matching.matched_by_structure", Integer.toString(matching.byStructure()));
    config.put("matching.matched_by_value", Integer.toString(matching.byValue()));
    config.put("matching.matched_by_output_order", Integer.toString(matching.byOutputOrder()));
    config.put("matching.unmatched", Integer.toString(matching.unmatched()));
    a.info().forEach((k, v) -> config.put("a." + k, v));
    b.info().forEach((k, v) -> config.put("b." + k, v));

    long t4 = System.nanoTime();
    List<Comparison> comparisons = comparisons(runA, runB, pairs, req.effectiveTolerance());
    timing.put("compare", ms(t4));
    Comparison first = AlignmentResult.firstFailing(comparisons);
    if (first != null && first.metrics() != null && !other.inputs().isEmpty()) {
      channelOrderNote(driverInputs, other, givenOther, aDrives, runA, runB, pairs, req, first).ifPresent(notes::add);
    }
    if (first != null) {
      pairs.stream().filter(p -> p.a().equals(first.name())).findFirst().ifPresent(p -> notes.add(
          "first divergence '" + p.a() + "' is paired with " + b.backend() + " tensor '" + p.b() + "' (by "
              + p.method().jsonName().replace('_', ' ') + ")"));
    }
    timing.put("total", ms(t0));
    AlignmentResult result = AlignmentResult.of(a.label(), req.device().toString(), req.config().seed(),
        req.tolerance(), List.of(a.backend(), b.backend()), comparisons, List.of(), notes, timing, config);
    Map<String, Activations> acts = new LinkedHashMap<>();
    acts.put("a", runA);
    acts.put("b", runB);
    return new Outcome(result, matching, acts);
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
    Activations swappedRun = other.run(InputMatcher.pair(swapped, other.inputs(), givenOther).feeds());
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

  /** One comparison per pair in A's order; a model output of A with no pair is MISSING. */
  static List<Comparison> comparisons(Activations a, Activations b, List<TensorMatch> pairs, Tolerance tol) {
    String pair = a.backend() + "~" + b.backend();
    Map<String, TensorMatch> byA = new LinkedHashMap<>();
    pairs.forEach(p -> byA.put(p.a(), p));
    List<Comparison> out = new ArrayList<>();
    List<CapturedTensor> list = a.tensors();
    for (int i = 0; i < list.size(); i++) {
      CapturedTensor c = list.get(i);
      List<Integer> shape = Arrays.stream(c.tensor().shape()).boxed().toList();
      TensorMatch m = byA.get(c.name());
      if (m == null) {
        if (a.outputNames().contains(c.name())) {
          out.add(new Comparison(c.name(), c.op(), i, shape, pair, Mode.CHAINED, null, Comparison.Status.MISSING,
              null, "model output '" + c.name() + "' has no counterpart in the " + b.backend()
              + " run (by name, structure, value or output order)"));
        }
        continue;
      }
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
      throw CrossalignException.input(file + ": a TorchScript module is given with --torchscript FILE");
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
