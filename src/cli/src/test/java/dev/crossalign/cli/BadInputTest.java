package dev.crossalign.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.testutil.TestModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Unusable input gets exit 2 and one line; a model with ops no backend runs gets exit 3 naming the op. */
class BadInputTest {
  @TempDir Path dir;

  private static void assertOneLineError(CliTestSupport.Run r, int status, String... fragments) {
    assertThat(r.status()).as("exit status; stderr: " + r.err()).isEqualTo(status);
    assertThat(r.err().strip().lines().count()).as("one line: " + r.err()).isEqualTo(1);
    assertThat(r.err()).startsWith("crossalign: ");
    for (String f : fragments) {
      assertThat(r.err()).contains(f);
    }
  }

  @Test
  void missingFile() {
    assertOneLineError(CliTestSupport.run("validate", dir.resolve("nope.tflite").toString()), 2, "no such file");
  }

  @Test
  void emptyFile() throws IOException {
    Path p = Files.write(dir.resolve("empty.tflite"), new byte[0]);
    assertOneLineError(CliTestSupport.run("validate", p.toString()), 2, "empty file");
  }

  @Test
  void randomBytes() throws IOException {
    byte[] b = new byte[4096];
    new Random(1).nextBytes(b);
    Path p = Files.write(dir.resolve("random.tflite"), b);
    assertOneLineError(CliTestSupport.run("validate", p.toString()), 2, "not a TFLite model");
  }

  @Test
  void truncatedRealModel() throws IOException {
    byte[] full = Files.readAllBytes(TestModels.require("face_detection_short_range.tflite"));
    Path p = Files.write(dir.resolve("half.tflite"), Arrays.copyOf(full, full.length / 2));
    assertOneLineError(CliTestSupport.run("validate", p.toString()), 2, "half.tflite");
  }

  @Test
  void badFlagsAreUsageErrors() {
    assertOneLineError(CliTestSupport.run("validate", "--mode", "sideways"), 2, "--mode");
    assertOneLineError(CliTestSupport.run("validate", "--no-such-flag"), 2, "--no-such-flag");
    assertOneLineError(CliTestSupport.run("validate", "--backends", "torch,tflite"), 2, "tflite");
    assertOneLineError(CliTestSupport.run("validate", "--backends", "tflite,caffe"), 2, "caffe");
    assertOneLineError(CliTestSupport.run("validate", "--device", "tpu"), 2, "tpu");
    assertOneLineError(CliTestSupport.run("validate", "--input-range", "3"), 2, "--input-range");
    assertOneLineError(CliTestSupport.run("validate", "--atol", "-1"), 2);
  }

  @Test
  void cudaWithoutGpuIsExit2WithReason() {
    CliTestSupport.Run r = CliTestSupport.run("validate", "--device", "cuda");
    assertOneLineError(r, 2, "CUDA");
  }

  @Test
  void cudaForAnOnnxRuntimeWithoutItIsRefusedByItsProbeBeforeAnyRun() {
    dev.crossalign.backend.Device cuda = dev.crossalign.backend.Device.parse("cuda");
    org.junit.jupiter.api.Assumptions.assumeFalse(dev.crossalign.backend.Backends
        .provider(dev.crossalign.backend.BackendKind.ONNXRUNTIME).probe(cuda).available(), "ONNX Runtime has CUDA here");
    CliTestSupport.Run r = CliTestSupport.run("validate", "--device", "cuda", "--backends", "tflite,onnxruntime");
    // the provider's probe speaks, not the export leg after the reference ran ("exported to ONNX: ...")
    assertOneLineError(r, 2, "--device cuda:0: ", "no CUDA execution provider", "onnxruntime_gpu");
    assertThat(r.err()).doesNotContain("exported to ONNX");
  }

  @Test
  void customOpModelIsExit3NamingTheOp(@org.junit.jupiter.api.io.TempDir Path tmp) throws IOException {
    // a custom op no TFLite build and no crossalign kernel implements (MediaPipe's that crossalign runs: CustomOpTest)
    Path model = CliTestSupport.unknownCustomOpModel(tmp, "NoSuchKernelOp");
    CliTestSupport.Run r = CliTestSupport.run("validate", model.toString());
    assertThat(r.status()).as(r.err()).isEqualTo(3);
    // The reference runs the custom op as a placeholder: the op is named in the report (stdout), not as an error.
    assertThat(r.out()).contains("NoSuchKernelOp");
  }

  @Test
  void depthwiseWithoutBiasIsRefusedBeforeItCanCrashTheInterpreter() throws IOException {
    // TFLite 2.20 segfaults inside Invoke on this model; the engine must refuse it in Java (exit 3), not crash.
    dev.crossalign.tflite.TfliteWriter w = new dev.crossalign.tflite.TfliteWriter();
    int x = w.input("x", dev.crossalign.tflite.TensorType.FLOAT32, 1, 8, 8, 4);
    int f = w.constant("f", dev.crossalign.tensor.HostTensor.ofFloats(new int[] {1, 3, 3, 4}, dev.crossalign.tensor.Layout.ANY, new float[36]));
    int y = w.tensor("y", dev.crossalign.tflite.TensorType.FLOAT32, 1, 8, 8, 4);
    w.op(dev.crossalign.tflite.BuiltinOp.DEPTHWISE_CONV_2D,
        new dev.crossalign.tflite.OpOptions.DepthwiseConv2D(dev.crossalign.tflite.Padding.SAME, 1, 1, 1,
            dev.crossalign.tflite.Activation.NONE, 1, 1),
        new int[] {x, f}, new int[] {y});
    w.outputs(y);
    Path p = Files.write(dir.resolve("dw-no-bias.tflite"), w.build());
    CliTestSupport.Run r = CliTestSupport.run("validate", p.toString());
    assertThat(r.status()).as(r.err()).isEqualTo(3);
    assertThat(r.err()).contains("DEPTHWISE_CONV_2D without a bias");
  }

  @Test
  void aTensorTooLargeToHoldIsRefusedAsInputNotAnOutOfMemory() throws IOException {
    dev.crossalign.tflite.TfliteWriter w = new dev.crossalign.tflite.TfliteWriter();
    int x = w.input("x", dev.crossalign.tflite.TensorType.FLOAT32, 1, 65536, 65536, 3);
    int y = w.tensor("y", dev.crossalign.tflite.TensorType.FLOAT32, 1, 65536, 65536, 3);
    w.op(dev.crossalign.tflite.BuiltinOp.RELU, new dev.crossalign.tflite.OpOptions.None(), new int[] {x}, new int[] {y});
    w.outputs(y);
    Path p = Files.write(dir.resolve("huge.tflite"), w.build());
    assertOneLineError(CliTestSupport.run("validate", p.toString()), 2, "more than 2^31-1 elements");
  }

  @Test
  void inspectNamesTheCustomOp() {
    Path model = TestModels.require("selfie_segmentation.tflite");
    CliTestSupport.Run r = CliTestSupport.run("inspect", model.toString());
    assertThat(r.status()).isZero();
    assertThat(r.out()).contains("custom ops: Convolution2DTransposeBias").contains("input  input_1 FLOAT32 [1, 256, 256, 3]");
  }
}
