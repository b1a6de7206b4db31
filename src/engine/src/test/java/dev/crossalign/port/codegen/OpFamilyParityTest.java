package dev.crossalign.port.codegen;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.port.onnx.Exporter;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.OpRegistry;
import dev.crossalign.port.onnx.OnnxOp;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The op registries kept equal by a test instead of by hand: every op name the port lowers also generates PyTorch
 * code ({@link OpLowering#pythonOps}) and exports to ONNX ({@link OpLowering#onnxOps}, what {@link
 * Exporter#supportedOps} reports), or is on a refusal list
 * below with its reason. A refusal that stops being true (the op gained the capability) fails too, so the lists
 * cannot go stale. Whether the generated code of each op is right is checked per op against the interpreter by the
 * op tests (PortHarness -> GeneratedCodeCheck) and per real model in Debian's PyTorch (PyTorchConvertRealModelTest).
 */
class OpFamilyParityTest {
  /** Ops the port lowers that have no PyTorch code generation yet, and why. */
  static final Map<String, String> NO_PYTHON = new TreeMap<>(Map.ofEntries(
      Map.entry("DENSIFY", "only as a weight: folded to a float32 tensor by the generator"),
      Map.entry("DEQUANTIZE", "only as a weight: folded to a float32 tensor by the generator")));


  /** Ops the port lowers that the ONNX exporter does not express, and why. */
  static final Map<String, String> NO_ONNX = Map.of(
      "DENSIFY", "only as a weight: ConstantFolder decodes the sparse constant into an initializer");

  @Test
  void everyLoweredOpGeneratesCodeOrIsRefusedWithAReason() {
    OpRegistry r = OpRegistry.load();
    Set<String> missing = new TreeSet<>();
    for (String name : r.supportedOps()) {
      boolean py = r.find(name).pythonOps().contains(name);
      if (!py && !NO_PYTHON.containsKey(name)) {
        missing.add(name);
      }
    }
    assertThat(missing).as("ops lowered by the port without code generation and not on NO_PYTHON").isEmpty();
  }

  @Test
  void noPythonRefusalIsStale() {
    OpRegistry r = OpRegistry.load();
    Set<String> stale = NO_PYTHON.keySet().stream()
        .filter(n -> r.find(n) == null || r.find(n).pythonOps().contains(n)).collect(Collectors.toCollection(TreeSet::new));
    assertThat(stale).as("NO_PYTHON entries that now generate code or are no longer registered").isEmpty();
  }

  @Test
  void everyLoweredOpExportsToOnnxOrIsRefusedWithAReason() {
    OpRegistry r = OpRegistry.load();
    // the family that lowers an op is the one that exports it (OpLowering#onnxOps), and the exporter asks no one else
    Set<String> exported = r.supportedOps().stream().filter(n -> r.find(n).onnxOps().contains(n))
        .collect(Collectors.toCollection(TreeSet::new));
    assertThat(Exporter.supportedOps()).isEqualTo(exported);
    Set<String> missing = r.supportedOps().stream()
        .filter(n -> !exported.contains(n) && !NO_ONNX.containsKey(n)).collect(Collectors.toCollection(TreeSet::new));
    assertThat(missing).as("ops lowered by the port without ONNX export and not on NO_ONNX").isEmpty();
    Set<String> stale = NO_ONNX.keySet().stream().filter(n -> r.find(n) == null || exported.contains(n))
        .collect(Collectors.toSet());
    assertThat(stale).as("NO_ONNX entries that now export or are no longer registered").isEmpty();
  }

  @Test
  void everyOpTheRealModelsUseGeneratesCode() {
    // the ops of the real models the tests fetch (inspect --json of .cache/models, custom ops aside)
    Set<String> real = Set.of("ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D",
        "DEPTH_TO_SPACE", "FULLY_CONNECTED", "HARD_SWISH", "LOGISTIC", "MAX_POOL_2D", "MEAN", "MUL", "PAD", "PRELU",
        "RELU", "RESHAPE", "RESIZE_BILINEAR", "STRIDED_SLICE");
    OpRegistry r = OpRegistry.load();
    assertThat(real.stream().filter(n -> !r.find(n).pythonOps().contains(n)).toList()).isEmpty();
  }

  @Test
  void refusalReasonsAreSentences() {
    assertThat(NO_PYTHON.values()).allMatch(s -> s.length() > 10);
    assertThat(NO_ONNX.values()).allMatch(s -> s.length() > 10);
  }

  @Test
  void everyFamilyClaimsOnlyOpsItLowersAndImplementsWhatItClaims() throws NoSuchMethodException {
    // An op name a family can generate or export but not lower would be on no list at all: each family's
    // capabilities are subsets of its opNames, and a family that claims one overrides the method behind it.
    for (OpLowering l : ServiceLoader.load(OpLowering.class)) {
      String family = l.getClass().getSimpleName();
      assertThat(l.opNames()).as(family + " pythonOps within opNames").containsAll(l.pythonOps());
      assertThat(l.opNames()).as(family + " onnxOps within opNames").containsAll(l.onnxOps());
      if (!l.onnxOps().isEmpty()) {
        assertThat(l.getClass().getMethod("exportOnnx", OnnxOp.class).getDeclaringClass())
            .as(family + " claims onnxOps: it overrides exportOnnx").isNotEqualTo(OpLowering.class);
      }
      if (!l.pythonOps().isEmpty()) {
        assertThat(l.getClass().getMethod("emitPython", PyOp.class).getDeclaringClass())
            .as(family + " claims pythonOps: it overrides emitPython").isNotEqualTo(OpLowering.class);
      }
    }
  }

  @Test
  void everyBuiltinFamilyIsRegistered() {
    // a family file under port/ops missing from META-INF/services would silently lower, generate and export nothing
    Set<String> registered = new TreeSet<>();
    ServiceLoader.load(OpLowering.class).forEach(l -> registered.add(l.getClass().getSimpleName()));
    assertThat(registered).as("builtin families found by the ServiceLoader").hasSizeGreaterThan(40)
        .contains("Conv2d", "StridedSlice", "Resize", "ShapeExtra", "Normalization");
  }
}
