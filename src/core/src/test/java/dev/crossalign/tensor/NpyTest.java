package dev.crossalign.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.crossalign.CrossalignException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** .npy reading against files and numbers written by numpy 2.4 (src/test/resources/npy/generate.py). */
class NpyTest {
  static final Path DIR = resourceDir();
  static final JsonNode EXPECTED = expected();

  static Path resourceDir() {
    try {
      return Path.of(NpyTest.class.getResource("/npy/expected.json").toURI()).getParent();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static JsonNode expected() {
    try {
      return new ObjectMapper().readTree(DIR.resolve("expected.json").toFile());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static Stream<String> npyFixtures() {
    List<String> names = new ArrayList<>();
    EXPECTED.fieldNames().forEachRemaining(n -> {
      if (n.endsWith(".npy")) {
        names.add(n);
      }
    });
    assertThat(names).hasSizeGreaterThanOrEqualTo(19);
    return names.stream();
  }

  static DType dtypeOf(String descr) {
    return switch (descr.substring(1)) {
      case "f2" -> DType.FLOAT16;
      case "f4" -> DType.FLOAT32;
      case "f8" -> DType.FLOAT64;
      case "i1" -> DType.INT8;
      case "u1" -> DType.UINT8;
      case "i2" -> DType.INT16;
      case "i4" -> DType.INT32;
      case "i8" -> DType.INT64;
      case "b1" -> DType.BOOL;
      default -> throw new AssertionError(descr);
    };
  }

  /** Asserts dtype, shape, every value (exactly) and the sum (as numpy computed it) of one numpy description. */
  static void assertMatchesNumpy(HostTensor t, JsonNode e) {
    int[] shape = new int[e.get("shape").size()];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = e.get("shape").get(i).asInt();
    }
    assertThat(t.dtype()).isEqualTo(dtypeOf(e.get("descr").asText()));
    assertThat(t.shape()).containsExactly(shape);
    assertThat(t.layout()).isEqualTo(Layout.ANY);
    JsonNode values = e.get("values");
    assertThat(t.numel()).isEqualTo(values.size());
    double sum = 0;
    for (int i = 0; i < values.size(); i++) {
      JsonNode v = values.get(i);
      if (t.dtype() == DType.INT64) {
        assertThat(t.toLongArray()[i]).as("element %d", i).isEqualTo(v.asLong());
      } else if (t.dtype() == DType.BOOL) {
        assertThat(t.getDouble(i)).as("element %d", i).isEqualTo(v.asBoolean() ? 1.0 : 0.0);
      } else {
        assertThat(t.getDouble(i)).as("element %d", i).isEqualTo(v.asDouble());
      }
      sum += t.getDouble(i);
    }
    double ref = e.get("sum").asDouble();
    assertThat(sum).isCloseTo(ref, org.assertj.core.data.Offset.offset(1e-12 * Math.max(1, Math.abs(ref))));
  }

  @ParameterizedTest
  @MethodSource("npyFixtures")
  void readsEveryNumpyFixture(String name) {
    assertMatchesNumpy(Npy.read(DIR.resolve(name)), EXPECTED.get(name));
  }

  @ParameterizedTest
  @MethodSource("npyFixtures")
  void streamReadGivesTheSameTensor(String name) throws IOException {
    byte[] file = Files.readAllBytes(DIR.resolve(name));
    HostTensor t = Npy.read(new ByteArrayInputStream(file), name, Long.MAX_VALUE);
    assertMatchesNumpy(t, EXPECTED.get(name));
  }

  /** numpy's np.save bytes are the oracle for the writer: same header text, padding and data. */
  @ParameterizedTest
  @ValueSource(strings = {"f4.npy", "f2.npy", "f8.npy", "i1.npy", "u1.npy", "i2.npy", "i4.npy", "i8.npy", "b1.npy",
      "scalar.npy", "empty.npy"})
  void writesByteIdenticalToNumpySave(String name) throws IOException {
    byte[] numpy = Files.readAllBytes(DIR.resolve(name));
    assertThat(Npy.toBytes(Npy.read(DIR.resolve(name)))).isEqualTo(numpy);
  }

  /** Converted inputs (Fortran, big-endian) are written in the form np.save gives for np.ascontiguousarray(x, '<'). */
  @Test
  void fortranAndBigEndianAreWrittenAsCOrderLittleEndian() {
    HostTensor t = Npy.read(DIR.resolve("big_fortran_f8.npy"));
    byte[] b = Npy.toBytes(t);
    String header = new String(b, 10, b.length - 10, StandardCharsets.ISO_8859_1);
    assertThat(header).startsWith("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }");
    assertMatchesNumpy(Npy.read(new ByteArrayInputStream(b), "rt", b.length), EXPECTED.get("big_fortran_f8.npy"));
  }

  @Test
  void headerIsAlignedTo64AndV2WhenTooLongForV1() {
    byte[] v1 = Npy.header(DType.FLOAT32, new int[] {2, 3});
    assertThat(v1.length % 64).isZero();
    assertThat(v1[6]).isEqualTo((byte) 1);
    assertThat(v1[v1.length - 1]).isEqualTo((byte) '\n');
    int[] manyDims = new int[30000];
    Arrays.fill(manyDims, 1);
    byte[] v2 = Npy.header(DType.FLOAT32, manyDims);
    assertThat(v2[6]).isEqualTo((byte) 2);
    assertThat(v2.length % 64).isZero();
    int len = ByteBuffer.wrap(v2, 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
    assertThat(12 + len).isEqualTo(v2.length);
  }

  @Test
  void writeIsAtomicAndReplaces(@TempDir Path dir) throws IOException {
    Path p = dir.resolve("sub/x.npy");
    Npy.write(p, HostTensor.ofFloats(new int[] {2}, Layout.NHWC, new float[] {1f, 2f}));
    Npy.write(p, HostTensor.ofFloats(new int[] {3}, Layout.NHWC, new float[] {4f, 5f, 6f}));
    assertThat(Npy.read(p).toFloatArray()).containsExactly(4f, 5f, 6f);
    try (Stream<Path> s = Files.list(p.getParent())) {
      assertThat(s.map(q -> q.getFileName().toString())).containsExactly("x.npy");
    }
  }

  @Test
  void writeIntoAFileAsDirectoryIsAnInputError(@TempDir Path dir) throws IOException {
    Path file = Files.writeString(dir.resolve("f"), "x");
    assertInputError(() -> Npy.write(file.resolve("x.npy"), HostTensor.ofInts(new int[] {1}, Layout.ANY,
        new int[] {1})), "cannot write");
  }

  // ---- hostile input --------------------------------------------------------------------------------------

  static byte[] npy(String dict, byte[] data) {
    return npy(1, dict, data);
  }

  static byte[] npy(int major, String dict, byte[] data) {
    byte[] h = dict.getBytes(StandardCharsets.ISO_8859_1);
    int prefix = major == 1 ? 10 : 12;
    ByteBuffer b = ByteBuffer.allocate(prefix + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put(Npy.MAGIC).put((byte) major).put((byte) 0);
    if (major == 1) {
      b.putShort((short) h.length);
    } else {
      b.putInt(h.length);
    }
    return b.put(h).put(data).array();
  }

  static String dict(String descr, String shape) {
    return "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }\n";
  }

  static Stream<Arguments> hostileFiles() throws IOException {
    byte[] good = Files.readAllBytes(DIR.resolve("f4.npy"));
    byte[] wrongMagic = good.clone();
    wrongMagic[1] = 'X';
    byte[] v4 = good.clone();
    v4[6] = 4;
    byte[] longHeader = good.clone();
    longHeader[8] = (byte) 0xff;
    longHeader[9] = (byte) 0xff;
    return Stream.of(
        Arguments.of("empty", new byte[0], "empty"),
        Arguments.of("bad magic", wrongMagic, "bad magic"),
        Arguments.of("text file", "hello world, not numpy".getBytes(StandardCharsets.UTF_8), "bad magic"),
        Arguments.of("version 4.0", v4, "version 4.0"),
        Arguments.of("only the magic", Arrays.copyOf(good, 7), "truncated"),
        Arguments.of("header length past the end", longHeader, "header length 65535"),
        Arguments.of("truncated header", Arrays.copyOf(good, 40), "header length 118 exceeds the 40 bytes"),
        Arguments.of("truncated data", Arrays.copyOf(good, good.length - 3), "truncated"),
        Arguments.of("trailing bytes", Arrays.copyOf(good, good.length + 4), "trailing bytes"),
        Arguments.of("header not a dict", npy("['descr', '<f4']\n", new byte[0]), "not a dict"),
        Arguments.of("header garbage", npy("\u0000\u0001\u0002", new byte[0]), "not a dict"),
        Arguments.of("negative dim", npy(dict("<f4", "(-1, 3)"), new byte[12]), "invalid dimension -1"),
        Arguments.of("dim over int", npy(dict("<f4", "(4294967296,)"), new byte[4]), "invalid dimension"),
        Arguments.of("10^12 elements", npy(dict("<f4", "(1000000, 1000000)"), new byte[16]),
            "needs 4000000000000 data bytes"),
        Arguments.of("numel overflows long", npy(dict("<f8", "(2147483647, 2147483647, 2147483647)"), new byte[8]),
            "more elements than a long holds"),
        Arguments.of("shape of floats", npy(dict("<f4", "(2.5,)"), new byte[8]), "expected ')'"),
        Arguments.of("shape a string", npy(dict("<f4", "'2'"), new byte[8]), "shape is not a tuple"),
        Arguments.of("unknown descr", npy(dict("<c8", "(1,)"), new byte[8]), "unsupported dtype descr '<c8'"),
        Arguments.of("object descr", npy(dict("|O", "(1,)"), new byte[8]), "descr '|O'"),
        Arguments.of("unsigned 32", npy(dict("<u4", "(1,)"), new byte[4]), "descr '<u4'"),
        Arguments.of("structured", npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }",
            new byte[4]), "structured arrays"),
        Arguments.of("missing shape", npy("{'descr': '<f4', 'fortran_order': False}", new byte[4]), "'shape'"),
        Arguments.of("duplicate key", npy("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': ()}",
            new byte[4]), "duplicate key"),
        Arguments.of("extra key", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (), 'x': True}",
            new byte[4]), "unexpected key 'x'"),
        Arguments.of("fortran not bool", npy("{'descr': '<f4', 'fortran_order': 'no', 'shape': ()}",
            new byte[4]), "fortran_order"),
        Arguments.of("unterminated", npy("{'descr': '<f4", new byte[4]), "unterminated"),
        Arguments.of("text after dict", npy(dict("<f4", "()") + "x", new byte[4]), "text after"),
        Arguments.of("v2 header length 3 GiB", npy(2, dict("<f4", "(1,)"), new byte[4]), null));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hostileFiles")
  void hostileFileIsAOneLineInputError(String what, byte[] bytes, String fragment, @TempDir Path dir)
      throws IOException {
    Path p = dir.resolve("hostile.npy");
    Files.write(p, bytes);
    if (fragment == null) {
      // control row: a well-formed v2 header reads
      assertThat(Npy.read(p).shape()).containsExactly(1);
      return;
    }
    assertInputError(() -> Npy.read(p), fragment);
    CrossalignException e = catchThrowableOfType(CrossalignException.class, () -> Npy.read(p));
    assertThat(e.getMessage()).contains(p.toString());
    // the stream reader gives the same diagnosis (trailing bytes are "more bytes follow" there)
    CrossalignException s = catchThrowableOfType(CrossalignException.class,
        () -> Npy.read(new ByteArrayInputStream(bytes), "stream.npy", bytes.length));
    assertThat(s.kind()).isEqualTo(CrossalignException.Kind.INPUT);
    assertThat(s.getMessage()).startsWith("stream.npy: ").doesNotContain("\n");
  }

  @Test
  void giantClaimOnAnEndlessStreamFailsBeforeAllocating() {
    byte[] head = npy(dict("<f4", "(1000000, 1000000)"), new byte[0]);
    InputStream endless = new InputStream() {
      @Override
      public int read() {
        return 0;
      }
    };
    assertInputError(() -> Npy.read(new SequenceInputStream(new ByteArrayInputStream(head), endless), "s",
        Long.MAX_VALUE), "over the 2 GiB limit");
  }

  /** A header that claims 1.5 GiB over a stream of 16 bytes must not allocate 1.5 GiB first. */
  @Test
  void largeClaimOnAShortStreamBuffersOnlyWhatArrives() {
    byte[] bytes = npy(dict("<f4", "(400000000,)"), new byte[16]);
    long before = usedHeap();
    assertInputError(() -> Npy.read(new ByteArrayInputStream(bytes), "short.npy", Long.MAX_VALUE),
        "truncated after 16");
    // the surefire heap is 4 GiB; a 1.6 GB array would show up here or fail with OutOfMemoryError
    assertThat(usedHeap() - before).isLessThan(200L << 20);
  }

  @Test
  void truncatedHeaderOnAStream() throws IOException {
    byte[] file = Arrays.copyOf(Files.readAllBytes(DIR.resolve("f4.npy")), 40);
    assertInputError(() -> Npy.read(new ByteArrayInputStream(file), "cut", Long.MAX_VALUE),
        "truncated in the header (30 of 118 bytes)");
  }

  @Test
  void streamCapIsEnforced() throws IOException {
    byte[] file = Files.readAllBytes(DIR.resolve("f4.npy"));
    assertInputError(() -> Npy.read(new ByteArrayInputStream(file), "capped", file.length - 1), "at most");
  }

  @Test
  void missingFileIsAnInputError(@TempDir Path dir) {
    assertInputError(() -> Npy.read(dir.resolve("nope.npy")), "no such file");
  }

  private static long usedHeap() {
    Runtime r = Runtime.getRuntime();
    return r.totalMemory() - r.freeMemory();
  }

  static void assertInputError(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String fragment) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(CrossalignException.class, e -> {
          assertThat(e.kind()).isEqualTo(CrossalignException.Kind.INPUT);
          assertThat(e.getMessage()).doesNotContain("\n").contains(fragment);
        });
  }
}
