package dev.crossalign.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tensor.Npy;
import dev.crossalign.testutil.TestModels;
import dev.crossalign.testutil.TfliteFields;
import dev.crossalign.tflite.Activation;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.Padding;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The crashes of issue 15 through the real CLI entry point (Main.main, in a child JVM: a native crash must not take the
 * test JVM with it, and only Main.main captures the native libraries' log lines): a required op input set to -1 in
 * real models (PAD, MEAN, STRIDED_SLICE, RESHAPE's shape) crashed TFLite with SIGSEGV (exit 134) before the per-op
 * checks; now each is refused with exit 2 and exactly one line on stderr, in validate, compare, determinism and bench.
 * And TFLite's own ERROR/INFO lines never reach stderr raw unless --verbose.
 */
class NativeGuardTest {
  @TempDir Path dir;

  record Proc(int exit, String out, String err) {}

  /** Main.main in a fresh JVM. */
  static Proc cli(Path work, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx2g", "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1", "-XX:ErrorFile=" + work.resolve("hs_err_%p.log"),
        "-cp", System.getProperty("java.class.path"), Main.class.getName()));
    cmd.addAll(List.of(args));
    Path out = work.resolve("out.txt");
    Path err = work.resolve("err.txt");
    Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!p.waitFor(300, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor();
      throw new AssertionError("CLI hung: " + cmd);
    }
    return new Proc(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }

  /** The model with input `slot` of the first op of that builtin set to `value`. */
  static Path mutateInput(Path model, BuiltinOp op, int slot, int value, Path out) throws Exception {
    byte[] b = Files.readAllBytes(model);
    for (TfliteFields.Field f : TfliteFields.of(b).of(TfliteFields.Kind.OP_INPUT)) {
      if (f.opcode() == op.code() && f.slot() == slot) {
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(f.pos(), value);
        return Files.write(out, b);
      }
    }
    throw new AssertionError(model + " has no " + op);
  }

  @Test
  void requiredInputsSetToAbsentAreRefusedInEveryCommand() throws Exception {
    record Mutant(String model, BuiltinOp op, String slotName) {}
    List<Mutant> mutants = List.of(
        new Mutant("face_detection_short_range.tflite", BuiltinOp.PAD, "paddings"),
        new Mutant("hand_recrop.tflite", BuiltinOp.STRIDED_SLICE, "begin"),
        new Mutant("selfie_segmentation_landscape.tflite", BuiltinOp.MEAN, "axis"),
        new Mutant("palm_detection_lite.tflite", BuiltinOp.RESHAPE, "shape"));
    for (Mutant m : mutants) {
      Path f = mutateInput(TestModels.require(m.model()), m.op(), 1, -1, dir.resolve("bad-" + m.model()));
      List<String[]> commands = List.of(
          new String[] {"validate", f.toString(), "-q"},
          new String[] {"compare", f.toString(), f.toString(), "-q"},
          new String[] {"determinism", f.toString()},
          new String[] {"bench", f.toString()});
      for (String[] args : commands) {
        Proc p = cli(dir, args);
        assertThat(p.exit()).as("%s %s: %s", args[0], m, p.err()).isEqualTo(2);
        assertThat(p.err().strip().lines().toList()).as("%s %s", args[0], m).hasSize(1);
        assertThat(p.err()).contains(f.toString()).contains(m.op().name()).contains("input 1 (" + m.slotName() + ")")
            .contains("absent (-1)");
      }
    }
  }

  /** A batch whose first row is a crashing mutant: that row is refused, the next one runs, the JVM lives. */
  @Test
  void batchRefusesTheRowAndRunsTheNext() throws Exception {
    Path bad = mutateInput(TestModels.require("hand_recrop.tflite"), BuiltinOp.PAD, 1, -1, dir.resolve("bad.tflite"));
    Files.copy(TestModels.require("hand_recrop.tflite"), dir.resolve("good.tflite"));
    Path manifest = Files.writeString(dir.resolve("manifest.csv"), "model\nbad.tflite\ngood.tflite\n");
    Proc p = cli(dir, "batch", manifest.toString(), "--mode", "chained");
    assertThat(p.exit()).as(p.err()).isBetween(0, 3);
    List<String> rows = p.out().lines().filter(l -> l.startsWith("{")).toList();
    assertThat(rows).as(p.out()).hasSize(2);
    assertThat(rows.get(0)).contains("bad.tflite").contains("PAD input 1 (paddings) is absent (-1)");
    assertThat(rows.get(1)).contains("good.tflite").doesNotContain("absent (-1)");
    assertThat(bad).exists();
  }

  /**
   * Crashes the fuzz suite found, regenerated from their seeds: before the dataflow check, t13 (selfie_segmentation, an
   * op's output redirected to a tensor an earlier op writes) killed the JVM with SIGSEGV in TFLite's MulElementwise.
   */
  @Test
  void crashesFoundByTheFuzzerAreRefused() throws Exception {
    byte[] base = Files.readAllBytes(TestModels.require("selfie_segmentation.tflite"));
    FuzzMutants.Mutant t13 = FuzzMutants.tflite(base, TfliteFields.of(base), 16, 13);
    assertThat(t13.kind()).isEqualTo("tflite.op_output");
    Path f = Files.write(dir.resolve("t13.tflite"), t13.bytes());
    Proc p = cli(dir, "validate", f.toString(), "-q", "--mode", "isolated");
    assertThat(p.exit()).as(p.err()).isEqualTo(2);
    assertThat(p.err().strip().lines().toList()).hasSize(1);
    // op #200's output now points at 'multiply_1', which an earlier op writes: the reader's declared-shape rule
    // (TensorSizes) sees first that the conv cannot make that tensor's shape; OpInputChecksTest covers the dataflow
    // rule ("already written by an earlier op") on its own
    assertThat(p.err()).contains(f.toString()).contains("op #200 CONV_2D output 0 'multiply_1' is declared");
  }

  /**
   * What the 10,000-case release run found, regenerated from its seed (16 for the CLI cases), run in one child JVM:
   * t476 (an opcode turned into CONCATENATION with another op's options: "internal error: ClassCastException" from the
   * port), t884/t259/t281 (torch port failures on impossible shapes) and t996 (ONNX Runtime failing on the exported
   * model) were refusals that did not name the file. Each is now one line naming it.
   */
  @Test
  void releaseRunFindingsAreOneLineRefusalsNamingTheFile() throws Exception {
    String[] bases = {"hand_recrop.tflite", "selfie_segmentation.tflite", "face_detection_short_range.tflite"};
    record Finding(int caseNo, List<String> extra) {}
    List<Finding> findings = List.of(
        new Finding(476, List.of("--mode", "chained")),
        new Finding(884, List.of("--mode", "chained")),
        new Finding(259, List.of("--mode", "isolated")),
        new Finding(281, List.of("--mode", "chained")),
        new Finding(996, List.of("--mode", "chained", "--backends", "tflite,onnxruntime")));
    List<FuzzPool.Case> cases = new ArrayList<>();
    for (Finding f : findings) {
      byte[] base = Files.readAllBytes(TestModels.require(bases[f.caseNo() % bases.length]));
      FuzzMutants.Mutant m = FuzzMutants.tflite(base, TfliteFields.of(base), 16, f.caseNo());
      Path file = Files.write(dir.resolve("t" + f.caseNo() + ".tflite"), m.bytes());
      List<String> args = new ArrayList<>(List.of("validate", file.toString(), "-q"));
      args.addAll(f.extra());
      cases.add(new FuzzPool.Case("t" + f.caseNo(), args));
    }
    for (FuzzPool.Result r : new FuzzPool(dir, 300_000, 1).run(cases)) {
      assertThat(r.outcome()).as(r.c().id()).isEqualTo(FuzzPool.Outcome.RAN);
      assertThat(r.status()).as(r.c().id() + ": " + r.err()).isEqualTo(2);
      assertThat(r.err().strip().lines().toList()).as(r.err()).hasSize(1);
      assertThat(r.err()).contains(r.c().id() + ".tflite").doesNotContain("internal error");
    }
  }

  /**
   * MediaPipe's Convolution2DTransposeBias with weights whose channel counts the other tensors do not have: TFLite's
   * XNNPACK delegate (its only kernel) takes both counts from the weights, and `bench --backends tflite-xnnpack` on
   * weights of 4096 input channels over a 3-channel input died with SIGSEGV (exit 134). Each is now refused in Java
   * before any interpreter, in validate and bench alike (one child JVM for all).
   */
  @Test
  void transposeConvBiasChannelsTheWeightsDoNotHaveAreRefused() throws Exception {
    record Bad(String name, int cin, int[] weights, int bias, int cout, String says) {}
    List<Bad> bad = List.of(
        new Bad("cin", 3, new int[] {2, 2, 2, 4096}, 2, 2, "input 0 (input) has shape [1, 4, 4, 3]: 3 channels"),
        new Bad("bias", 3, new int[] {2, 2, 2, 3}, 7, 2, "input 2 (bias) has shape [7], expected [2]"),
        new Bad("cout", 3, new int[] {512, 2, 2, 3}, 512, 1, "output 0 has shape [1, 8, 8, 1]: 1 channels"));
    List<FuzzPool.Case> cases = new ArrayList<>();
    Map<String, Bad> byId = new HashMap<>();
    for (Bad b : bad) {
      Path f = Files.write(dir.resolve("deconv-" + b.name() + ".tflite"), deconv(b.cin(), b.weights(), b.bias(), b.cout()));
      cases.add(new FuzzPool.Case(b.name() + "-bench", List.of("bench", f.toString(), "--backends", "tflite-xnnpack",
          "--warmup", "0", "--runs", "1")));
      cases.add(new FuzzPool.Case(b.name() + "-validate", List.of("validate", f.toString(), "-q")));
      byId.put(b.name() + "-bench", b);
      byId.put(b.name() + "-validate", b);
    }
    for (FuzzPool.Result r : new FuzzPool(dir, 300_000, 1).run(cases)) {
      Bad b = byId.get(r.c().id());
      assertThat(r.outcome()).as(r.c().id() + ": " + r.err()).isEqualTo(FuzzPool.Outcome.RAN);
      assertThat(r.status()).as(r.c().id() + ": " + r.err()).isEqualTo(2);
      assertThat(r.err().strip().lines().toList()).as(r.err()).hasSize(1);
      assertThat(r.err()).contains("deconv-" + b.name() + ".tflite: op #0 Convolution2DTransposeBias " + b.says());
    }
  }

  /**
   * What this session's 10,000-case run found through {@code bench --backends tflite-xnnpack} (regenerated from seed 16
   * of its CLI cases): Convolution2DTransposeBias mutants of the selfie models. d102 (no inputs), d147 and d202 (an input
   * index moved) made the whole-model XNNPACK delegate decline the node, and TFLite crashed around it (abort, SIGSEGV in
   * xnn_subgraph_fusion); d197 and d87 declared a DEQUANTIZE output larger than its fp16 constant, which the delegate
   * unpacked at the declared size (SIGSEGV in DequantizeFloat16; d87 ran past the 120 s limit). Now each is refused
   * first (the served node probed in a one-op interpreter, the DEQUANTIZE shape checked): one line naming the file.
   */
  @Test
  void tenThousandRunXnnpackCrashesAreRefused() throws Exception {
    List<FuzzCustomOpMutants.Base> bases = new ArrayList<>();
    for (String name : FuzzExtraPaths.DECONV_BASES) {
      bases.add(FuzzCustomOpMutants.Base.of(Files.readAllBytes(TestModels.require(name))));
    }
    List<FuzzPool.Case> cases = new ArrayList<>();
    for (int i : new int[] {102, 147, 197, 202, 87}) {
      FuzzMutants.Mutant m = FuzzCustomOpMutants.mutate(bases.get(i % bases.size()), 16, i);
      Path f = Files.write(dir.resolve("d" + i + ".tflite"), m.bytes());
      cases.add(new FuzzPool.Case("d" + i, List.of("bench", f.toString(), "--backends", "tflite-xnnpack", "--warmup",
          "0", "--runs", "1")));
    }
    for (FuzzPool.Result r : new FuzzPool(dir, 300_000, 1).run(cases)) {
      assertThat(r.outcome()).as(r.c().id() + ": " + r.err()).isEqualTo(FuzzPool.Outcome.RAN);
      assertThat(r.status()).as(r.c().id() + ": " + r.err()).isBetween(2, 3);
      assertThat(r.err().strip().lines().toList()).as(r.err()).hasSize(1);
      assertThat(r.err()).contains(r.c().id() + ".tflite");
    }
  }

  /**
   * The leftover of the 10,000-case run: a RESHAPE that changes Convolution2DTransposeBias's input channels at run
   * time, here by a shape given as a graph input (x [1, 64, 64, 64] read as [1, 512, 512, 1]). The whole-model XNNPACK
   * delegate is applied inside AllocateTensors and took the channels from the weights (SIGSEGV through TfliteBackend by
   * hand), the reference's one-op interpreter computed the old shape and validate went on to the candidates. Now the
   * static shape propagation refuses the model before any interpreter: exit 3, one line naming file, op and tensor.
   */
  @Test
  void aDeconvInputReshapedAtRunTimeIsRefusedBeforeAnyInterpreter() throws Exception {
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, 1, 64, 64, 64);
    int s = w.input("s", TensorType.INT32, 4);
    int r = w.tensor("r", TensorType.FLOAT32, 1, 64, 64, 64);
    w.op(BuiltinOp.RESHAPE, new OpOptions.None(), new int[] {x, s}, new int[] {r});
    int f = w.constant("weights", HostTensor.ofFloats(new int[] {2, 2, 2, 64}, Layout.ANY, new float[512]));
    int b = w.constant("bias", HostTensor.ofFloats(new int[] {2}, Layout.ANY, new float[2]));
    int y = w.tensor("y", TensorType.FLOAT32, 1, 128, 128, 2);
    w.custom("Convolution2DTransposeBias", new int[] {r, f, b}, new int[] {y},
        ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putInt(1).putInt(2).putInt(2).array());
    Path model = Files.write(dir.resolve("reshaped-deconv.tflite"), w.outputs(y).build());
    Path xs = dir.resolve("x.npy");
    Npy.write(xs, HostTensor.ofFloats(new int[] {1, 64, 64, 64}, Layout.ANY, new float[64 * 64 * 64]));
    Path ss = dir.resolve("s.npy");
    Npy.write(ss, HostTensor.ofInts(new int[] {4}, Layout.ANY, new int[] {1, 512, 512, 1}));
    List<FuzzPool.Case> cases = List.of(
        new FuzzPool.Case("bench", List.of("bench", model.toString(), "--backends", "tflite-xnnpack", "--warmup", "0",
            "--runs", "1")),
        new FuzzPool.Case("validate", List.of("validate", model.toString(), "-q", "--input", "x=" + xs, "--input",
            "s=" + ss, "--tflite-delegate", "xnnpack")));
    for (FuzzPool.Result res : new FuzzPool(dir, 300_000, 1).run(cases)) {
      assertThat(res.outcome()).as(res.c().id() + ": " + res.err()).isEqualTo(FuzzPool.Outcome.RAN);
      assertThat(res.status()).as(res.c().id() + ": " + res.err()).isEqualTo(3);
      assertThat(res.err().strip().lines().toList()).as(res.err()).hasSize(1);
      assertThat(res.err()).contains(model + ": op #1 Convolution2DTransposeBias is not run by the TFLite reference:"
          + " its input 0 (tensor 2 'r') gets its shape only at run time (op #0 RESHAPE computes it");
    }
  }

  /**
   * What the final 10,000-case run with seed 18 found (its CLI cases use seed 19): t994 and t103, selfie_segmentation
   * with a CONV_2D stride turned into 1376441462 (t994, strideH of op #24) or 789153205 (t103, strideW of op #27), its
   * output still declared [1, 64, 64, C]. TFLite sized the output [1, 1, 64, C]; `validate --mode isolated` fed the
   * declared shapes onward and TFLite's ResizeBilinear read past a tensor (abort, exit 134). Refused when read now:
   * the declared conv output is not what its inputs make.
   */
  @Test
  void seed18CrashesAreRefusedWhenRead() throws Exception {
    byte[] base = Files.readAllBytes(TestModels.require("selfie_segmentation.tflite"));
    TfliteFields fields = TfliteFields.of(base);
    Map<String, String> says = Map.of(
        "t994", "op #24 CONV_2D output 0 'conv2d_4' is declared [1, 64, 64, 16], its inputs make [1, 1, 64, 16]",
        "t103", "op #27 CONV_2D output 0 'conv2d_5' is declared [1, 64, 64, 72], its inputs make [1, 64, 1, 72]");
    List<FuzzPool.Case> cases = new ArrayList<>();
    for (String id : says.keySet()) {
      FuzzMutants.Mutant m = FuzzMutants.tflite(base, fields, 19, Integer.parseInt(id.substring(1)));
      assertThat(m.kind()).isEqualTo("tflite.option_field");
      Path f = Files.write(dir.resolve(id + ".tflite"), m.bytes());
      cases.add(new FuzzPool.Case(id, List.of("validate", f.toString(), "-q", "--mode", "isolated")));
    }
    for (FuzzPool.Result r : new FuzzPool(dir, 300_000, 1).run(cases)) {
      assertThat(r.outcome()).as(r.c().id() + ": " + r.err()).isEqualTo(FuzzPool.Outcome.RAN);
      assertThat(r.status()).as(r.c().id() + ": " + r.err()).isEqualTo(2);
      assertThat(r.err().strip().lines().toList()).as(r.err()).hasSize(1);
      assertThat(r.err()).contains(r.c().id() + ".tflite: " + says.get(r.c().id()));
    }
  }

  /** x [1, 4, 4, cin] -> Convolution2DTransposeBias(weights, bias [bias], SAME, stride 2) -> y [1, 8, 8, cout]. */
  private static byte[] deconv(int cin, int[] weights, int bias, int cout) {
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, 1, 4, 4, cin);
    int f = w.constant("weights", HostTensor.ofFloats(weights, Layout.ANY, new float[weights[0] * weights[1]
        * weights[2] * weights[3]]));
    int b = w.constant("bias", HostTensor.ofFloats(new int[] {bias}, Layout.ANY, new float[bias]));
    int y = w.tensor("y", TensorType.FLOAT32, 1, 8, 8, cout);
    w.custom("Convolution2DTransposeBias", new int[] {x, f, b}, new int[] {y},
        ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putInt(1).putInt(2).putInt(2).array());
    w.outputs(y);
    return w.build();
  }

  @Test
  void tfliteErrorLinesAreFoldedIntoTheOneLineRefusal() throws Exception {
    // A MAX_POOL_2D with stride 0: TFLite's Prepare fails and prints its reasons as ERROR lines; the user sees one line
    // that carries them. (A conv whose filter does not take the input's channels is now refused by the reader.)
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, 1, 4, 4, 1);
    int y = w.tensor("y", TensorType.FLOAT32, 1, 4, 4, 1);
    w.op(BuiltinOp.MAX_POOL_2D, new OpOptions.Pool2D(Padding.SAME, 0, 0, 2, 2, Activation.NONE), new int[] {x},
        new int[] {y});
    byte[] b = w.outputs(y).build();
    Path f = Files.write(dir.resolve("stride0.tflite"), b);

    Proc p = cli(dir, "validate", f.toString(), "-q");
    assertThat(p.exit()).as(p.err()).isEqualTo(2);
    assertThat(p.err().strip().lines().toList()).as(p.err()).hasSize(1);
    assertThat(p.err()).contains(f.toString()).contains("TFLite reports: ").contains("failed to prepare")
        .doesNotStartWith("ERROR:");

    Proc verbose = cli(dir, "validate", f.toString(), "-q", "--verbose");
    assertThat(verbose.exit()).isEqualTo(2);
    assertThat(verbose.err()).as("--verbose leaves TFLite's own lines on stderr").contains("ERROR: ");
  }

  @Test
  void xnnpackInfoLineIsNotPrinted() throws Exception {
    Path model = TestModels.require("hand_recrop.tflite");
    Proc p = cli(dir, "bench", model.toString(), "--backends", "tflite-xnnpack", "--warmup", "1", "--runs", "2");
    assertThat(p.exit()).as(p.err()).isZero();
    assertThat(p.err()).as("stderr of a clean run").doesNotContain("INFO:").doesNotContain("XNNPACK");
    Proc verbose = cli(dir, "bench", model.toString(), "--backends", "tflite-xnnpack", "--warmup", "1", "--runs", "2", "--verbose");
    assertThat(verbose.exit()).as(verbose.err()).isZero();
    assertThat(verbose.err()).contains("INFO: Created TensorFlow Lite XNNPACK delegate");
  }
}
