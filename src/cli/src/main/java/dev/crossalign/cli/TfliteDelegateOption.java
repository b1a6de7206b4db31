package dev.crossalign.cli;

import dev.crossalign.CrossalignException;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.tflite.OpNode;
import dev.crossalign.backend.tflite.TfliteBackend;
import dev.crossalign.backend.tflite.TfliteOptions;
import dev.crossalign.engine.DemoModel;
import dev.crossalign.engine.Reference;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tflite.TfliteModel;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * {@code --tflite-delegate none|xnnpack|PATH.so[:key=value,...]}: runs the model once more on TFLite with that delegate
 * and compares its final outputs with the plain reference interpreter, naming the nodes the delegate took.
 */
final class TfliteDelegateOption {
  /**
   * The --tflite-delegate value as given (for the report line) and the TFLite options it means.
   *
   * @param text what was given
   * @param options the delegate (NONE, XNNPACK or EXTERNAL with its library and options) on the default interpreter
   */
  record Choice(String text, TfliteOptions options) {}

  @Option(names = "--tflite-delegate", defaultValue = "none", paramLabel = "none|xnnpack|PATH.so[:k=v,...]",
      converter = Converters.TfliteDelegateConverter.class,
      description = "Also run TFLite with this delegate (an external one through the TFLite plug-in ABI) and compare"
          + " its final outputs with the reference (default: ${DEFAULT-VALUE})")
  Choice delegate;

  boolean requested() {
    return delegate != null && delegate.options().delegate() != TfliteOptions.Delegate.NONE;
  }

  /**
   * The delegate check; prints one line per output and one for the delegated nodes.
   *
   * @return true when every final output agrees within atol scaled by max(1, max|ref|)
   */
  boolean check(Path model, RunOptions run, PrintWriter out) {
    TfliteOptions opts = delegate.options().withThreads(run.threads());
    TfliteModel m = model == null ? TfliteModel.read(DemoModel.bytes(), DemoModel.LABEL) : TfliteModel.read(model);
    Map<String, HostTensor> inputs = run.modelInputs(m);
    boolean ok = true;
    try (TfliteBackend ref = Reference.open(m, TfliteOptions.defaults().withThreads(run.threads()));
        TfliteBackend del = Reference.open(m, opts)) {
      Activations a = ref.run(inputs);
      Activations b = del.run(inputs);
      List<OpNode> taken = del.delegatePartitions();
      out.println(String.format(Locale.ROOT, "tflite delegate %s: took %d of %d nodes%s", delegate.text(), taken.size(),
          del.executionPlan().size(), taken.isEmpty() ? "" : " " + taken.stream()
              .map(n -> "#" + n.nodeIndex() + " " + n.op()).toList()));
      for (String o : a.outputNames()) {
        if (!b.contains(o)) {
          throw new CrossalignException(CrossalignException.Kind.INTERNAL, "delegate run lacks output " + o);
        }
        double[] r = maxAbs(a.tensor(o), b.tensor(o));
        boolean pass = r[0] <= run.atol() * Math.max(1, r[1]);
        ok &= pass;
        out.println(String.format(Locale.ROOT, "    output %s: max_abs %.3g (atol %.3g scaled by max|ref| %.3g) %s",
            o, r[0], run.atol(), r[1], pass ? "ok" : "DIFFERS"));
      }
    }
    out.flush();
    return ok;
  }

  /** {max |a - b| (NaN when one side is NaN and the other is not), max |a|}. */
  private static double[] maxAbs(HostTensor a, HostTensor b) {
    if (a.numel() != b.numel()) {
      return new double[] {Double.POSITIVE_INFINITY, 0};
    }
    double m = 0;
    double ref = 0;
    for (long i = 0; i < a.numel(); i++) {
      double x = a.getDouble(i);
      double y = b.getDouble(i);
      double d = Math.abs(x - y);
      if (Double.isNaN(d) && !(Double.isNaN(x) && Double.isNaN(y))) {
        return new double[] {Double.NaN, ref};
      }
      if (!Double.isNaN(d)) {
        m = Math.max(m, d);
      }
      ref = Math.max(ref, Math.abs(x));
    }
    return new double[] {m, ref};
  }
}
