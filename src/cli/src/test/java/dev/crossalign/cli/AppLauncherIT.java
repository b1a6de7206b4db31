package dev.crossalign.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged app, run as a user runs it: target/crossalign/bin/crossalign in a child process. Runs in mvn verify
 * (surefire's app-integration-tests execution, after package), where a missing app folder is a failure; run alone
 * without a package it skips.
 */
class AppLauncherIT {
  static final Path APP = Path.of("target", "crossalign").toAbsolutePath();
  static final Path LAUNCHER = APP.resolve("bin/crossalign");
  static final Path CACHE = Path.of("target", "app-it-cache").toAbsolutePath();

  record Proc(int status, String out, String err) {}

  @BeforeAll
  static void appBuilt() {
    boolean required = Boolean.getBoolean("crossalign.app.required");
    if (required) {
      assertThat(LAUNCHER).as("mvn package builds the app folder").isExecutable();
    } else {
      assumeTrue(Files.isExecutable(LAUNCHER), "no " + LAUNCHER + ": run mvn package (mvn verify runs this test after it)");
    }
  }

  static Proc exec(Map<String, String> env, String... command) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().remove("CROSSALIGN_OPTS");
    pb.environment().remove("CROSSALIGN_CDS");
    // the launcher's class-data archives go to a cache of the tests' own, not the user's
    pb.environment().put("XDG_CACHE_HOME", CACHE.toString());
    pb.environment().putAll(env);
    Path out = Files.createTempFile("crossalign-it", ".out");
    Path err = Files.createTempFile("crossalign-it", ".err");
    try {
      pb.redirectOutput(out.toFile()).redirectError(err.toFile());
      Process p = pb.start();
      assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("finished within 120 s").isTrue();
      return new Proc(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  /** DIR/bin/java as a shell script running BODY, for JAVA_HOME=DIR: what the launcher would start, without a JVM. */
  static Path fakeJava(Path dir, String body) throws IOException {
    Path java = Files.createDirectories(dir.resolve("bin")).resolve("java");
    Files.writeString(java, "#!/bin/sh\n" + body);
    assertThat(java.toFile().setExecutable(true)).isTrue();
    return java;
  }

  @Test
  void launcherPrintsTheProjectVersion() throws Exception {
    Proc p = exec(Map.of(), LAUNCHER.toString(), "--version");
    assertThat(p.status()).as(p.err()).isZero();
    String expected = System.getProperty("crossalign.project.version", "0.1.0-SNAPSHOT");
    assertThat(p.out().lines().findFirst()).hasValue("crossalign " + expected);
    assertThat(p.err()).isEmpty();
  }

  @Test
  void launcherFindsItsFolderThroughASymlinkOnThePath(@TempDir Path dir) throws Exception {
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Files.createSymbolicLink(bin.resolve("crossalign"), LAUNCHER);
    Proc p = exec(Map.of("PATH", bin + ":" + System.getenv("PATH")), "sh", "-c", "cd / && crossalign validate --version");
    assertThat(p.status()).as(p.err()).isZero();
    assertThat(p.out()).startsWith("crossalign ");
  }

  @Test
  void crossalignOptsReachTheJvm() throws Exception {
    // a heap too small for any JVM to start: the JVM itself refuses, which proves the option got there
    Proc p = exec(Map.of("CROSSALIGN_OPTS", "-Xmx64k"), LAUNCHER.toString(), "--version");
    assertThat(p.status()).isNotZero();
    assertThat(p.out() + p.err()).containsIgnoringCase("heap");
  }

  /**
   * glibc reads its malloc settings from the environment when the JVM starts: the launcher exports its defaults (one
   * arena and 32 MiB thresholds for one-shot commands, two arenas and 1 MiB for batch, whose workers inherit them),
   * and a caller's own value wins. The "java" here is a script that prints the environment it was started with.
   */
  @Test
  void mallocSettingsReachTheJvmUnlessTheCallerSetThem(@TempDir Path dir) throws Exception {
    Path fakeJava = fakeJava(dir, "env\n");
    // empty counts as unset for the launcher (as for glibc): whatever the build's own environment holds
    Map<String, String> env = new java.util.HashMap<>(Map.of("JAVA_HOME", dir.toString(), "MALLOC_ARENA_MAX", "",
        "MALLOC_MMAP_THRESHOLD_", "", "MALLOC_TRIM_THRESHOLD_", "", "CROSSALIGN_CDS", "off"));
    for (String[] cmd : new String[][] {{"--version"}, {"validate", "m.tflite"}, {"bench", "m.tflite"}}) {
      Proc p = exec(env, java.util.stream.Stream.concat(java.util.stream.Stream.of(LAUNCHER.toString()),
          java.util.Arrays.stream(cmd)).toArray(String[]::new));
      assertThat(p.status()).as(p.err()).isZero();
      assertThat(p.out().lines()).as(String.join(" ", cmd))
          .contains("MALLOC_ARENA_MAX=1", "MALLOC_MMAP_THRESHOLD_=33554432", "MALLOC_TRIM_THRESHOLD_=67108864");
    }
    Proc batch = exec(env, LAUNCHER.toString(), "batch", "m.csv");
    assertThat(batch.out().lines()).contains("MALLOC_ARENA_MAX=2", "MALLOC_MMAP_THRESHOLD_=1048576")
        .noneMatch(l -> l.startsWith("MALLOC_TRIM_THRESHOLD_=") && !l.equals("MALLOC_TRIM_THRESHOLD_="));
    env.put("MALLOC_ARENA_MAX", "8");
    env.put("MALLOC_MMAP_THRESHOLD_", "4096");
    Proc q = exec(env, LAUNCHER.toString(), "validate", "m.tflite");
    assertThat(q.out().lines()).contains("MALLOC_ARENA_MAX=8", "MALLOC_MMAP_THRESHOLD_=4096",
        "MALLOC_TRIM_THRESHOLD_=67108864");
    assertThat(exec(env, LAUNCHER.toString(), "batch", "m.csv").out().lines())
        .contains("MALLOC_ARENA_MAX=8", "MALLOC_MMAP_THRESHOLD_=4096");
  }

  static final Path TCMALLOC = Path.of("/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4");

  /**
   * bench preloads tcmalloc where the machine has it, other commands keep glibc's malloc; CROSSALIGN_MALLOC chooses
   * (glibc, or a library for any command) and a caller's own LD_PRELOAD is left alone. The "java" prints its env.
   */
  @Test
  void benchPreloadsTcmallocWhereInstalledAndCrossalignMallocChooses(@TempDir Path dir) throws Exception {
    Path fakeJava = fakeJava(dir, "env\n");
    Map<String, String> env = new java.util.HashMap<>(Map.of("JAVA_HOME", dir.toString(), "LD_PRELOAD", "",
        "CROSSALIGN_MALLOC", "", "CROSSALIGN_CDS", "off"));
    java.util.function.Function<String, java.util.Optional<String>> preload = out -> out.lines()
        .filter(l -> l.startsWith("LD_PRELOAD=")).map(l -> l.substring(11)).filter(v -> !v.isEmpty()).findFirst();
    boolean installed = Files.isReadable(TCMALLOC);
    assertThat(preload.apply(exec(env, LAUNCHER.toString(), "bench", "m.tflite").out()))
        .isEqualTo(installed ? java.util.Optional.of(TCMALLOC.toString()) : java.util.Optional.empty());
    assertThat(preload.apply(exec(env, LAUNCHER.toString(), "validate", "m.tflite").out())).isEmpty();
    env.put("CROSSALIGN_MALLOC", "glibc");
    assertThat(preload.apply(exec(env, LAUNCHER.toString(), "bench", "m.tflite").out())).isEmpty();
    Path lib = dir.resolve("libmymalloc.so");
    Files.write(lib, new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0});
    env.put("CROSSALIGN_MALLOC", lib.toString());
    assertThat(preload.apply(exec(env, LAUNCHER.toString(), "validate", "m.tflite").out()))
        .contains(lib.toString());
    env.put("CROSSALIGN_MALLOC", "");
    env.put("LD_PRELOAD", "/opt/mine.so");
    assertThat(preload.apply(exec(env, LAUNCHER.toString(), "bench", "m.tflite").out())).contains("/opt/mine.so");
    env.put("LD_PRELOAD", "");
    for (String bad : new String[] {"tcmalloc", dir.resolve("missing.so").toString(), dir.toString(),
        fakeJava.toString()}) {
      env.put("CROSSALIGN_MALLOC", bad);
      Proc p = exec(env, LAUNCHER.toString(), "bench", "m.tflite");
      assertThat(p.status()).as(bad).isEqualTo(2);
      assertThat(p.out()).isEmpty();
      assertThat(p.err().lines()).hasSize(1).allMatch(l -> l.startsWith("crossalign: CROSSALIGN_MALLOC"));
    }
  }

  /** The real JVM and natives under the preloaded tcmalloc: bench runs and its JSON says which malloc served it. */
  @Test
  void benchRunsUnderTcmallocAndSaysSo(@TempDir Path dir) throws Exception {
    if ("true".equals(System.getenv("CI"))) {
      assertThat(TCMALLOC).as(".ci/run installs libtcmalloc-minimal4").isReadable();
    } else {
      assumeTrue(Files.isReadable(TCMALLOC), "no " + TCMALLOC + " (apt-get install libtcmalloc-minimal4)");
    }
    Path json = dir.resolve("b.json");
    Proc p = exec(Map.of("LD_PRELOAD", "", "CROSSALIGN_MALLOC", ""), LAUNCHER.toString(), "bench", "--backends",
        "tflite,torch", "--warmup", "1", "--runs", "3", "--json", json.toString());
    assertThat(p.status()).as(p.err()).isZero();
    assertThat(Files.readString(json)).contains("\"malloc\" : \"allocator=tcmalloc (" + TCMALLOC.toRealPath());
  }

  /**
   * batch's own JVM starts with a small heap (its workers run the rows), other commands with the JVM's default, and a
   * heap size in CROSSALIGN_OPTS replaces it. The "java" here is a script that prints its arguments.
   */
  @Test
  void batchsOwnJvmStartsWithASmallHeap(@TempDir Path dir) throws Exception {
    fakeJava(dir, "echo \"$@\"\n");
    Map<String, String> env = new java.util.HashMap<>(Map.of("JAVA_HOME", dir.toString(), "CROSSALIGN_CDS", "off"));
    Proc batch = exec(env, LAUNCHER.toString(), "batch", "m.csv");
    assertThat(batch.status()).as(batch.err()).isZero();
    assertThat(batch.out()).contains(" -Xms64m ").contains("dev.crossalign.cli.Main batch m.csv");
    assertThat(batch.out()).doesNotContain("-Xmn");
    // one-shot commands start small with a small young generation, so that the heap's RSS follows what is live;
    // bench's timed runs keep the JVM's default start
    assertThat(exec(env, LAUNCHER.toString(), "validate", "batch").out()).contains(" -Xms64m -Xmn32m ");
    assertThat(exec(env, LAUNCHER.toString(), "compare", "a", "b").out()).contains(" -Xms64m -Xmn32m ");
    assertThat(exec(env, LAUNCHER.toString(), "bench", "m.tflite").out()).doesNotContain("-Xms").doesNotContain("-Xmn");
    env.put("CROSSALIGN_OPTS", "-Xmx48m");
    Proc own = exec(env, LAUNCHER.toString(), "batch", "m.csv");
    assertThat(own.out()).contains("-Xmx48m").doesNotContain("-Xms64m");
    assertThat(exec(env, LAUNCHER.toString(), "validate", "m.tflite").out()).contains("-Xmx48m")
        .doesNotContain("-Xms64m").doesNotContain("-Xmn");
    env.put("CROSSALIGN_OPTS", "-Xmn200m");
    assertThat(exec(env, LAUNCHER.toString(), "validate", "m.tflite").out()).contains("-Xmn200m")
        .doesNotContain("-Xms64m").doesNotContain("-Xmn32m");
  }

  @Test
  void aCommandsFirstRunArchivesItsClassesForTheNextRuns(@TempDir Path dir) throws Exception {
    Map<String, String> cache = Map.of("XDG_CACHE_HOME", dir.toString());
    Path cds = dir.resolve("crossalign/cds");
    // --version and --help do no command's work: nothing is archived
    assertThat(exec(cache, LAUNCHER.toString(), "validate", "--version").status()).isZero();
    assertThat(archives(cds)).isEmpty();
    Proc first = exec(cache, LAUNCHER.toString(), "validate", "--mode", "chained");
    assertThat(first.status()).as(first.err()).isZero();
    List<String> made = archives(cds);
    assertThat(made).as("one archive, renamed from its temporary name").hasSize(1)
        .allSatisfy(f -> assertThat(f).matches("validate-[0-9]+\\.jsa"));
    // oracle: the JVM's own class-loading log says which classes came from the archive
    Path log = dir.resolve("classes.log");
    Proc second = exec(Map.of("XDG_CACHE_HOME", dir.toString(), "CROSSALIGN_OPTS", "-Xlog:class+load:file=" + log),
        LAUNCHER.toString(), "validate", "--mode", "chained");
    assertThat(second.status()).as(second.err()).isZero();
    assertThat(Files.readString(log)).contains("dev.crossalign.engine.Validator source: shared objects file (top)");
    // an archive the JVM cannot use (another Java's, a stale one: here not an archive at all) is ignored silently
    Files.writeString(cds.resolve(made.get(0)), "not an archive");
    Proc third = exec(cache, LAUNCHER.toString(), "validate", "--mode", "chained");
    assertThat(third.status()).as(third.err()).isZero();
    // the archive changes nothing a user reads: the same report (it has no times) each time, no JVM notes
    assertThat(second.out()).isEqualTo(first.out()).isEqualTo(third.out());
    assertThat(first.err() + second.err() + third.err()).doesNotContain("[cds").doesNotContain("warning");
  }

  /**
   * The archive a first run writes is kept after exit 0, 1 and 3 (a batch or validate with an op a backend cannot run
   * did the command's work), dropped after 2 (an early refusal). The "java" here writes the archive it is asked for
   * and exits with FAKE_STATUS.
   */
  @Test
  void anArchiveIsKeptAfterARunThatDidTheWork(@TempDir Path dir) throws Exception {
    fakeJava(dir, "for a in \"$@\"; do case $a in -XX:ArchiveClassesAtExit=*) echo archive > \"${a#*=}\";;"
        + " esac; done\nexit $FAKE_STATUS\n");
    for (int status : new int[] {0, 1, 2, 3}) {
      Path cache = dir.resolve("cache-" + status);
      Proc p = exec(Map.of("JAVA_HOME", dir.toString(), "XDG_CACHE_HOME", cache.toString(), "FAKE_STATUS",
          String.valueOf(status)), LAUNCHER.toString(), "batch", "m.csv");
      assertThat(p.status()).isEqualTo(status);
      assertThat(archives(cache.resolve("crossalign/cds"))).as("exit " + status)
          .hasSize(status == 2 ? 0 : 1).allSatisfy(f -> assertThat(f).matches("batch-[0-9]+\\.jsa"));
    }
  }

  private static List<String> archives(Path cds) throws IOException {
    if (!Files.isDirectory(cds)) {
      return List.of();
    }
    try (var files = Files.list(cds)) {
      return files.map(f -> f.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void aJavaHomeWithoutJavaIsOneLine(@TempDir Path dir) throws Exception {
    Proc p = exec(Map.of("JAVA_HOME", dir.toString()), LAUNCHER.toString(), "--version");
    assertThat(p.status()).isEqualTo(2);
    assertThat(p.err().lines()).hasSize(1);
    assertThat(p.err()).startsWith("crossalign: JAVA_HOME is set to");
  }

  @Test
  void bareCommandExitsTwoWithUsage() throws Exception {
    Proc p = exec(Map.of(), LAUNCHER.toString());
    assertThat(p.status()).isEqualTo(2);
    assertThat(p.err()).contains("Usage: crossalign");
  }

  @Test
  void theJarCopiedAloneSaysSoInOneLine(@TempDir Path dir) throws Exception {
    Path jar = Files.copy(APP.resolve("lib/crossalign.jar"), dir.resolve("crossalign.jar"));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Proc p = exec(Map.of(), java, "-jar", jar.toString(), "--version");
    assertThat(p.status()).isEqualTo(2);
    assertThat(p.err().lines()).hasSize(1);
    assertThat(p.err()).startsWith("crossalign: the runtime libraries are not on the class path (picocli.CommandLine")
        .doesNotContain("Exception", "\tat ");
  }

  @Test
  void theArchiveHoldsTheSameAppWithAnExecutableLauncher() throws Exception {
    Path tgz = APP.resolveSibling("crossalign.tar.gz");
    assertThat(tgz).exists();
    Proc p = exec(Map.of(), "tar", "-tzvf", tgz.toString());
    assertThat(p.status()).as(p.err()).isZero();
    List<String> lines = p.out().lines().toList();
    assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("-rwxr-xr-x").endsWith(" crossalign/bin/crossalign"));
    List<String> jars = new ArrayList<>();
    for (String l : lines) {
      if (l.endsWith(".jar")) {
        jars.add(l.substring(l.lastIndexOf('/') + 1));
      }
    }
    try (var files = Files.list(APP.resolve("lib"))) {
      assertThat(jars).containsExactlyInAnyOrderElementsOf(files.map(f -> f.getFileName().toString()).toList());
    }
    assertThat(jars).contains("crossalign.jar");
    assertThat(Files.getPosixFilePermissions(LAUNCHER)).contains(PosixFilePermission.OTHERS_EXECUTE);
  }

  @Test
  void progressShowsOnATerminalStderrWithStdoutRedirected(@TempDir Path dir) throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/script")), "util-linux script (a pseudo-terminal) is not installed");
    Path out = dir.resolve("out.txt");
    // script gives the command a terminal; stdout goes to a file, stderr stays on the terminal
    Proc p = exec(Map.of(), "/usr/bin/script", "-qec", LAUNCHER + " validate > " + out, "/dev/null");
    assertThat(p.status()).as(p.out() + p.err()).isZero();
    assertThat(Files.readString(out)).contains("ALIGNED:").doesNotContain("\r");
    assertThat(p.out()).contains("\rvalidate [").contains("/5 ");
    // with stderr not a terminal (a file here), no bar at all
    Proc q = exec(Map.of(), LAUNCHER.toString(), "validate");
    assertThat(q.err()).doesNotContain("validate [");
  }

  @Test
  void outputFilesGetTheUsersUmask(@TempDir Path dir) throws Exception {
    // oracle: open(2) gives a new file 0666 less the umask; 002 keeps group write, 077 keeps others out
    for (String[] c : new String[][] {{"002", "rw-rw-r--"}, {"077", "rw-------"}}) {
      Path d = Files.createDirectory(dir.resolve("u" + c[0]));
      String cmd = "umask " + c[0] + " && " + LAUNCHER + " validate --mode chained -q --export-onnx " + d.resolve("m.onnx")
          + " --json " + d.resolve("r.json") + " --html " + d.resolve("r.html") + " --dump-dir " + d.resolve("dump")
          + " && " + LAUNCHER + " inspect --json " + d.resolve("i.json");
      Proc p = exec(Map.of(), "sh", "-c", cmd);
      assertThat(p.status()).as(p.out() + p.err()).isZero();
      for (Path f : List.of(d.resolve("m.onnx"), d.resolve("r.json"), d.resolve("r.html"), d.resolve("i.json"),
          d.resolve("dump/tflite.npz"))) {
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(f)))
            .as(f + " under umask " + c[0]).isEqualTo(c[1]);
      }
    }
  }
}
