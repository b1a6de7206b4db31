package dev.crossalign.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.crossalign.CrossalignException;
import dev.crossalign.ModelFormatException;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.onnx.OrtBackend;
import dev.crossalign.backend.onnx.OrtOptions;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.testutil.TestModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxModelTest {
  @TempDir Path dir;

  static final float[] W = {1f, -2f, 0.5f, 4f, 3f, -1f};
  static final float[] BIAS = {10f, 20f};

  /** y = x @ W^T + b (Gemm with transB): closed form below. */
  static OnnxModel gemm() {
    return new OnnxGraphBuilder("gemm")
        .addInput("x", DType.FLOAT32, new int[] {1, 3})
        .addInitializer("W", HostTensor.ofFloats(new int[] {2, 3}, Layout.ANY, W))
        .addInitializer("b", HostTensor.ofFloats(new int[] {2}, Layout.ANY, BIAS))
        .addNode("Gemm", List.of("x", "W", "b"), List.of("y"), OnnxGraphBuilder.attrs().putInt("transB", 1))
        .addOutput("y", DType.FLOAT32, new int[] {1, 2})
        .metadata("k", "v")
        .build();
  }

  static float[] run(OnnxModel m, float... x) {
    try (OrtBackend b = OrtBackend.open(m, OrtOptions.DEFAULT)) {
      Activations a = b.run(Map.of("x", HostTensor.ofFloats(new int[] {1, 3}, Layout.ANY, x)));
      return a.tensor("y").toFloatArray();
    }
  }

  static void assertInputError(Runnable r, String fragment) {
    assertThatThrownBy(r::run)
        .isInstanceOf(ModelFormatException.class)
        .hasMessageContaining(fragment)
        .satisfies(e -> assertThat(((CrossalignException) e).kind()).isEqualTo(CrossalignException.Kind.INPUT));
  }

  @Test
  void accessorsDescribeTheGraph() {
    OnnxModel m = gemm();
    assertThat(m.producerName()).isEqualTo("crossalign");
    assertThat(m.irVersion()).isEqualTo(OnnxGraphBuilder.DEFAULT_IR_VERSION);
    assertThat(m.opsetImports()).containsExactly(Map.entry("", 17L));
    assertThat(m.opset()).isEqualTo(17L);
    assertThat(m.inputs()).containsExactly(new OnnxValueInfo("x", TensorProto.DataType.FLOAT_VALUE, List.of(1L, 3L)));
    assertThat(m.inputs().get(0).dtype()).contains(DType.FLOAT32);
    assertThat(m.outputs()).extracting(OnnxValueInfo::name).containsExactly("y");
    assertThat(m.nodes()).containsExactly(new OnnxNode(0, "y", "", "Gemm", List.of("x", "W", "b"), List.of("y")));
    assertThat(m.initializerNames()).containsExactly("W", "b");
    assertThat(m.initializers().get("W").shape()).containsExactly(2, 3);
    assertThat(m.initializer("W").toFloatArray()).containsExactly(W);
    assertThat(m.metadata()).containsEntry("k", "v");
  }

  @Test
  void builtModelRunsInOnnxRuntimeWithTheClosedFormResult() {
    // y0 = 1*1 - 2*2 + 0.5*3 + 10 = 8.5 ; y1 = 4*1 + 3*2 - 1*3 + 20 = 27
    assertThat(run(gemm(), 1f, 2f, 3f)).containsExactly(8.5f, 27f);
  }

  @Test
  void oldStyleInitializersListedAsInputsAreNotInputsToFeed() {
    ModelProto p = gemm().proto();
    GraphProto g = p.getGraph().toBuilder()
        .addInput(OnnxGraphBuilder.valueInfo("W", DType.FLOAT32, new int[] {2, 3})).build();
    OnnxModel m = OnnxModel.of(p.toBuilder().setGraph(g).build());
    assertThat(m.inputs()).extracting(OnnxValueInfo::name).containsExactly("x");
    assertThat(OnnxChecker.check(m)).isEmpty();
  }

  @Test
  void typedFieldInitializersConvert() {
    TensorProto f = TensorProto.newBuilder().setName("f").setDataType(TensorProto.DataType.FLOAT_VALUE)
        .addDims(2).addFloatData(1.5f).addFloatData(-2f).build();
    TensorProto i8 = TensorProto.newBuilder().setName("i8").setDataType(TensorProto.DataType.INT8_VALUE)
        .addDims(3).addInt32Data(-128).addInt32Data(0).addInt32Data(127).build();
    TensorProto l = TensorProto.newBuilder().setName("l").setDataType(TensorProto.DataType.INT64_VALUE)
        .addInt64Data(Long.MIN_VALUE).build();
    assertThat(OnnxTensors.toHost(f).toFloatArray()).containsExactly(1.5f, -2f);
    assertThat(OnnxTensors.toHost(i8).toFloatArray()).containsExactly(-128f, 0f, 127f);
    assertThat(OnnxTensors.toHost(l).toLongArray()).containsExactly(Long.MIN_VALUE);
    assertThat(OnnxTensors.toHost(l).shape()).isEmpty();
  }

  @Test
  void initializerWithTooFewElementsIsAFormatError() {
    ModelProto p = gemm().proto();
    TensorProto bad = p.getGraph().getInitializer(0).toBuilder()
        .setRawData(p.getGraph().getInitializer(0).getRawData().substring(0, 16)).build();
    byte[] bytes = p.toBuilder().setGraph(p.getGraph().toBuilder().setInitializer(0, bad)).build().toByteArray();
    assertInputError(() -> OnnxModel.read(bytes), "initializer 'W' holds 4 elements");
  }

  @Test
  void stringInitializerIsUnsupportedNotACrash() {
    TensorProto s = TensorProto.newBuilder().setName("s").setDataType(TensorProto.DataType.STRING_VALUE)
        .addDims(1).addStringData(com.google.protobuf.ByteString.copyFromUtf8("a")).build();
    assertThatThrownBy(() -> OnnxTensors.toHost(s))
        .isInstanceOf(CrossalignException.class)
        .satisfies(e -> assertThat(((CrossalignException) e).kind()).isEqualTo(CrossalignException.Kind.UNSUPPORTED));
  }

  // ------------------------------------------------------------------ write / read

  @Test
  void writeReadRoundTripIsByteIdenticalAndLeavesNoTempFiles() throws IOException {
    OnnxModel m = gemm();
    Path f = dir.resolve("m.onnx");
    m.write(f);
    m.write(f); // replaces
    assertThat(Files.readAllBytes(f)).isEqualTo(m.toBytes());
    try (Stream<Path> s = Files.list(dir)) {
      assertThat(s.map(p -> p.getFileName().toString())).containsExactly("m.onnx");
    }
    OnnxModel back = OnnxModel.read(f);
    assertThat(back.proto()).isEqualTo(m.proto());
    assertThat(run(back, 1f, 2f, 3f)).containsExactly(8.5f, 27f);
  }

  @Test
  void writeIntoAMissingDirectoryIsAnInputError() {
    assertThatThrownBy(() -> gemm().write(dir.resolve("no/such/dir/m.onnx")))
        .isInstanceOf(CrossalignException.class).hasMessageContaining("cannot write");
  }

  // ------------------------------------------------------------------ broken files

  @Test
  void emptyFileIsAFormatError() throws IOException {
    Path f = Files.write(dir.resolve("empty.onnx"), new byte[0]);
    assertInputError(() -> OnnxModel.read(f), "is empty");
    assertInputError(() -> OnnxModel.read(new byte[0]), "is empty");
  }

  @Test
  void missingFileAndDirectoryAreFormatErrors() {
    assertInputError(() -> OnnxModel.read(dir.resolve("nope.onnx")), "no such file");
    assertInputError(() -> OnnxModel.read(dir), "is a directory");
  }

  @Test
  void everyTruncationIsAFormatErrorNeverAnotherException() {
    OnnxModel m = gemm();
    byte[] full = m.toBytes();
    // protobuf has no length header: a cut exactly between two top-level fields after opset_import leaves a valid
    // model without the later fields (here metadata_props, field 14, written last). That one prefix must parse to the
    // model minus its metadata; every other prefix must be refused with a ModelFormatException.
    ModelProto noMeta = m.proto().toBuilder().clearMetadataProps().build();
    int boundary = noMeta.getSerializedSize();
    for (int n = 1; n < full.length; n++) {
      byte[] cut = Arrays.copyOf(full, n);
      if (n == boundary) {
        assertThat(OnnxModel.read(cut).proto()).isEqualTo(noMeta);
        continue;
      }
      try {
        OnnxModel.read(cut);
        throw new AssertionError("prefix of " + n + " of " + full.length + " bytes was accepted");
      } catch (ModelFormatException expected) {
        assertThat(expected.kind()).isEqualTo(CrossalignException.Kind.INPUT);
      }
    }
  }

  @Test
  void truncationInsideAMessageReportsAnOffset() {
    byte[] full = gemm().toBytes();
    byte[] cut = Arrays.copyOf(full, full.length / 2);
    assertThatThrownBy(() -> OnnxModel.read(cut))
        .isInstanceOf(ModelFormatException.class)
        .satisfies(e -> assertThat(((ModelFormatException) e).offset()).isBetween(0L, (long) cut.length));
  }

  @Test
  void randomGarbageIsAFormatError() {
    Random r = new Random(42);
    for (int i = 0; i < 200; i++) {
      byte[] g = new byte[1 + r.nextInt(4096)];
      r.nextBytes(g);
      assertThatThrownBy(() -> OnnxModel.read(g)).isInstanceOf(ModelFormatException.class);
    }
    byte[] text = "this is not a model\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    assertThatThrownBy(() -> OnnxModel.read(text)).isInstanceOf(ModelFormatException.class);
  }

  @Test
  void aTfliteFileIsRecognised() throws IOException {
    Path models = modelsDir();
    Path tfl = models == null ? null : models.resolve("face_detection_short_range.tflite");
    byte[] bytes;
    if (tfl != null && Files.isRegularFile(tfl)) {
      bytes = Files.readAllBytes(tfl);
    } else {
      bytes = new byte[] {0x1c, 0, 0, 0, 'T', 'F', 'L', '3', 0, 0, 0, 0};
    }
    assertInputError(() -> OnnxModel.read(bytes), "TFLite flatbuffer");
  }

  static Path modelsDir() {
    Path d = TestModels.modelsDir();
    return Files.isDirectory(d) ? d : null;
  }

  // ------------------------------------------------------------------ external data

  @Test
  void externalDataRoundTrip() throws IOException {
    OnnxModel m = gemm();
    Path f = dir.resolve("ext.onnx");
    m.writeWithExternalData(f, "ext.onnx.data", 16); // W (24 bytes) goes out, b (8 bytes) stays inline
    Path data = dir.resolve("ext.onnx.data");
    assertThat(Files.size(data)).isEqualTo(24);
    ModelProto onDisk = ModelProto.parseFrom(Files.readAllBytes(f));
    TensorProto w = onDisk.getGraph().getInitializer(0);
    assertThat(w.getDataLocation()).isEqualTo(TensorProto.DataLocation.EXTERNAL);
    assertThat(w.getRawData().isEmpty()).isTrue();
    assertThat(onDisk.getGraph().getInitializer(1).getDataLocation()).isEqualTo(TensorProto.DataLocation.DEFAULT);
    // ONNX Runtime itself reads the external file when given the path: the independent check of our layout
    // the environment is process-wide and shared: not closed here
    ai.onnxruntime.OrtEnvironment env = ai.onnxruntime.OrtEnvironment.getEnvironment();
    try (ai.onnxruntime.OrtSession s = env.createSession(f.toString());
        ai.onnxruntime.OnnxTensor x = ai.onnxruntime.OnnxTensor.createTensor(env, new float[][] {{1f, 2f, 3f}});
        ai.onnxruntime.OrtSession.Result r = s.run(Map.of("x", x))) {
      assertThat(((float[][]) r.get(0).getValue())[0]).containsExactly(8.5f, 27f);
    } catch (ai.onnxruntime.OrtException e) {
      throw new AssertionError(e);
    }
    OnnxModel back = OnnxModel.read(f);
    assertThat(back.initializer("W").toFloatArray()).containsExactly(W);
    assertThat(back.initializer("b").toFloatArray()).containsExactly(BIAS);
    assertThat(run(back, 1f, 2f, 3f)).containsExactly(8.5f, 27f);
  }

  /** gemm() with W pointing at external data with these entries; writes the data file when {@code data} != null. */
  private Path withExternal(String name, byte[] data, String dataName, String... kv) throws IOException {
    ModelProto p = gemm().proto();
    TensorProto.Builder w = p.getGraph().getInitializer(0).toBuilder().clearRawData()
        .setDataLocation(TensorProto.DataLocation.EXTERNAL);
    for (int i = 0; i < kv.length; i += 2) {
      w.addExternalData(StringStringEntryProto.newBuilder().setKey(kv[i]).setValue(kv[i + 1]));
    }
    if (data != null) {
      Files.write(dir.resolve(dataName), data);
    }
    Path f = dir.resolve(name);
    Files.write(f, p.toBuilder().setGraph(p.getGraph().toBuilder().setInitializer(0, w)).build().toByteArray());
    return f;
  }

  static byte[] wBytes(int padBefore) {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(padBefore + 24).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    b.position(padBefore);
    b.asFloatBuffer().put(W);
    return b.array();
  }

  @Test
  void externalDataWithOffsetIsRead() throws IOException {
    Path f = withExternal("m.onnx", wBytes(100), "w.bin", "location", "w.bin", "offset", "100", "length", "24");
    assertThat(OnnxModel.read(f).initializer("W").toFloatArray()).containsExactly(W);
  }

  @Test
  void externalDataPastTheEndOfTheFileIsAFormatError() throws IOException {
    Path f = withExternal("m.onnx", wBytes(0), "w.bin", "location", "w.bin", "offset", "8", "length", "24");
    assertInputError(() -> OnnxModel.read(f), "runs past the end");
  }

  @Test
  void externalDataLengthThatDisagreesWithDimsIsAFormatError() throws IOException {
    Path f = withExternal("m.onnx", wBytes(0), "w.bin", "location", "w.bin", "length", "20");
    assertInputError(() -> OnnxModel.read(f), "need 24");
  }

  @Test
  void externalDataOutsideTheModelDirectoryIsRefused() throws IOException {
    Files.write(dir.resolve("w.bin"), wBytes(0));
    Path sub = Files.createDirectory(dir.resolve("sub"));
    Path m1 = withExternal("sub/a.onnx", null, null, "location", "../w.bin");
    assertInputError(() -> OnnxModel.read(m1), "outside the model directory");
    Path m2 = withExternal("sub/b.onnx", null, null, "location", dir.resolve("w.bin").toString());
    assertInputError(() -> OnnxModel.read(m2), "is absolute");
    Files.createSymbolicLink(sub.resolve("link.bin"), dir.resolve("w.bin"));
    Path m3 = withExternal("sub/c.onnx", null, null, "location", "link.bin");
    assertInputError(() -> OnnxModel.read(m3), "through a link");
    Path m4 = withExternal("sub/d.onnx", null, null, "location", "missing.bin");
    assertInputError(() -> OnnxModel.read(m4), "does not exist");
    Path m5 = withExternal("sub/e.onnx", null, null, "offset", "0");
    assertInputError(() -> OnnxModel.read(m5), "has no location");
    Path m6 = withExternal("sub/f.onnx", wBytes(0), "sub/w.bin", "location", "w.bin", "offset", "x");
    assertInputError(() -> OnnxModel.read(m6), "is not a number");
  }

  @Test
  void externalDataFromBytesNeedsADirectory() throws IOException {
    Path f = withExternal("m.onnx", wBytes(0), "w.bin", "location", "w.bin");
    byte[] bytes = Files.readAllBytes(f);
    assertInputError(() -> OnnxModel.read(bytes), "external data");
    assertThat(OnnxModel.read(bytes, dir).initializer("W").toFloatArray()).containsExactly(W);
  }

  @Test
  void externalDataFileNameMustBePlain() {
    assertThatThrownBy(() -> gemm().writeWithExternalData(dir.resolve("m.onnx"), "../x.bin", 0))
        .isInstanceOf(CrossalignException.class).hasMessageContaining("plain file name");
  }
}
