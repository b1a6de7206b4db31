package dev.crossalign.engine.compare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.crossalign.CrossalignException;
import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.onnx.OnnxModel;
import dev.crossalign.tensor.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** compare's refusals of a pair whose inputs do not fit say which file, in one line (exit 2 or 3). */
class CompareErrorMessagesTest {
  @TempDir Path dir;

  private Path chain() throws Exception {
    Path a = dir.resolve("chain.tflite");
    Files.write(a, CompareFixtures.chainTflite());
    return a;
  }

  private Path onnx(String name, ModelProto proto) {
    Path p = dir.resolve(name);
    OnnxModel.of(proto).write(p);
    return p;
  }

  private static ModelProto identity(String input, DType dtype, int... shape) {
    return new OnnxGraphBuilder("g").addInput(input, dtype, shape)
        .addNode("Identity", List.of(input), List.of("out"))
        .addOutput("out", dtype, shape).buildProto();
  }

  private static CrossalignException thrown(Path a, Path b) {
    try {
      Comparer.compare(CompareRequest.of(a, b));
    } catch (CrossalignException e) {
      return e;
    }
    throw new AssertionError("no refusal");
  }

  @Test
  void anInputWithNoCounterpartNamesBothFilesInBothOrders() throws Exception {
    Path a = chain();
    Path b = onnx("other.onnx", identity("y", DType.FLOAT32, 1, 5));
    for (CrossalignException e : List.of(thrown(a, b), thrown(b, a))) {
      assertThat(e.kind()).isEqualTo(CrossalignException.Kind.INPUT);
      assertThat(e.getMessage()).isEqualTo(b + ": input 'y' [1, 5] has no counterpart among the inputs of " + a
          + " [x[1, 8, 8, 3]] (by name, or by order with a fitting shape); give it with --input y=FILE.npy");
    }
  }

  @Test
  void anInputOfAnotherDtypeNamesTheFile() throws Exception {
    Path a = chain();
    Path b = onnx("ints.onnx", identity("x", DType.INT32, 1, 8, 8, 3));
    CrossalignException e = thrown(a, b);
    assertThat(e.getMessage()).isEqualTo(b + ": input 'x' is INT32, its counterpart 'x' is FLOAT32");
    assertThat(e.getMessage()).doesNotContain("\n");
  }

  @Test
  void anOnnxInputOfAnElementTypeCrossalignCannotHoldNamesTheFile() throws Exception {
    Path a = chain();
    ModelProto p = identity("s", DType.FLOAT32, 1, 4);
    ModelProto.Builder b = p.toBuilder();
    b.getGraphBuilder().getInputBuilder(0).getTypeBuilder().getTensorTypeBuilder().setElemType(8); // STRING
    b.getGraphBuilder().getOutputBuilder(0).getTypeBuilder().getTensorTypeBuilder().setElemType(8);
    Path onnx = onnx("strings.onnx", b.build());
    assertThatThrownBy(() -> Comparer.compare(CompareRequest.of(a, onnx)))
        .isInstanceOf(CrossalignException.class)
        .hasMessageStartingWith(onnx + ": input 's' has ONNX element type STRING");
  }

  @Test
  void anInputItCannotSeedNamesTheModelThatDrives() throws Exception {
    // two ONNX models: the first drives, and its BOOL input has no seeded form (the user gives it with --input)
    Path a = onnx("flags.onnx", identity("f", DType.BOOL, 1, 4));
    Path b = onnx("flags2.onnx", identity("f", DType.BOOL, 1, 4));
    CrossalignException e = thrown(a, b);
    assertThat(e.kind()).isEqualTo(CrossalignException.Kind.UNSUPPORTED);
    assertThat(e.getMessage()).startsWith("model ").contains(a.getFileName().toString())
        .contains("input 'f' of type BOOL: give it with --input NAME=FILE.npy").doesNotContain("\n");
  }
}
