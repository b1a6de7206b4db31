package dev.crossalign.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.testutil.FifoCanary;
import dev.crossalign.testutil.TestModels;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files that are not what they seem: FIFOs, devices and directories as models or inputs, outputs that are inputs,
 * outputs that cannot be written. Each is refused with one line and exit 2 before anything is read or run.
 */
class HostileFilesTest {
  @TempDir Path dir;

  private static void assertOneLineError(CliTestSupport.Run r, String... fragments) {
    assertThat(r.status()).as("exit status; stderr: " + r.err()).isEqualTo(2);
    assertThat(r.err().strip().lines().count()).as("one line: " + r.err()).isEqualTo(1);
    assertThat(r.err()).startsWith("crossalign: ");
    for (String f : fragments) {
      assertThat(r.err()).contains(f);
    }
  }

  private static CliTestSupport.Run runBounded(String... args) {
    // a FIFO that were opened would block forever: the bound turns a hang into a failure
    return assertTimeoutPreemptively(Duration.ofSeconds(120), () -> CliTestSupport.run(args), String.join(" ", args));
  }

  /** Every command that reads a model, with MODEL standing for the path under test. */
  private List<String[]> modelCommands(Path model) throws IOException {
    Path onnx = tinyOnnx("ok.onnx");
    String m = model.toString();
    return List.of(
        new String[] {"validate", m},
        new String[] {"inspect", m},
        new String[] {"convert", m, "-o", dir.resolve("out.onnx").toString()},
        new String[] {"determinism", m},
        new String[] {"bench", m},
        new String[] {"compare", m, onnx.toString()},
        new String[] {"compare", onnx.toString(), m});
  }

  @Test
  void aFifoAsModelIsRefusedWithoutOpeningIt() throws Exception {
    try (FifoCanary fifo = FifoCanary.create(dir.resolve("model.tflite"))) {
      for (String[] args : modelCommands(fifo.path())) {
        assertOneLineError(runBounded(args), "model.tflite", "not a regular file");
      }
      assertThat(fifo.opened()).isFalse();
    }
  }

  @Test
  void aDeviceAndADirectoryAsModelAreRefused() throws Exception {
    Path zero = Path.of("/dev/zero");
    if (Files.exists(zero)) {
      for (String[] args : modelCommands(zero)) {
        assertOneLineError(runBounded(args), "/dev/zero", "not a regular file");
      }
    }
    Path folder = Files.createDirectories(dir.resolve("folder.tflite"));
    for (String[] args : modelCommands(folder)) {
      assertOneLineError(runBounded(args), "folder.tflite", "is a directory");
    }
  }

  @Test
  void aFifoAsInputOrManifestIsRefusedWithoutOpeningIt() throws Exception {
    try (FifoCanary fifo = FifoCanary.create(dir.resolve("x.npy"))) {
      assertOneLineError(runBounded("validate", "--input", "x=" + fifo.path()), "x.npy", "not a regular file");
      // a .npy without NAME= is refused while the command line is parsed, before any file is looked at
      assertOneLineError(runBounded("validate", "--input", fifo.path().toString()), "x.npy",
          "--input must be NAME=FILE.npy or FILE.npz");
      assertThat(fifo.opened()).isFalse();
    }
    try (FifoCanary fifo = FifoCanary.create(dir.resolve("in.npz"))) {
      assertOneLineError(runBounded("validate", "--input", fifo.path().toString()), "in.npz", "not a regular file");
      assertThat(fifo.opened()).isFalse();
    }
    try (FifoCanary fifo = FifoCanary.create(dir.resolve("manifest.csv"))) {
      assertOneLineError(runBounded("batch", fifo.path().toString()), "manifest.csv", "not a regular file");
      assertThat(fifo.opened()).isFalse();
    }
    assertOneLineError(runBounded("validate", "--input", "x=/dev/zero"), "/dev/zero", "not a regular file");
  }

  @Test
  void anOutputThatIsAnInputIsRefusedAndTheInputKept() throws Exception {
    byte[] orig = Files.readAllBytes(TestModels.require("hand_recrop.tflite"));
    Path m = Files.write(dir.resolve("m.tflite"), orig);
    Path link = Files.createSymbolicLink(dir.resolve("link.json"), m);
    Path hard = Files.createLink(dir.resolve("hard.html"), m);
    Path onnx = tinyOnnx("a.onnx");
    byte[] onnxBytes = Files.readAllBytes(onnx);
    List<String[]> cases = List.of(
        new String[] {"validate", m.toString(), "--json", m.toString()},
        new String[] {"validate", m.toString(), "--json", link.toString()},
        new String[] {"validate", m.toString(), "--html", hard.toString()},
        new String[] {"validate", m.toString(), "--junit", dir.resolve(".").resolve("m.tflite").toString()},
        new String[] {"validate", m.toString(), "--export-onnx", m.toString()},
        new String[] {"convert", m.toString(), "-o", m.toString()},
        new String[] {"inspect", m.toString(), "--json", m.toString()},
        new String[] {"determinism", m.toString(), "--json", m.toString()},
        new String[] {"bench", m.toString(), "--json", m.toString()},
        new String[] {"compare", m.toString(), onnx.toString(), "--json", onnx.toString()});
    for (String[] args : cases) {
      assertOneLineError(runBounded(args), "overwrite");
    }
    assertThat(Files.readAllBytes(m)).isEqualTo(orig);
    assertThat(Files.readAllBytes(onnx)).isEqualTo(onnxBytes);
  }

  @Test
  void anOutputThatCannotBeWrittenIsRefusedBeforeTheRun() throws Exception {
    Path m = Files.copy(TestModels.require("hand_recrop.tflite"), dir.resolve("m.tflite"));
    Path file = Files.writeString(dir.resolve("plain.txt"), "x");
    Path folder = Files.createDirectories(dir.resolve("reports"));
    CliTestSupport.Run r = runBounded("validate", m.toString(), "--json", file.resolve("r.json").toString());
    assertOneLineError(r, "--json", "plain.txt is a file, not a folder");
    assertThat(r.out()).as("nothing ran").isEmpty();
    assertOneLineError(runBounded("validate", m.toString(), "--html", folder.toString()), "--html", "is a directory");
    assertOneLineError(runBounded("validate", m.toString(), "--dump-dir", file.toString()), "--dump-dir",
        "is a file, not a folder");
    assertOneLineError(runBounded("convert", m.toString(), "-o", file.resolve("x.onnx").toString()), "-o");
    assertOneLineError(runBounded("batch", Files.writeString(dir.resolve("b.csv"), "model\ndemo\n").toString(),
        "--jsonl", file.resolve("r.jsonl").toString()), "--jsonl");
  }

  @Test
  void batchAppendsToAForeignFileOrThroughALinkNever() throws Exception {
    Path manifest = Files.writeString(dir.resolve("b.csv"), "model\ndemo\n");
    byte[] notes = "notes, not results\n".getBytes(StandardCharsets.UTF_8);
    Path foreign = Files.write(dir.resolve("notes.jsonl"), notes);
    assertOneLineError(runBounded("batch", manifest.toString(), "--jsonl", foreign.toString(), "--resume"),
        "not a crossalign batch results file");
    assertThat(Files.readAllBytes(foreign)).isEqualTo(notes);
    Path link = Files.createSymbolicLink(dir.resolve("link.jsonl"), foreign);
    assertOneLineError(runBounded("batch", manifest.toString(), "--jsonl", link.toString(), "--resume"),
        "symbolic link");
    assertThat(Files.readAllBytes(foreign)).isEqualTo(notes);
  }

  /**
   * A name read from the file with a line break in it (the fuzz suite's onnx-case3072: a rewritten tag turned weight
   * bytes into an initializer's name) is quoted with the break escaped: still one line, naming the file.
   */
  @Test
  void aLineBreakInANameFromTheFileKeepsTheRefusalOnOneLine() throws Exception {
    Path onnx = dir.resolve("bad.onnx");
    ModelProto valid = new OnnxGraphBuilder("bad")
        .addInput("x", DType.FLOAT32, new int[] {1, 2})
        .addInitializer("w\ncrossalign: ALIGNED", HostTensor.ofFloats(new int[] {2}, Layout.ANY, new float[] {1f, 2f}))
        .addNode("Add", List.of("x", "w\ncrossalign: ALIGNED"), List.of("y"))
        .addOutput("y", DType.FLOAT32, new int[] {1, 2})
        .build().proto();
    // dims [3] over the 2 values the initializer holds: refused as the file is read, the name quoted
    ModelProto bad = valid.toBuilder().setGraph(valid.getGraph().toBuilder()
        .setInitializer(0, valid.getGraph().getInitializer(0).toBuilder().setDims(0, 3))).build();
    Files.write(onnx, bad.toByteArray());
    CliTestSupport.Run r = CliTestSupport.run("compare", onnx.toString(), onnx.toString(), "-q");
    assertOneLineError(r, "bad.onnx", "initializer 'w\\x0acrossalign: ALIGNED' holds 2 elements");
  }

  // ------------------------------------------------------------------ child processes

  @Test
  void externalDataIsLookedForInTheModelsFolderWhateverTheCurrentDirectory() throws Exception {
    // the model names "secret.bin"; the child runs in another folder that has one (a FIFO canary)
    Path cwd = Files.createDirectories(dir.resolve("cwd"));
    Path models = Files.createDirectories(dir.resolve("models"));
    Path model = models.resolve("m.onnx");
    Files.write(model, dev.crossalign.onnx.ExternalDataConfinementTest.Kind.CONSTANT_VALUE.model("secret.bin")
        .toByteArray());
    try (FifoCanary canary = FifoCanary.create(cwd.resolve("secret.bin"))) {
      Child c = child(cwd, Map.of(), List.of(), "compare", model.toString(), model.toString());
      assertThat(c.status()).as(c.err()).isEqualTo(2);
      assertThat(c.err().strip().lines().count()).as("one line: " + c.err()).isEqualTo(1);
      assertThat(c.err()).contains("node 'c1' (Constant)").contains("location 'secret.bin'").contains("does not exist");
      assertThat(canary.opened()).as("the file in the current directory was opened").isFalse();
    }
  }

  @Test
  void onnxRuntimeLeavesNoTempFolderAndPrintsNothingRawUnlessVerbose() throws Exception {
    Path tmp = Files.createDirectories(dir.resolve("tmp"));
    // an initializer no node uses: ONNX Runtime warns about it when it loads the model
    Path onnx = dir.resolve("unused.onnx");
    new OnnxGraphBuilder("unused")
        .addInput("x", DType.FLOAT32, new int[] {1, 2})
        .addInitializer("unused_w", HostTensor.ofFloats(new int[] {2}, Layout.ANY, new float[] {1f, 2f}))
        .addNode("Relu", List.of("x"), List.of("y"))
        .addOutput("y", DType.FLOAT32, new int[] {1, 2})
        .build().write(onnx);
    Child quiet = child(dir, Map.of(), List.of("-Djava.io.tmpdir=" + tmp), "compare", onnx.toString(), onnx.toString());
    assertThat(quiet.status()).as(quiet.out() + quiet.err()).isZero();
    assertThat(quiet.out()).contains("ALIGNED");
    assertThat(quiet.err()).doesNotContain("onnxruntime:");
    try (Stream<Path> left = Files.list(tmp)) {
      assertThat(left.map(p -> p.getFileName().toString())).as("left in the temp directory").isEmpty();
    }
    Child verbose = child(dir, Map.of(), List.of("-Djava.io.tmpdir=" + tmp), "compare", onnx.toString(),
        onnx.toString(), "--verbose");
    assertThat(verbose.status()).as(verbose.out() + verbose.err()).isZero();
    assertThat(verbose.err()).as("--verbose lets ONNX Runtime's warning through").contains("unused_w");
    try (Stream<Path> left = Files.list(tmp)) {
      assertThat(left.map(p -> p.getFileName().toString())).as("left in the temp directory").isEmpty();
    }
  }

  @Test
  void nonAsciiPathsWorkUnderTheCLocale() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue("UTF-8".equalsIgnoreCase(System.getProperty("sun.jnu.encoding")),
        "the test JVM itself needs a UTF-8 locale to make the non-ASCII folder");
    Path folder = Files.createDirectories(dir.resolve("modèle 模型"));
    Path m = Files.copy(TestModels.require("hand_recrop.tflite"), folder.resolve("m.tflite"));
    Path json = folder.resolve("résumé.json");
    Child c = child(dir, Map.of("LC_ALL", "C", "LANG", "C"), List.of(), "inspect", m.toString(), "--json",
        json.toString());
    assertThat(c.status()).as(c.out() + c.err()).isZero();
    assertThat(c.out()).contains("modèle 模型").contains("input_1");
    assertThat(Files.readString(json)).contains("input_1");
  }

  record Child(int status, String out, String err) {}

  static Child child(Path cwd, Map<String, String> env, List<String> jvmArgs, String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xss64m");
    cmd.addAll(jvmArgs);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Main.class.getName());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile());
    pb.environment().putAll(env);
    Path out = Files.createTempFile("child", ".out");
    Path err = Files.createTempFile("child", ".err");
    try {
      Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
      if (!p.waitFor(300, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("child did not finish: " + cmd);
      }
      return new Child(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  private Path tinyOnnx(String name) {
    Path p = dir.resolve(name);
    if (!Files.exists(p)) {
      new OnnxGraphBuilder("tiny")
          .addInput("x", DType.FLOAT32, new int[] {1, 2})
          .addNode("Relu", List.of("x"), List.of("y"))
          .addOutput("y", DType.FLOAT32, new int[] {1, 2})
          .build().write(p);
    }
    return p;
  }
}
