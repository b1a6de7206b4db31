package dev.crossalign.engine.gpu;

import dev.crossalign.CrossalignException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The GPU check's Java entry point (its own main, not the CLI's, so that the bundle's class path needs neither libtorch
 * nor ONNX Runtime): {@code export} writes a model's part of the bundle here; {@code cpu}, {@code cudnn} and
 * {@code summary} run on the GPU machine from the bundle (benchmarks/gpu-bundle.sh, run-gpu-check.sh).
 *
 * <p>Exit status: 0 done, 1 done with findings (cpu: reference not reproduced; cudnn: a layer failed), 2 could not run
 * (bad arguments or files, no GPU), each with one line on stderr.
 */
@Command(name = "gpu-check", mixinStandardHelpOptions = true,
    description = "GPU check legs over a bundle built by benchmarks/gpu-bundle.sh",
    subcommands = {GpuCheck.Export.class, GpuCheck.Cpu.class, GpuCheck.CudnnCmd.class, GpuCheck.SummaryCmd.class})
public final class GpuCheck implements Callable<Integer> {
  @Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
  }

  /** Runs the command with these writers; returns the exit status (tests call this). */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    CommandLine cmd = new CommandLine(new GpuCheck());
    cmd.setOut(out);
    cmd.setErr(err);
    cmd.setExecutionExceptionHandler((e, c, parsed) -> {
      if (e instanceof CrossalignException ce) {
        c.getErr().println("gpu-check " + c.getCommandName() + ": " + ce.getMessage());
        return ce.kind().exitStatus();
      }
      c.getErr().println("gpu-check " + c.getCommandName() + ": internal error: " + e);
      return 2;
    });
    cmd.setExitCodeExceptionMapper(e -> 2);
    return cmd.execute(args);
  }

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return 2;
  }

  @Command(name = "export", mixinStandardHelpOptions = true,
      description = "Write models into a bundle: the model, seeded inputs, the TFLite reference's tensors, conv weights")
  static final class Export implements Callable<Integer> {
    @Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "NAME=FILE", description = "a model to bundle (repeat)")
    Map<String, Path> models = new LinkedHashMap<>();

    @Option(names = "--bundle", required = true, paramLabel = "DIR")
    Path bundle;

    @Option(names = "--seed", defaultValue = "0")
    long seed;

    @Override
    public Integer call() {
      for (Map.Entry<String, Path> e : models.entrySet()) {
        BundleManifest m = BundleExport.export(e.getValue(), e.getKey(), seed, bundle);
        spec.commandLine().getOut().println("export: " + m.name() + ": " + m.convs().size() + " convs, "
            + m.skipped().size() + " skipped, TFLite " + m.tfliteVersion());
      }
      return 0;
    }
  }

  @Command(name = "cpu", mixinStandardHelpOptions = true,
      description = "TFLite again on the bundled inputs; every tensor against the bundled reference")
  static final class Cpu implements Callable<Integer> {
    @Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--bundle", required = true, paramLabel = "DIR")
    Path bundle;

    @Option(names = "--json", required = true, paramLabel = "FILE")
    Path json;

    @Option(names = "--no-truth", description = "skip the float64 host convs")
    boolean noTruth;

    @Override
    public Integer call() {
      CpuLeg.Report r = CpuLeg.run(bundle, !noTruth);
      Json.write(json, r);
      r.lines().forEach(spec.commandLine().getOut()::println);
      return r.pass() ? 0 : 1;
    }
  }

  @Command(name = dev.crossalign.backend.BackendKind.Ids.CUDNN, mixinStandardHelpOptions = true,
      description = "Every cuDNN forward algorithm on every bundled conv, TF32 off and on")
  static final class CudnnCmd implements Callable<Integer> {
    @Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--bundle", required = true, paramLabel = "DIR")
    Path bundle;

    @Option(names = "--json", required = true, paramLabel = "FILE")
    Path json;

    @Option(names = "--device", defaultValue = "0")
    int device;

    @Option(names = "--repeat", defaultValue = "5", description = "forward calls per algorithm for the bitwise check")
    int repeat;

    @Option(names = "--warmup", defaultValue = "3")
    int warmup;

    @Option(names = "--iterations", defaultValue = "20", description = "timed forward calls per algorithm")
    int iterations;

    @Option(names = "--no-truth", description = "skip the float64 host convs")
    boolean noTruth;

    @Option(names = "--plan-only", description = "host checks only: load, lay out and pad every conv, no cuDNN call")
    boolean planOnly;

    @Override
    public Integer call() {
      CudnnLeg.Report r = CudnnLeg.run(bundle,
          new CudnnLeg.Options(device, repeat, warmup, iterations, !noTruth, planOnly));
      Json.write(json, r);
      r.lines().forEach(spec.commandLine().getOut()::println);
      if ("unavailable".equals(r.status())) {
        spec.commandLine().getErr().println("gpu-check cudnn: " + r.reason());
        return 2;
      }
      return r.layers().stream().anyMatch(l -> l.error() != null) ? 1 : 0;
    }
  }

  @Command(name = "summary", mixinStandardHelpOptions = true,
      description = "Merge the legs' JSON in DIR into check.json and summary.md")
  static final class SummaryCmd implements Callable<Integer> {
    @Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--dir", required = true, paramLabel = "DIR")
    Path dir;

    @Override
    public Integer call() {
      Summary.write(dir).forEach(spec.commandLine().getOut()::println);
      return 0;
    }
  }
}
