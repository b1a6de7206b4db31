package dev.crossalign.cli;

import dev.crossalign.backend.BackendKind;
import dev.crossalign.backend.BackendKind.Ids;
import dev.crossalign.engine.RunSpec;
import dev.crossalign.engine.bench.BackendStats;
import dev.crossalign.engine.bench.Bench;
import dev.crossalign.engine.bench.BenchRequest;
import dev.crossalign.engine.bench.BenchResult;
import dev.crossalign.port.PortBackend;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    header = "Times inference of one model on several backends, interleaved in one process.",
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {Main.EXIT_DONE, Main.EXIT_USAGE, "3:no backend could run the model (named, with the reason)"},
    description = {
      "Inference latency of MODEL (none = the embedded demo) on several backends in one process: warm-up, then",
      "timed runs interleaved round robin across the backends; median/p10/p90 per backend and each backend's",
      "median over tflite-xnnpack's."
    })
final class BenchCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL", description = ".tflite model (default: the embedded demo)")
  Path model;

  private static final String ALL = Ids.TFLITE + "," + Ids.TFLITE_XNNPACK + "," + Ids.TORCH + "," + Ids.ONNXRUNTIME;

  @Option(names = "--backends", split = ",", defaultValue = ALL, paramLabel = ALL,
      converter = Converters.BenchBackend.class,
      description = "Any of " + Ids.TFLITE + ", " + Ids.TFLITE_XNNPACK + ", " + Ids.TORCH + ", " + Ids.ONNXRUNTIME
          + " (default: ${DEFAULT-VALUE})")
  List<BackendKind> backends;

  @Mixin SharedOptions.Threads threads;
  @Mixin SharedOptions.DeviceOption device;
  @Mixin SharedOptions.Seed seed;

  @Option(names = "--warmup", defaultValue = "5", paramLabel = "N", converter = Converters.AtLeast0.class,
      description = "Untimed rounds first (default: ${DEFAULT-VALUE})")
  int warmup;

  @Option(names = "--runs", defaultValue = "30", paramLabel = "N", converter = Converters.AtLeast1.class,
      description = "Timed rounds (default: ${DEFAULT-VALUE})")
  int runs;

  @Option(names = "--onnx", paramLabel = "FILE.onnx", description = "ONNX model for onnxruntime (default: export MODEL)")
  Path onnx;

  @Option(names = "--profile-ops", description = "Also time each op of the torch port (mean per run, top ops printed)")
  boolean profileOps;

  @Option(names = "--json", paramLabel = "FILE", description = "Write the results as JSON ('-': stdout, instead of the table)")
  Path json;

  @Mixin SharedOptions.Verbose verbose;

  private static String ratio(Double r) {
    return r == null ? "-" : String.format(Locale.ROOT, "%.2f", r);
  }

  @Override
  public Integer call() {
    new FilePlan().input("model " + model, model).input("--onnx " + onnx, onnx).output("--json", json).check();
    BenchRequest req = new BenchRequest(model, backends, RunSpec.of(device.device,
        seed.orElse(RunSpec.DEFAULT.config().seed()), threads.threads), warmup, runs, onnx, profileOps);
    BenchResult r;
    try (Progress progress = Progress.start("bench", Bench.steps(req), false)) {
      progress.phase("opening " + backends.get(0).id());
      r = Bench.run(req, step -> {
        progress.step(1);
        progress.phase(step);
      });
    }
    if (ReportTarget.isStdout(json)) {
      ReportTarget.write(json, r.toJson(), spec.commandLine().getOut());
      r.notes().stream().filter(n -> n.startsWith("noisy:")).forEach(n -> spec.commandLine().getErr().println("note: " + n));
      spec.commandLine().getErr().flush();
      return Main.ALIGNED;
    }
    PrintWriter out = spec.commandLine().getOut();
    out.printf(Locale.ROOT, "%s, %d thread(s), %d warm-up + %d interleaved runs, %s cores, %s%n", r.model(),
        r.threads(), r.warmup(), runs, r.machine().get("cores"), r.machine().get("cpu"));
    out.printf(Locale.ROOT, "%-16s %10s %10s %10s %8s %10s %8s%n", "backend", "median ms", "p10 ms", "p90 ms",
        "x xnnpack", "cpu ms", "cpu x");
    for (BackendStats s : r.backends()) {
      boolean base = s.name().equals(BackendKind.TFLITE_XNNPACK.id());
      out.printf(Locale.ROOT, "%-16s %10.3f %10.3f %10.3f %8s %10s %8s%n", s.name(), s.medianMs(), s.p10Ms(),
          s.p90Ms(), base ? "1.00" : ratio(r.ratios().get(s.name())),
          Double.isNaN(s.cpuMedianMs()) ? "-" : String.format(Locale.ROOT, "%.3f", s.cpuMedianMs()),
          base && !Double.isNaN(s.cpuMedianMs()) ? "1.00" : ratio(r.cpuRatios().get(s.name())));
    }
    Double torch = r.ratios().get(BackendKind.TORCH.id());
    if (torch != null && torch > 1) {
      out.printf(Locale.ROOT, "the torch port is %.2fx slower than TFLite-XNNPACK on this model%s%n", torch,
          profileOps ? "" : " (--profile-ops shows where its time goes)");
    }
    if (!r.portOps().isEmpty()) {
      double total = r.portOps().stream().mapToDouble(PortBackend.OpTime::meanMs).sum();
      out.printf(Locale.ROOT, "torch port, time per op type (sum of op forwards %.3f ms per run):%n", total);
      Map<String, Double> byType = new java.util.TreeMap<>();
      r.portOps().forEach(o -> byType.merge(o.op(), o.meanMs(), Double::sum));
      byType.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed())
          .forEach(e -> out.printf(Locale.ROOT, "  %-22s %9.3f ms %5.1f%%%n", e.getKey(), e.getValue(),
              100 * e.getValue() / total));
      List<PortBackend.OpTime> top = new ArrayList<>(r.portOps());
      top.sort(Comparator.comparingDouble(PortBackend.OpTime::meanMs).reversed());
      out.println("slowest ops:");
      top.stream().limit(10).forEach(o -> out.printf(Locale.ROOT, "  #%-4d %-20s %9.3f ms  %s%n", o.index(), o.op(),
          o.meanMs(), o.output()));
    }
    r.notes().forEach(n -> out.println("note: " + n));
    if (json != null) {
      r.writeJson(json);
    }
    out.flush();
    return Main.ALIGNED;
  }
}
