package dev.crossalign.cli;

import dev.crossalign.backend.Device;
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
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = {
      "Inference latency of MODEL (none = the embedded demo) on several backends in one process: warm-up, then",
      "timed runs interleaved round robin across the backends; median/p10/p90 per backend and each backend's",
      "median over tflite-xnnpack's."
    })
final class BenchCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL", description = ".tflite model (default: the embedded demo)")
  Path model;

  @Option(names = "--backends", split = ",", defaultValue = "tflite,tflite-xnnpack,torch,onnxruntime",
      description = "Any of tflite, tflite-xnnpack, torch, onnxruntime (default: ${DEFAULT-VALUE})")
  List<String> backends;

  @Option(names = "--threads", defaultValue = "1", description = "Threads per backend (default: ${DEFAULT-VALUE})")
  int threads;

  @Option(names = "--device", defaultValue = "cpu", description = "torch/onnxruntime device (default: ${DEFAULT-VALUE})")
  String device;

  @Option(names = "--warmup", defaultValue = "5", description = "Untimed rounds first (default: ${DEFAULT-VALUE})")
  int warmup;

  @Option(names = "--runs", defaultValue = "30", description = "Timed rounds (default: ${DEFAULT-VALUE})")
  int runs;

  @Option(names = "--seed", defaultValue = "0", description = "Seed of the generated inputs (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--onnx", paramLabel = "FILE", description = "ONNX model for onnxruntime (default: export MODEL)")
  Path onnx;

  @Option(names = "--profile-ops", description = "Also time each op of the torch port (mean per run, top ops printed)")
  boolean profileOps;

  @Option(names = "--json", paramLabel = "FILE", description = "Write the results as JSON")
  Path json;

  @Option(names = "--verbose", description = "Stack traces for errors")
  boolean verbose;

  @Override
  public Integer call() {
    new FilePlan().input("model " + model, model).input("--onnx " + onnx, onnx).output("--json", json).check();
    BenchResult r = Bench.run(new BenchRequest(model, backends, threads, Device.parse(device), warmup, runs, seed, onnx,
        profileOps));
    PrintWriter out = spec.commandLine().getOut();
    out.printf(Locale.ROOT, "%s, %d thread(s), %d warm-up + %d interleaved runs, %s cores, %s%n", r.model(),
        r.threads(), r.warmup(), runs, r.machine().get("cores"), r.machine().get("cpu"));
    out.printf(Locale.ROOT, "%-16s %10s %10s %10s %8s%n", "backend", "median ms", "p10 ms", "p90 ms", "x xnnpack");
    for (BackendStats s : r.backends()) {
      Double ratio = r.ratios().get(s.name());
      out.printf(Locale.ROOT, "%-16s %10.3f %10.3f %10.3f %8s%n", s.name(), s.medianMs(), s.p10Ms(), s.p90Ms(),
          s.name().equals("tflite-xnnpack") ? "1.00" : ratio == null ? "-" : String.format(Locale.ROOT, "%.2f", ratio));
    }
    Double torch = r.ratios().get("torch");
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
