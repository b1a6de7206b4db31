package dev.crossalign.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.crossalign.CrossalignException;
import dev.crossalign.backend.onnx.OrtBackend;
import dev.crossalign.backend.onnx.OrtOptions;
import dev.crossalign.tensor.DType;
import dev.crossalign.ModelFormatException;
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

  static ai.onnx.proto.OnnxMl.GraphProto branch(String name, String operand) {
    return ai.onnx.proto.OnnxMl.GraphProto.newBuilder().setName(name)
        .addNode(ai.onnx.proto.OnnxMl.NodeProto.newBuilder().setOpType("Neg").addInput(operand).addOutput(name + "_out"))
        .addOutput(OnnxGraphBuilder.valueInfo(name + "_out", DType.FLOAT32, null))
        .build();
  }

  @Test
  void subgraphsSeeOuterScopeValuesButNotUndefinedOnes() {
    ai.onnx.proto.OnnxMl.ModelProto p = base()
        .addInput("cond", DType.BOOL, new int[] {})
        .addNode("Relu", List.of("x"), List.of("a"))
        .addNode("If", List.of("cond"), List.of("r"))
        .addOutput("r", DType.FLOAT32, null)
        .buildProto();
    var g = p.getGraph().toBuilder();
    g.getNodeBuilder(1)
        .addAttribute(ai.onnx.proto.OnnxMl.AttributeProto.newBuilder().setName("then_branch")
            .setType(ai.onnx.proto.OnnxMl.AttributeProto.AttributeType.GRAPH).setG(branch("then", "a")))
        .addAttribute(ai.onnx.proto.OnnxMl.AttributeProto.newBuilder().setName("else_branch")
            .setType(ai.onnx.proto.OnnxMl.AttributeProto.AttributeType.GRAPH).setG(branch("else", "nothere")));
    List<String> problems = OnnxChecker.check(OnnxModel.of(p.toBuilder().setGraph(g).build()));
    assertThat(problems).singleElement().asString()
        .contains("If #1 (r).else_branch").contains("input 'nothere' of Neg #0 is not defined");
  }

  @Test
  void duplicateInitializersAndInputsAreFound() {
    OnnxModel m = base()
        .addInput("x", DType.FLOAT32, new int[] {1, 4})
        .addInitializer("w", dev.crossalign.tensor.HostTensor.ofFloats(new int[] {1}, dev.crossalign.tensor.Layout.ANY,
            new float[] {1f}))
        .addInitializer("w", dev.crossalign.tensor.HostTensor.ofFloats(new int[] {1}, dev.crossalign.tensor.Layout.ANY,
            new float[] {2f}))
        .addNode("Mul", List.of("x", "w"), List.of("y"))
        .addOutput("y", DType.FLOAT32, null)
        .buildUnchecked();
    assertThat(OnnxChecker.check(m)).containsExactly(
        "graph: graph input 'x' is declared twice", "graph: initializer 'w' is declared twice");
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
