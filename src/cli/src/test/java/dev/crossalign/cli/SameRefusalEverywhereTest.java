package dev.crossalign.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.testutil.TestModels;
import dev.crossalign.testutil.TfliteFields;
import dev.crossalign.tflite.Activation;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.Padding;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteModel;
import dev.crossalign.tflite.TfliteWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One hostile file, one verdict: the same crafted model through validate, compare, bench, convert (ONNX and PyTorch)
 * and inspect gets exit 2 and the same one line naming the file and the tensor or op, and convert writes nothing.
 * Before the reader checked these, validate said exit 2 without naming the tensor ("TFLite could not build an
 * interpreter", "a kernel's Prepare failed"), convert exit 3 (an op it "could not export") or an internal error (a
 * conv stride of 0: "/ by zero"), and inspect exit 0.
 */
class SameRefusalEverywhereTest {
  @TempDir Path dir;

  /** The commands, each on {@code model}; convert's outputs are {@code dir/out.onnx} and {@code dir/out-py}. */
  private List<List<String>> commands(Path model) throws Exception {
    String m = model.toString();
    return List.of(
        List.of("validate", m, "-q"),
        List.of("compare", m, TestModels.require("hand_recrop.tflite").toString(), "-q"),
        List.of("bench", m, "--backends", "tflite-xnnpack", "--runs", "1", "--warmup", "0"),
        List.of("convert", m, "-o", dir.resolve("out.onnx").toString()),
        List.of("convert", m, "--to", "pytorch", "-o", dir.resolve("out-py").toString()),
        List.of("inspect", m));
  }

  private void assertEveryCommandRefuses(Path model, String says) throws Exception {
    for (List<String> args : commands(model)) {
      CliTestSupport.Run r = CliTestSupport.run(args.toArray(String[]::new));
      assertThat(r.status()).as(args + ": " + r.err()).isEqualTo(2);
      assertThat(r.err().strip().lines().toList()).as(args.toString()).containsExactly("crossalign: model " + model
          + ": " + says);
    }
    assertThat(dir.resolve("out.onnx")).doesNotExist();
    assertThat(dir.resolve("out-py")).doesNotExist();
  }

  /** x [1, 4] + a constant w [4] whose buffer's length prefix says 8 bytes (two floats) instead of 16. */
  @Test
  void aConstantBufferShorterThanItsShapeIsRefusedByEveryCommand() throws Exception {
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, 1, 4);
    int c = w.constant("w", HostTensor.ofFloats(new int[] {4}, Layout.ANY, new float[] {1, 2, 3, 4}));
    int y = w.tensor("y", TensorType.FLOAT32, 1, 4);
    w.op(BuiltinOp.ADD, new OpOptions.Arithmetic(11, Activation.NONE), new int[] {x, c}, new int[] {y});
    byte[] b = w.outputs(y).build();
    int buffer = TfliteModel.read(b, "m").main().tensor(c).buffer();
    TfliteFields.Field len = TfliteFields.of(b).of(TfliteFields.Kind.BUFFER_DATA_LEN).stream()
        .filter(f -> f.op() == buffer).findFirst().orElseThrow();
    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(len.pos(), 8);
    Path model = Files.write(dir.resolve("short.tflite"), b);
    assertEveryCommandRefuses(model, "tensor " + c + " 'w' has a constant buffer of 8 bytes, its shape [4] of FLOAT32"
        + " needs 16");
  }

  /** The inputs of a one-op model, made in its writer: x (a graph input) and the op's constants. */
  private interface Inputs {
    int[] make(TfliteWriter w);
  }

  /** A model of one op whose output 'y' is declared {@code declared}, written to {@code file}. */
  private Path oneOp(String file, BuiltinOp op, OpOptions options, int[] declared, Inputs inputs) throws Exception {
    TfliteWriter w = new TfliteWriter();
    int[] in = inputs.make(w);
    int y = w.tensor("y", TensorType.FLOAT32, declared);
    w.op(op, options, in, new int[] {y});
    return Files.write(dir.resolve(file), w.outputs(y).build());
  }

  private static int ints(TfliteWriter w, String name, int[] shape, int... v) {
    return w.constant(name, HostTensor.ofInts(shape, Layout.ANY, v));
  }

  /** A CONV_2D with stride 0 (TFLite's Prepare refuses it; the ONNX export divided by it). */
  @Test
  void aConvStrideOfZeroIsRefusedByEveryCommand() throws Exception {
    Path model = oneOp("stride0.tflite", BuiltinOp.CONV_2D, new OpOptions.Conv2D(Padding.SAME, 0, 1, Activation.NONE,
        1, 1), new int[] {1, 4, 4, 3}, w -> new int[] {w.input("x", TensorType.FLOAT32, 1, 4, 4, 2),
          w.constant("k", HostTensor.ofFloats(new int[] {3, 1, 1, 2}, Layout.ANY, new float[6])),
          w.constant("bias", HostTensor.ofFloats(new int[] {3}, Layout.ANY, new float[3]))});
    assertEveryCommandRefuses(model, "op #0 CONV_2D has stride_h 1 and stride_w 0: TFLite's kernel takes strides"
        + " of 1 or more");
  }

  /** A PAD with a negative padding (TFLite's Prepare refuses it; the port and export wrote a crop). */
  @Test
  void aNegativePaddingIsRefusedByEveryCommand() throws Exception {
    Path model = oneOp("negpad.tflite", BuiltinOp.PAD, new OpOptions.None(), new int[] {1, 3, 4, 2},
        w -> new int[] {w.input("x", TensorType.FLOAT32, 1, 4, 4, 2),
          ints(w, "paddings", new int[] {4, 2}, 0, 0, -1, 0, 0, 0, 0, 0)});
    assertEveryCommandRefuses(model, "op #0 PAD input 1 (tensor 1 'paddings') holds [0, 0, -1, 0, 0, 0, 0, 0]:"
        + " TFLite's kernel takes no negative padding");
  }

  /** A STRIDED_SLICE whose file declares another output shape than its constants make (TFLite resizes it). */
  @Test
  void aStridedSliceDeclaredWrongIsRefusedByEveryCommand() throws Exception {
    Path model = oneOp("slice.tflite", BuiltinOp.STRIDED_SLICE, new OpOptions.StridedSlice(0, 0, 0, 0, 0, false),
        new int[] {1, 8, 8, 2}, w -> new int[] {w.input("x", TensorType.FLOAT32, 1, 8, 8, 2),
          ints(w, "begin", new int[] {4}, 0, 0, 0, 0), ints(w, "end", new int[] {4}, 1, 8, 8, 2),
          ints(w, "strides", new int[] {4}, 1, 2, 2, 1)});
    assertEveryCommandRefuses(model, "op #0 STRIDED_SLICE output 0 'y' is declared [1, 8, 8, 2], its inputs make"
        + " [1, 4, 4, 2] (TFLite resizes it when it runs; the port, its PyTorch code and ONNX export take the declared"
        + " shapes)");
  }

  /** An ADD whose second input is absent (-1): validate refused it (exit 2), convert said exit 3, inspect read it. */
  @Test
  void aRequiredInputAbsentIsRefusedByEveryCommand() throws Exception {
    Path model = oneOp("absent.tflite", BuiltinOp.ADD, new OpOptions.Arithmetic(11, Activation.NONE),
        new int[] {1, 4}, w -> new int[] {w.input("x", TensorType.FLOAT32, 1, 4), -1});
    assertEveryCommandRefuses(model, "op #0 ADD input 1 (y) is absent (-1), TFLite requires it");
  }
}
