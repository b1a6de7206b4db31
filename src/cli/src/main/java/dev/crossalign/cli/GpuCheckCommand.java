package dev.crossalign.cli;

import dev.crossalign.CrossalignException;
import dev.crossalign.engine.gpu.CudnnLeg;
import dev.crossalign.engine.gpu.GpuLegs;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The GPU check's own entry point, not a subcommand of crossalign's Main, so that the bundle's class path needs neither
 * libtorch nor ONNX Runtime (benchmarks/gpu-bundle.sh checks its class closure; it may use nothing of this package
 * but {@link AtLeast}): {@code export} writes a model's part of the bundle here; {@code cpu}, {@code cudnn} and
 * {@code summary} run on the GPU machine from the bundle (run-gpu-check.sh). The legs are engine.gpu's
 * {@link GpuLegs}; this class parses their options, each typed while the command line is parsed.
 *
 * <p>Exit status: 0 done, 1 done with findings (cpu: reference not reproduced; cudnn: a layer failed), 2 could not run
 * (bad arguments or files, no GPU), each with one line on stderr.
 */
@Command(name = "gpu-check", mixinStandardHelpOptions = true,
    description = "GPU check legs over a bundle built by benchmarks/gpu-bundle.sh",
    subcommands = {GpuCheckCommand.Export.class, GpuCheckCommand.Cpu.class, GpuCheckCommand.CudnnCmd.class,
        GpuCheckCommand.SummaryCmd.class})
public final class GpuCheckCommand implements Callable<Integer> {
  @Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
  }

  /** Runs the command with these writers; returns the exit status (tests call this). */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    CommandLine cmd = new CommandLine(new GpuCheckCommand());
    cmd.setOut(out);
    cmd.setErr(err);
    cmd.setParameterExceptionHandler((ex, given) -> {
      CommandLine c = ex.getCommandLine();
      c.getErr().println(c.getCommandSpec().qualifiedName() + ": " + oneLine(ex.getMessage()) + " (try '"
          + c.getCommandSpec().qualifiedName() + " --help')");
      c.getErr().flush();
      return 2;
    });
    cmd.setExecutionExceptionHandler((e, c, parsed) -> {
      if (e instanceof CrossalignException ce) {
        c.getErr().println("gpu-check " + c.getCommandName() + ": " + oneLine(ce.getMessage()));
        return ce.kind().exitStatus();
      }
      c.getErr().println("gpu-check " + c.getCommandName() + ": internal error: " + oneLine(String.valueOf(e)));
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

  /** Prints a leg's lines and refusal; its exit status. */
  static int report(CommandLine.Model.CommandSpec spec, GpuLegs.Outcome o) {
    o.lines().forEach(spec.commandLine().getOut()::println);
    if (o.refusal() != null) {
      spec.commandLine().getErr().println("gpu-check " + spec.name() + ": " + oneLine(o.refusal()));
    }
    return o.exitStatus();
  }

  private static String oneLine(String s) {
    return s == null ? "unknown error" : s.replace('\n', ' ').replace('\r', ' ');
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
      return report(spec, GpuLegs.export(models, seed, bundle));
    }
  }

  @Command(name = "cpu", mixinStandardHelpOptions = true,
      description = "TFLite again on the bundled inputs; every tensor against the bundled reference")
  static final class Cpu implements Callable<Integer> {
    @Spec CommandLine.Model.CommandSpec spec;

    @Mixin LegFiles files;

    @Override
    public Integer call() {
      return report(spec, GpuLegs.cpu(files.bundle, files.json, !files.noTruth));
    }
  }

  @Command(name = dev.crossalign.backend.BackendKind.Ids.CUDNN, mixinStandardHelpOptions = true,
      description = "Every cuDNN forward algorithm on every bundled conv, TF32 off and on")
  static final class CudnnCmd implements Callable<Integer> {
    @Spec CommandLine.Model.CommandSpec spec;

    @Mixin LegFiles files;

    @Option(names = "--device", defaultValue = "0", paramLabel = "N", converter = Ordinal.class,
        description = "CUDA device index (default: ${DEFAULT-VALUE})")
    int device;

    @Option(names = "--repeat", defaultValue = "5", paramLabel = "N", converter = Repeats.class,
        description = "forward calls per algorithm for the bitwise check, at least 2 (default: ${DEFAULT-VALUE})")
    int repeat;

    @Option(names = "--warmup", defaultValue = "3", paramLabel = "N", converter = Ordinal.class,
        description = "untimed forward calls per algorithm (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--iterations", defaultValue = "20", paramLabel = "N", converter = Iterations.class,
        description = "timed forward calls per algorithm, at least 1 (default: ${DEFAULT-VALUE})")
    int iterations;

    @Option(names = "--plan-only", description = "host checks only: load, lay out and pad every conv, no cuDNN call")
    boolean planOnly;

    @Override
    public Integer call() {
      return report(spec, GpuLegs.cudnn(files.bundle, files.json,
          new CudnnLeg.Options(device, repeat, warmup, iterations, !files.noTruth, planOnly)));
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
      return report(spec, GpuLegs.summary(dir));
    }
  }

  /** What the legs that read a bundle and write JSON (cpu, cudnn) take alike: declared once. */
  static final class LegFiles {
    @Option(names = "--bundle", required = true, paramLabel = "DIR")
    Path bundle;

    @Option(names = "--json", required = true, paramLabel = "FILE")
    Path json;

    @Option(names = "--no-truth", description = "skip the float64 host convs")
    boolean noTruth;
  }

  /** --device, --warmup: a whole number at least 0. */
  static final class Ordinal extends AtLeast {
    Ordinal() {
      super(0);
    }
  }

  /** --repeat: at least 2 calls to compare. */
  static final class Repeats extends AtLeast {
    Repeats() {
      super(2, "--repeat ");
    }
  }

  /** --iterations: at least 1. */
  static final class Iterations extends AtLeast {
    Iterations() {
      super(1, "--iterations ");
    }
  }
}
