package dev.crossalign.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tensor.Npy;
import dev.crossalign.tensor.Npz;
import dev.crossalign.testutil.RandomTensors;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --input files and the preprocessing checks, through the CLI on the demo model (input 'input' [1,224,224,3]). */
class InputFilesTest {
  @TempDir Path dir;

  private static HostTensor image(int[] shape, double scale) {
    return RandomTensors.uniform(9, Layout.ANY, 0, scale, shape);
  }

  @Test
  void a0To255ImageForAModelExpecting0To1IsFlaggedInTheNotes() {
    Path f = dir.resolve("img.npy");
    Npy.write(f, image(new int[] {1, 224, 224, 3}, 255));
    CliTestSupport.Run r = CliTestSupport.run("validate", "--input", "input=" + f, "--expected-range", "0,1");
    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out()).contains("input 'input': range [").contains("channel means [").contains("255");
  }

  @Test
  void nchwDataForAnNhwcInputIsAnInputErrorThatSaysSo() {
    Path f = dir.resolve("nchw.npy");
    Npy.write(f, image(new int[] {1, 3, 224, 224}, 1));
    CliTestSupport.Run r = CliTestSupport.run("validate", "--input", "input=" + f);
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err()).contains("NCHW").contains("[0,2,3,1]");
  }

  @Test
  void npzInputsByNameAndUnknownNames() {
    Path f = dir.resolve("in.npz");
    Npz.write(f, Map.of("input", image(new int[] {1, 224, 224, 3}, 1)));
    assertThat(CliTestSupport.run("validate", "--input", f.toString(), "-q").status()).isZero();
    Path g = dir.resolve("bad.npz");
    Npz.write(g, Map.of("image", image(new int[] {1, 224, 224, 3}, 1)));
    CliTestSupport.Run r = CliTestSupport.run("validate", "--input", g.toString());
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err()).contains("image").contains("input[1, 224, 224, 3]");
    // a member name the fuzz suite made (a folder inside the zip): the refusal names the .npz, on one line
    Path h = dir.resolve("folder.npz");
    Npz.write(h, Map.of("a/input", image(new int[] {1, 224, 224, 3}, 1)));
    CliTestSupport.Run s = CliTestSupport.run("validate", "--input", h.toString(), "-q");
    assertThat(s.status()).isEqualTo(2);
    assertThat(s.err().strip().lines().toList()).containsExactly("crossalign: --input " + h + ": member 'a/input' names"
        + " no input of model " + dev.crossalign.engine.DemoModel.LABEL + "; its inputs are [input[1, 224, 224, 3]]");
  }

  @Test
  void truncatedNpyIsExit2() throws Exception {
    Path f = dir.resolve("t.npy");
    byte[] b = Npy.toBytes(image(new int[] {1, 224, 224, 3}, 1));
    java.nio.file.Files.write(f, java.util.Arrays.copyOf(b, b.length - 100));
    CliTestSupport.Run r = CliTestSupport.run("validate", "--input", "input=" + f);
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err().strip().lines().count()).isEqualTo(1);
  }
}
