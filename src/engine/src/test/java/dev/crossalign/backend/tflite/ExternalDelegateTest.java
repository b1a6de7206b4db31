package dev.crossalign.backend.tflite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.crossalign.CrossalignException;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.CapturedTensor;
import dev.crossalign.engine.InputGenerator;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.testutil.TestModels;
import dev.crossalign.tflite.TfliteModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** External delegate plug-ins (gcc-built test delegates from native/) against the plain TFLite interpreter. */
class ExternalDelegateTest {
  /** The magic number that libtest_delegate.so puts at the start of the struct its data_ points at. */
  private static final long MAGIC = 0x43524F5353414C49L;

  private static byte[] model() throws Exception {
    return Files.readAllBytes(TestModels.require("face_detection_short_range.tflite"));
  }

  private static Map<String, HostTensor> inputs(byte[] bytes) {
    return InputGenerator.inputs(TfliteModel.read(bytes, "short"), 7, -1, 1, Map.of());
  }

  @Test
  void delegateThatClaimsNoNodesGivesTheReferenceBitForBit() throws Exception {
    Path lib = TestDelegates.require("test_delegate");
    byte[] bytes = model();
    Map<String, HostTensor> in = inputs(bytes);
    try (TfliteBackend ref = TfliteBackend.open(bytes, "short", TfliteOptions.defaults());
        TfliteBackend del = TfliteBackend.open(
            bytes, "short", TfliteOptions.defaults().withDelegateArgument(lib.toString()))) {
      assertThat(del.delegatePartitions()).isEmpty();
      assertThat(del.executionPlan()).hasSameSizeAs(ref.executionPlan());
      assertThat(del.info()).containsEntry("delegate", "EXTERNAL").containsEntry("delegate.library", lib.toString());
      Activations a = ref.run(in);
      Activations b = del.run(in);
      assertThat(b.outputNames()).isEqualTo(a.outputNames()).isNotEmpty();
      // Every op stayed on the builtin kernels, so every captured tensor (not only the outputs) matches exactly.
      var names = a.tensors().stream().map(CapturedTensor::name).toList();
      assertThat(b.tensors().stream().map(CapturedTensor::name).toList()).isEqualTo(names);
      assertThat(names.size()).isGreaterThan(50);
      for (String n : names) {
        CapturedTensor x = a.get(n);
        CapturedTensor y = b.get(n);
        assertThat(y.tensor().data()).as(n).isEqualTo(x.tensor().data());
      }
    }
  }

  @Test
  void delegatePartitionsNamesWhatADelegateTook() throws Exception {
    // XNNPACK takes the whole float graph of this model: the partition detection must see it (and see nothing
    // without a delegate), or the "nodes the delegate took" report of an external delegate would mean nothing.
    byte[] bytes = model();
    try (TfliteBackend ref = TfliteBackend.open(bytes, "short", TfliteOptions.defaults());
        TfliteBackend x = TfliteBackend.open(
            bytes, "short", TfliteOptions.defaults().withDelegateArgument("xnnpack"))) {
      assertThat(ref.delegatePartitions()).isEmpty();
      assertThat(x.delegatePartitions()).isNotEmpty().allSatisfy(n -> assertThat(n.op()).startsWith("DELEGATE"));
      assertThat(x.executionPlan().size()).isLessThan(ref.executionPlan().size());
    }
  }

  @Test
  void structLayoutAgreesWithTheBytedecoMapping() {
    Path lib = TestDelegates.require("test_delegate");
    try (ExternalDelegate d = ExternalDelegate.load(new ExternalDelegateSpec(lib, Map.of()))) {
      var td = d.tfLiteDelegate();
      // data_ (offset 0) points at the plug-in's struct, whose first 8 bytes are the magic: read through the bytedeco
      // accessors compiled against TFLite 2.20's common.h, so the C side and TFLite agree on the layout.
      assertThat(new org.bytedeco.javacpp.LongPointer(td.data_()).get(0)).isEqualTo(MAGIC);
      assertThat(td.flags()).isZero();
      // The C mirror of the struct against the bytedeco mapping, which JavaCPP compiled against TFLite 2.20's headers.
      com.sun.jna.NativeLibrary nl = com.sun.jna.NativeLibrary.getInstance(lib.toAbsolutePath().toString());
      assertThat(nl.getFunction("crossalign_test_delegate_sizeof").invokeLong(new Object[0]))
          .isEqualTo(org.bytedeco.javacpp.Loader.sizeof(org.bytedeco.tensorflowlite.TfLiteDelegate.class))
          .isEqualTo(56L);
      assertThat(nl.getFunction("crossalign_test_delegate_offsetof_flags").invokeLong(new Object[0]))
          .isEqualTo(org.bytedeco.javacpp.Loader.offsetof(org.bytedeco.tensorflowlite.TfLiteDelegate.class, "flags"));
      assertThat(nl.getFunction("crossalign_test_delegate_offsetof_opaque_builder").invokeLong(new Object[0]))
          .isEqualTo(org.bytedeco.javacpp.Loader.offsetof(
              org.bytedeco.tensorflowlite.TfLiteDelegate.class, "opaque_delegate_builder"));
      assertThat(td.opaque_delegate_builder() == null || td.opaque_delegate_builder().isNull()).isTrue();
      d.close();
      assertThat(d.isClosed()).isTrue();
      d.close(); // idempotent: destroy ran once (a second free would abort the JVM under glibc's checks)
    }
  }

  static Stream<Arguments> refusals() {
    return Stream.of(
        Arguments.of("refusing_delegate", "", "refused to create a delegate", "no accelerator here"),
        Arguments.of("test_delegate", ":create=null", "refused to create a delegate", "refused by option create=null"),
        Arguments.of("test_delegate", ":colour=blue", "refused to create a delegate", "unknown option"),
        Arguments.of("not_a_delegate", "", "lacks the symbol tflite_plugin_create_delegate", "not a TFLite delegate"),
        Arguments.of("test_delegate", ":prepare=error", "could not apply the external delegate", "prepare=error"));
  }

  @ParameterizedTest
  @MethodSource("refusals")
  void refusalsAreOneLineInputErrors(String lib, String opts, String what, String detail) throws Exception {
    Path p = TestDelegates.require(lib);
    byte[] bytes = model();
    assertThatThrownBy(() -> TfliteBackend.open(
            bytes, "short", TfliteOptions.defaults().withDelegateArgument(p + opts)).close())
        .isInstanceOf(CrossalignException.class)
        .satisfies(e -> assertThat(((CrossalignException) e).kind()).isEqualTo(CrossalignException.Kind.INPUT))
        .hasMessageContaining(what)
        .hasMessageContaining(detail)
        .hasMessageNotContaining("\n");
  }

  @Test
  void missingLibraryNamesThePath() throws Exception {
    byte[] bytes = model();
    Path missing = Path.of("/nonexistent/dir/libnothing.so").toAbsolutePath();
    assertThatThrownBy(() -> TfliteBackend.open(
            bytes, "short", TfliteOptions.defaults().withDelegateArgument(missing.toString())).close())
        .isInstanceOf(CrossalignException.class)
        .satisfies(e -> assertThat(((CrossalignException) e).kind()).isEqualTo(CrossalignException.Kind.INPUT))
        .hasMessageContaining(missing.toString())
        .hasMessageContaining("does not exist");
  }

  @Test
  void notALibraryIsAnInputError(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    Path junk = dir.resolve("libjunk.so");
    Files.writeString(junk, "not an ELF file");
    assertThatThrownBy(() -> ExternalDelegate.load(new ExternalDelegateSpec(junk, Map.of())))
        .isInstanceOf(CrossalignException.class)
        .hasMessageContaining("cannot be loaded")
        .hasMessageContaining(junk.toString());
  }

  @Test
  void delegateArgumentParsing() {
    TfliteOptions o = TfliteOptions.defaults();
    assertThat(o.withDelegateArgument("none").delegate()).isEqualTo(TfliteOptions.Delegate.NONE);
    assertThat(o.withDelegateArgument("XNNPACK").delegate()).isEqualTo(TfliteOptions.Delegate.XNNPACK);
    TfliteOptions e = o.withDelegateArgument("/opt/a:b/libgpu.so:backend=cuda,precision=fp32");
    assertThat(e.delegate()).isEqualTo(TfliteOptions.Delegate.EXTERNAL);
    assertThat(e.external().library()).isEqualTo(Path.of("/opt/a:b/libgpu.so"));
    assertThat(e.external().options()).containsExactly(Map.entry("backend", "cuda"), Map.entry("precision", "fp32"));
    assertThat(e.external()).hasToString("/opt/a:b/libgpu.so:backend=cuda,precision=fp32");
    assertThat(o.withDelegateArgument("libx.so").external().options()).isEmpty();
    assertThat(e.withThreads(3).external()).isEqualTo(e.external());
    assertThatThrownBy(() -> o.withDelegateArgument("libx.so:novalue")).hasMessageContaining("not key=value");
    assertThatThrownBy(() -> o.withDelegateArgument("libx.so:a=1,a=2")).hasMessageContaining("given twice");
    assertThatThrownBy(() -> new TfliteOptions(1, TfliteOptions.Delegate.EXTERNAL))
        .isInstanceOf(CrossalignException.class);
  }
}
