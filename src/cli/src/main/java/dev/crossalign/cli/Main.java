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
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {Main.EXIT_ALIGNED, Main.EXIT_MISALIGNED, Main.EXIT_USAGE, Main.EXIT_UNSUPPORTED},
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
    })
public final class Main implements java.util.concurrent.Callable<Integer> {
  /** Exit statuses, as documented in the README. */
  public static final int ALIGNED = 0;
  public static final int MISALIGNED = 1;
  public static final int USAGE = 2;
  public static final int UNSUPPORTED = 3;

  // The exit code lists of the commands' help ("status:meaning", picocli's exitCodeList format)
  static final String EXIT_ALIGNED = "0:aligned: every compared tensor within tolerance";
  static final String EXIT_MISALIGNED = "1:misaligned: at least one tensor out of tolerance (the first is named)";
  static final String EXIT_USAGE = "2:unusable input or arguments (one line says what and where)";
  static final String EXIT_UNSUPPORTED = "3:a valid model with ops a backend cannot run (named, with the reason)";
  static final String EXIT_DONE = "0:done";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** Commands run on a big-stack thread: ONNX Runtime 1.29 overflows Java's default 1 MiB on deep exported graphs. */
  public static void main(String[] given) throws InterruptedException {
    java.util.OptionalInt relaunched = Utf8Relaunch.runIfNeeded(given);
    if (relaunched.isPresent()) {
      System.exit(relaunched.getAsInt());
    }
    String[] args = Utf8Relaunch.arguments(given);
    // TFLite's INFO/ERROR lines, libtorch's and ONNX Runtime's warnings go to descriptor 2 raw; captured, they are
    // folded into the one-line error instead. --verbose leaves them on the terminal. After the relaunch check: a
    // relaunched JVM inherits this one's descriptor 2 and captures for itself.
    if (!java.util.Arrays.asList(args).contains("--verbose")) {
      dev.crossalign.backend.NativeLog.install();
    }
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
    // every subcommand's --version prints what the top level prints (picocli gives subcommands no provider)
    for (CommandLine sub : cmd.getSubcommands().values()) {
      if (sub.getCommandSpec().versionProvider() == null) {
        sub.getCommandSpec().versionProvider(new Version());
      }
    }
    cmd.setParameterExceptionHandler(
        (ex, args) -> {
          CommandLine c = ex.getCommandLine();
          c.getErr().println("crossalign: " + oneLine(ex.getMessage()) + didYouMean(ex) + " (try '"
              + c.getCommandSpec().qualifiedName() + " --help')");
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

  /** picocli's suggestions for a mistyped command or option ("valdate", "--backend"), or "" when it has none. */
  static String didYouMean(CommandLine.ParameterException ex) {
    if (ex instanceof CommandLine.UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
      // picocli ranks every name by similarity; keep the ones a typo away (edit distance at most a third of the word)
      String typed = u.getUnmatched().get(0).replaceFirst("=.*", "");
      java.util.List<String> close = u.getSuggestions().stream()
          .filter(s -> editDistance(typed, s) <= Math.max(2, typed.length() / 3))
          .limit(3)
          .toList();
      if (!close.isEmpty()) {
        return "; did you mean " + String.join(" or ", close) + "?";
      }
    }
    return "";
  }

  /** Levenshtein distance. */
  static int editDistance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int subst = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        cur[j] = Math.min(subst, Math.min(prev[j] + 1, cur[j - 1] + 1));
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  static String oneLine(String s) {
    if (s == null) {
      return "unknown error";
    }
    return s.replace('\n', ' ').replace('\r', ' ');
  }

  /** No command given: the usage on stderr and exit 2, like any other missing argument. */
  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    spec.commandLine().getErr().flush();
    return USAGE;
  }

  /** The versions the build recorded (dev.crossalign.Versions), as the reports print them too. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return dev.crossalign.Versions.lines();
    }
  }
}
