package dev.crossalign.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.crossalign.CrossalignException;
import dev.crossalign.backend.onnx.OrtBackend;
import dev.crossalign.backend.onnx.OrtOptions;
import dev.crossalign.tensor.DType;
import dev.crossalign.tflite.ModelFormatException;
import java.util.List;
import org.junit.jupiter.api.Test;

class OnnxCheckerTest {

  static OnnxGraphBuilder base() {
    return new OnnxGraphBuilder("g").addInput("x", DType.FLOAT32, new int[] {1, 4});
  }

  @Test
  void soundGraphHasNoProblems() {
    OnnxModel m = base()
        .addNode("Relu", List.of("x"), List.of("a"))
        // "" = omitted optional input (Clip min), allowed
        .addNode("Clip", List.of("a", "", ""), List.of("b"))
        .addOutput("b", DType.FLOAT32, null)
        .buildUnchecked();
    assertThat(OnnxChecker.check(m)).isEmpty();
  }

  @Test
  void undefinedInputIsFoundAndOnnxRuntimeAgreesTheGraphIsBroken() {
    OnnxModel m = base()
        .addNode("Add", List.of("x", "ghost"), List.of("a"))
        .addOutput("a", DType.FLOAT32, null)
        .buildUnchecked();
    assertThat(OnnxChecker.check(m)).singleElement().asString()
        .contains("input 'ghost' of Add #0 (a) is not defined");
    assertThatThrownBy(() -> OrtBackend.open(m, OrtOptions.DEFAULT)).isInstanceOf(CrossalignException.class);
  }

  @Test
  void nonTopologicalOrderIsFound() {
    OnnxModel m = base()
        .addNode("Neg", List.of("a"), List.of("b"))
        .addNode("Relu", List.of("x"), List.of("a"))
        .addOutput("b", DType.FLOAT32, null)
        .buildUnchecked();
    assertThat(OnnxChecker.check(m)).singleElement().asString()
        .contains("not in topological order").contains("input 'a' of Neg #0 (b) is produced later, by Relu #1 (a)");
  }

  @Test
  void duplicateProducersUnknownDomainAndMissingOutputsAreFound() {
    OnnxModel m = base()
        .addNode("Relu", List.of("x"), List.of("a"))
        .addNode("Neg", List.of("x"), List.of("a"))
        .addNode("n", "com.example", "Custom", List.of("a"), List.of("c"), OnnxGraphBuilder.attrs())
        .addOutput("a", DType.FLOAT32, null)
        .addOutput("a", DType.FLOAT32, null)
        .addOutput("nowhere", DType.FLOAT32, null)
        .buildUnchecked();
    List<String> p = OnnxChecker.check(m);
    assertThat(p).anyMatch(s -> s.contains("output 'a' of Neg #1 (a) is already defined by Relu #0 (a)"));
    assertThat(p).anyMatch(s -> s.contains("uses domain 'com.example', which the model does not import"));
    assertThat(p).anyMatch(s -> s.contains("graph output 'a' is listed twice"));
    assertThat(p).anyMatch(s -> s.contains("graph output 'nowhere' is not produced"));
    assertThat(p).hasSize(4);
  }

  @Test
  void importedCustomDomainIsAccepted() {
    OnnxModel m = base()
        .opsetImport("com.example", 1)
        .addNode("n", "com.example", "Custom", List.of("x"), List.of("c"), OnnxGraphBuilder.attrs())
        .addOutput("c", DType.FLOAT32, null)
        .buildUnchecked();
    assertThat(OnnxChecker.check(m)).isEmpty();
  }

  @Test
  void checkOrThrowAndBuildThrowAFormatError() {
    OnnxGraphBuilder b = base()
        .addNode("Add", List.of("x", "ghost"), List.of("a"))
        .addOutput("a", DType.FLOAT32, null);
    assertThatThrownBy(b::build)
        .isInstanceOf(ModelFormatException.class)
        .hasMessageStartingWith("invalid ONNX graph: ")
        .hasMessageContaining("'ghost'")
        .satisfies(e -> assertThat(((CrossalignException) e).kind()).isEqualTo(CrossalignException.Kind.INPUT));
  }
}
