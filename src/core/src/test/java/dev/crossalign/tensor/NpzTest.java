package dev.crossalign.tensor;

import static dev.crossalign.tensor.NpyTest.DIR;
import static dev.crossalign.tensor.NpyTest.EXPECTED;
import static dev.crossalign.tensor.NpyTest.assertInputError;
import static dev.crossalign.tensor.NpyTest.assertMatchesNumpy;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** .npz against archives written by np.savez and np.savez_compressed. */
class NpzTest {

  @ParameterizedTest
  @ValueSource(strings = {"pair.npz", "compressed.npz"})
  void readsNumpyArchivesInOrder(String file) {
    LinkedHashMap<String, HostTensor> arrays = Npz.read(DIR.resolve(file));
    var expected = EXPECTED.get(file);
    assertThat(arrays.keySet()).containsExactlyElementsOf(() -> expected.fieldNames());
    arrays.forEach((name, t) -> assertMatchesNumpy(t, expected.get(name)));
  }

  @Test
  void fixturesUseBothZipMethods() throws IOException {
    try (ZipFile stored = new ZipFile(DIR.resolve("pair.npz").toFile());
        ZipFile deflated = new ZipFile(DIR.resolve("compressed.npz").toFile())) {
      assertThat(stored.stream().map(ZipEntry::getMethod)).containsOnly(ZipEntry.STORED);
      assertThat(deflated.stream().map(ZipEntry::getMethod)).containsOnly(ZipEntry.DEFLATED);
    }
  }

  /** Each entry we write must be byte-identical to the .npy that np.save wrote for the same array. */
  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void writesEntriesAsNumpyDoesAndReadsThemBack(boolean compressed, @TempDir Path dir) throws IOException {
    Map<String, HostTensor> in = new LinkedHashMap<>();
    in.put("model/conv_1", Npy.read(DIR.resolve("f4.npy")));
    in.put("ids", Npy.read(DIR.resolve("i8.npy")));
    in.put("scalar", Npy.read(DIR.resolve("scalar.npy")));
    Path p = dir.resolve("out.npz");
    if (compressed) {
      Npz.writeCompressed(p, in);
    } else {
      Npz.write(p, in);
    }
    try (ZipFile zip = new ZipFile(p.toFile())) {
      assertThat(zip.stream().map(ZipEntry::getName))
          .containsExactly("model/conv_1.npy", "ids.npy", "scalar.npy");
      assertThat(zip.stream().map(ZipEntry::getMethod))
          .containsOnly(compressed ? ZipEntry.DEFLATED : ZipEntry.STORED);
      assertThat(zip.getInputStream(zip.getEntry("ids.npy")).readAllBytes())
          .isEqualTo(Files.readAllBytes(DIR.resolve("i8.npy")));
      assertThat(zip.getInputStream(zip.getEntry("model/conv_1.npy")).readAllBytes())
          .isEqualTo(Files.readAllBytes(DIR.resolve("f4.npy")));
    }
    LinkedHashMap<String, HostTensor> back = Npz.read(p);
    assertThat(back.keySet()).containsExactly("model/conv_1", "ids", "scalar");
    assertMatchesNumpy(back.get("model/conv_1"), EXPECTED.get("f4.npy"));
    assertMatchesNumpy(back.get("ids"), EXPECTED.get("i8.npy"));
    assertMatchesNumpy(back.get("scalar"), EXPECTED.get("scalar.npy"));
    try (Stream<Path> s = Files.list(dir)) {
      assertThat(s.map(q -> q.getFileName().toString())).containsExactly("out.npz");
    }
  }

  @Test
  void sameArraysGiveTheSameBytes(@TempDir Path dir) throws IOException {
    Map<String, HostTensor> in = Map.of("a", Npy.read(DIR.resolve("f2.npy")));
    Npz.writeCompressed(dir.resolve("1.npz"), in);
    Npz.writeCompressed(dir.resolve("2.npz"), in);
    assertThat(Files.readAllBytes(dir.resolve("1.npz"))).isEqualTo(Files.readAllBytes(dir.resolve("2.npz")));
  }

  @Test
  void notAZipIsAnInputError(@TempDir Path dir) throws IOException {
    Path p = Files.write(dir.resolve("x.npz"), Files.readAllBytes(DIR.resolve("f4.npy")));
    assertInputError(() -> Npz.read(p), "not a zip archive");
  }

  @Test
  void truncatedArchiveIsAnInputError(@TempDir Path dir) throws IOException {
    byte[] b = Files.readAllBytes(DIR.resolve("compressed.npz"));
    Path p = Files.write(dir.resolve("x.npz"), Arrays.copyOf(b, b.length / 2));
    assertInputError(() -> Npz.read(p), "x.npz");
  }

  @Test
  void entryThatIsNotNpyIsAnInputError(@TempDir Path dir) throws IOException {
    Path p = dir.resolve("x.npz");
    Files.write(p, zip("readme.txt", "hello".getBytes()));
    assertInputError(() -> Npz.read(p), "x.npz!readme.txt: not a valid .npz file: entry is not a .npy array");
  }

  @Test
  void corruptEntryNamesTheEntry(@TempDir Path dir) throws IOException {
    byte[] bad = NpyTest.npy(NpyTest.dict("<f4", "(1000000, 1000000)"), new byte[8]);
    Path p = dir.resolve("x.npz");
    Files.write(p, zip("huge.npy", bad));
    assertInputError(() -> Npz.read(p), "x.npz!huge.npy: not a valid .npy file: shape [1000000, 1000000]");
  }

  @Test
  void missingArchiveIsAnInputError(@TempDir Path dir) {
    assertInputError(() -> Npz.read(dir.resolve("none.npz")), "no such file");
  }

  private static byte[] zip(String name, byte[] content) throws IOException {
    ByteArrayOutputStream bos = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(bos)) {
      z.putNextEntry(new ZipEntry(name));
      z.write(content);
      z.closeEntry();
    }
    return bos.toByteArray();
  }
}
