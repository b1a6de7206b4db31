package dev.crossalign.tflite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.crossalign.CrossalignException;
import dev.crossalign.testutil.TestModels;
import dev.crossalign.testutil.TfliteFields;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * The per-op checks against real models: every published model passes untouched, and each kind of graph TFLite would
 * crash on (the crashes are shown in a child JVM by NativeGuardTest and the fuzz suite) is refused with a message that
 * names the file, op, slot and what was expected.
 */
class OpInputChecksTest {
  static Stream<String> realModels() throws Exception {
    try (Stream<Path> s = Files.list(TestModels.modelsDir())) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".tflite")).sorted().toList().stream();
    }
  }

  @ParameterizedTest
  @MethodSource("realModels")
  void everyRealModelPasses(String name) {
    TfliteModel m = TfliteModel.read(TestModels.require(name));
    assertThatCode(() -> OpInputChecks.check(m)).doesNotThrowAnyException();
  }

  private static byte[] bytes(String model) throws Exception {
    return Files.readAllBytes(TestModels.require(model));
  }

  private static TfliteFields.Field input(byte[] b, BuiltinOp op, int slot) {
    return TfliteFields.of(b).of(TfliteFields.Kind.OP_INPUT).stream()
        .filter(f -> f.opcode() == op.code() && f.slot() == slot).findFirst().orElseThrow();
  }

  /** The reader's refusal (it runs these checks), which is OpInputChecks' own on the model read without them. */
  private static String refusal(byte[] b) {
    TfliteModel m = TfliteModel.readWithoutOpChecks(b, "mutant.tflite");
    try {
      OpInputChecks.check(m);
    } catch (CrossalignException e) {
      assertThat(e.kind()).isEqualTo(CrossalignException.Kind.INPUT);
      assertThat(e.getMessage()).startsWith("model mutant.tflite: ").doesNotContain("\n");
      CrossalignException read = org.assertj.core.api.Assertions.catchThrowableOfType(
          () -> TfliteModel.read(b, "mutant.tflite"), CrossalignException.class);
      assertThat(read).as("the reader refuses it too").isNotNull();
      assertThat(read.getMessage()).isEqualTo(e.getMessage());
      return e.getMessage();
    }
    assertThatCode(() -> TfliteModel.read(b, "mutant.tflite")).doesNotThrowAnyException();
    return null;
  }

  @Test
  void requiredInputAbsentIsRefusedOptionalIsNot() throws Exception {
    byte[] b = bytes("hand_recrop.tflite");
    TfliteFields.Field pad = input(b, BuiltinOp.PAD, 1);
    byte[] noPaddings = b.clone();
    ByteBuffer.wrap(noPaddings).order(ByteOrder.LITTLE_ENDIAN).putInt(pad.pos(), -1);
    assertThat(refusal(noPaddings)).isEqualTo(
        "model mutant.tflite: op #" + pad.op() + " PAD input 1 (paddings) is absent (-1), TFLite requires it");

    // CONV_2D's bias is optional in TFLite's kernel (GetOptionalInputTensor): -1 passes
    TfliteFields.Field bias = input(b, BuiltinOp.CONV_2D, 2);
    byte[] noBias = b.clone();
    ByteBuffer.wrap(noBias).order(ByteOrder.LITTLE_ENDIAN).putInt(bias.pos(), -1);
    assertThat(refusal(noBias)).isNull();
  }

  @Test
  void paddingsOfTheWrongShapeAreRefused() throws Exception {
    byte[] b = bytes("hand_recrop.tflite");
    TfliteFields.Field pad = input(b, BuiltinOp.PAD, 1);
    // point PAD's paddings at a conv bias: 1-D float, neither [rank, 2] nor an index type
    TfliteFields.Field bias = input(b, BuiltinOp.CONV_2D, 2);
    int biasTensor = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt(bias.pos());
    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(pad.pos(), biasTensor);
    assertThat(refusal(b)).contains("op #" + pad.op() + " PAD input 1 (paddings) is FLOAT32, expected INT32 or INT64");
  }

  @Test
  void tooFewInputsAreRefused() throws Exception {
    byte[] b = bytes("hand_recrop.tflite");
    TfliteFields.Field strided = input(b, BuiltinOp.STRIDED_SLICE, 0);
    // the inputs vector's length prefix sits just before its first element
    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(strided.pos() - 4, 2);
    assertThat(refusal(b)).contains("op #" + strided.op() + " STRIDED_SLICE has 2 inputs, its TFLite kernel takes 4"
        + " [input, begin, end, strides]");
  }

  @Test
  void anInputNoEarlierOpWroteIsRefused() throws Exception {
    byte[] b = bytes("hand_recrop.tflite");
    TfliteModel m = TfliteModel.read(b, "x");
    List<Operator> ops = m.main().operators();
    // an op's input 0 redirected to a later op's output of the same shape (so no shape rule of the reader refuses it
    // first)
    int at = -1;
    int later = -1;
    for (int i = 0; i < ops.size() && at < 0; i++) {
      int[] shape = m.main().tensor(ops.get(i).inputs()[0]).shape();
      for (int k = ops.size() - 1; k > i && at < 0; k--) {
        if (java.util.Arrays.equals(m.main().tensor(ops.get(k).outputs()[0]).shape(), shape)) {
          at = i;
          later = ops.get(k).outputs()[0];
        }
      }
    }
    int op = at;
    TfliteFields.Field input = TfliteFields.of(b).of(TfliteFields.Kind.OP_INPUT).stream()
        .filter(f -> f.op() == op && f.slot() == 0).findFirst().orElseThrow();
    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(input.pos(), later);
    assertThat(refusal(b)).contains("op #" + op + " ").contains("input 0")
        .contains("is tensor " + later).contains("not written by an earlier op");
  }

  /** The first crash the fuzz suite found (SIGSEGV in MulElementwise): an op output redirected to a written tensor. */
  @Test
  void anOutputWrittenTwiceIsRefused() throws Exception {
    byte[] b = bytes("selfie_segmentation.tflite");
    TfliteModel m = TfliteModel.read(b, "x");
    Operator first = m.main().operators().get(0);
    TfliteFields.Field lastOut = TfliteFields.of(b).of(TfliteFields.Kind.OP_OUTPUT).stream()
        .reduce((x, y) -> y).orElseThrow();
    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(lastOut.pos(), first.outputs()[0]);
    assertThat(refusal(b)).contains("op #" + lastOut.op() + " ").contains("output 0 is tensor " + first.outputs()[0])
        .contains("already written by an earlier op");
  }

  /**
   * MediaPipe's Convolution2DTransposeBias: TFLite's XNNPACK delegate takes the channel counts from the weights alone;
   * input channels the weights do not have crashed `bench --backends tflite-xnnpack` (SIGSEGV, the fuzz suite), and an
   * output or bias of other channel counts would be written past or read short. Consistent shapes pass.
   */
  @Test
  void transposeConvBiasChannelsMustAgreeWithTheWeights() {
    assertThat(deconvRefusal(3, new int[] {2, 2, 2, 3}, 2, 2)).isNull();
    assertThat(deconvRefusal(3, new int[] {2, 2, 2, 4096}, 2, 2)).isEqualTo("model mutant.tflite: op #0"
        + " Convolution2DTransposeBias input 0 (input) has shape [1, 4, 4, 3]: 3 channels, the weights' (input 1,"
        + " shape [2, 2, 2, 4096], [out, kh, kw, in]) in is 4096");
    assertThat(deconvRefusal(3, new int[] {2, 2, 2, 3}, 7, 2)).isEqualTo("model mutant.tflite: op #0"
        + " Convolution2DTransposeBias input 2 (bias) has shape [7], expected [2], the weights' (input 1, shape"
        + " [2, 2, 2, 3], [out, kh, kw, in]) out");
    assertThat(deconvRefusal(3, new int[] {512, 2, 2, 3}, 512, 1)).isEqualTo("model mutant.tflite: op #0"
        + " Convolution2DTransposeBias output 0 has shape [1, 8, 8, 1]: 1 channels, the weights' (input 1, shape"
        + " [512, 2, 2, 3], [out, kh, kw, in]) out is 512");
  }

  /** x [1, 4, 4, cin] -> Convolution2DTransposeBias(weights, bias [biasLength]) -> y [1, 8, 8, cout]. */
  private static String deconvRefusal(int cin, int[] weights, int biasLength, int cout) {
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, 1, 4, 4, cin);
    int f = w.constant("weights", dev.crossalign.tensor.HostTensor.ofFloats(weights, dev.crossalign.tensor.Layout.ANY,
        new float[weights[0] * weights[1] * weights[2] * weights[3]]));
    int b = w.constant("bias", dev.crossalign.tensor.HostTensor.ofFloats(new int[] {biasLength},
        dev.crossalign.tensor.Layout.ANY, new float[biasLength]));
    int y = w.tensor("y", TensorType.FLOAT32, 1, 8, 8, cout);
    w.custom("Convolution2DTransposeBias", new int[] {x, f, b}, new int[] {y},
        ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putInt(1).putInt(2).putInt(2).array());
    w.outputs(y);
    return refusal(w.build());
  }

  /**
   * A DENSIFY output declared larger than its sparse input's dense shape: TFLite sizes it from the input, the port folded
   * the weights and read the declared shape (as t941 did with a DEQUANTIZE output). The sparse model's first DENSIFY
   * (op #8, tensor 15 [8, 1, 1, 32]) declared [8, 1048576, 1, 32].
   */
  @Test
  void densifyOutputOfAnotherShapeIsRefused() throws Exception {
    byte[] b = bytes("face_detection_full_range_sparse.tflite");
    TfliteModel m = TfliteModel.read(b, "mutant.tflite");
    Operator densify = m.main().operators().get(8);
    assertThat(densify.builtin()).isEqualTo(BuiltinOp.DENSIFY);
    assertThat(densify.outputs()).containsExactly(15);
    int shapes = -1;
    for (TfliteFields.Field f : TfliteFields.of(b).of(TfliteFields.Kind.TENSOR_SHAPE_LEN)) {
      if (++shapes == 15) {
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(f.pos() + 8, 1_048_576); // dim 1
      }
    }
    assertThat(refusal(b)).isEqualTo("model mutant.tflite: op #8 DENSIFY output 0 has shape [8, 1048576, 1, 32], input"
        + " 0 (input) [8, 1, 1, 32]: expected the same");
  }
}
