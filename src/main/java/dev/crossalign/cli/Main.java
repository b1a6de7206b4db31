package dev.crossalign.cli;

import dev.crossalign.CrossalignException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** crossalign: layer-by-layer validation of TFLite -> PyTorch -> ONNX conversions. */
@Command(
    name = "crossalign",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Proves a converted model computes what its source does, layer by layer (TFLite, libtorch, ONNX Runtime).",
    subcommands = {
      ValidateCommand.class,
      CompareCommand.class,
      ConvertCommand.class,
      InspectCommand.class,
      DeterminismCommand.class,
      BenchCommand.class,
      BatchCommand.class,
      TruthCommand.class,
      CommandLine.HelpCommand.class
    },
    footer = {"", "Exit status: 0 aligned, 1 misaligned, 2 unusable input or arguments, 3 ops a backend cannot run."})
public final class Main implements Runnable {
  /** Exit statuses, as documented in the README. */
  public static final int ALIGNED = 0;
  public static final int MISALIGNED = 1;
  public static final int USAGE = 2;
  public static final int UNSUPPORTED = 3;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** Commands run on a big-stack thread: ONNX Runtime 1.29 overflows Java's default 1 MiB on deep exported graphs. */
  public static void main(String[] given) throws InterruptedException {
    java.util.OptionalInt relaunched = Utf8Relaunch.runIfNeeded(given);
    if (relaunched.isPresent()) {
      System.exit(relaunched.getAsInt());
    }
    String[] args = Utf8Relaunch.arguments(given);
    int[] status = {USAGE};
    status[0] = dev.crossalign.backend.BigStack.call("crossalign",
        () -> run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    System.exit(status[0]);
  }

  /** The whole CLI, for tests: captured writers in, exit status out. */
  static int run(PrintWriter out, PrintWriter err, String... args) {
    // native libraries' own log lines (ONNX Runtime's) pass only with --verbose; read where they are set up, and
    // restored after the run so that one verbose run does not make a whole test JVM verbose
    String wasVerbose = System.getProperty("crossalign.verbose");
    if (java.util.Arrays.asList(args).contains("--verbose")) {
      System.setProperty("crossalign.verbose", "true");
    }
    CommandLine cmd = commandLine(out, err);
    try {
      return execute(cmd, err, args);
    } finally {
      if (wasVerbose == null) {
        System.clearProperty("crossalign.verbose");
      } else {
        System.setProperty("crossalign.verbose", wasVerbose);
      }
    }
  }

  private static int execute(CommandLine cmd, PrintWriter err, String... args) {
    try {
      return cmd.execute(args);
    } catch (OutOfMemoryError e) {
      // picocli hands Errors through; a model too large for this heap is still a one-line answer, not a trace
      err.println("crossalign: out of Java heap memory (" + oneLine(e.getMessage())
          + "): the model's tensors do not fit; run java with a larger -Xmx");
      err.flush();
      return USAGE;
    }
  }

  static CommandLine commandLine(PrintWriter out, PrintWriter err) {
    CommandLine cmd = new CommandLine(new Main());
    cmd.setOut(out);
    cmd.setErr(err);
    cmd.setParameterExceptionHandler(
        (ex, args) -> {
          CommandLine c = ex.getCommandLine();
          c.getErr().println("crossalign: " + oneLine(ex.getMessage()) + " (try '" + c.getCommandSpec().qualifiedName() + " --help')");
          c.getErr().flush();
          return USAGE;
        });
    cmd.setExecutionExceptionHandler(
        (ex, commandLine, parseResult) -> {
          boolean verbose = parseResult.originalArgs().contains("--verbose");
          PrintWriter e = commandLine.getErr();
          if (ex instanceof CrossalignException ce) {
            e.println("crossalign: " + oneLine(ce.getMessage()));
            if (verbose || ce.kind() == CrossalignException.Kind.INTERNAL && verbose) {
              ce.printStackTrace(e);
            }
            e.flush();
            return ce.kind().exitStatus();
          }
          e.println("crossalign: internal error: " + oneLine(String.valueOf(ex)) + (verbose ? "" : " (--verbose for details)"));
          if (verbose) {
            ex.printStackTrace(e);
          }
          e.flush();
          return USAGE;
        });
    return cmd;
  }

  static String oneLine(String s) {
    if (s == null) {
      return "unknown error";
    }
    return s.replace('\n', ' ').replace('\r', ' ');
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Version from the jar manifest, else the development version. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"crossalign " + (v == null ? "0.1.0-SNAPSHOT" : v),
          "TFLite 2.20.0, libtorch 2.10.0 (JavaCPP 1.5.13), ONNX Runtime 1.29.0"};
    }
  }
}
