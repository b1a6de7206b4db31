package dev.crossalign.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.testutil.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** convert --to pytorch: refusals write nothing (exit 3), bad arguments are one-line errors (exit 2). */
class ConvertPyTorchCommandTest {
  @Test
  void aModelWithACustomOpIsRefusedNamingItAndNothingIsWritten(@TempDir Path tmp) throws Exception {
    // a custom op no family lowers (face_landmark_with_attention's MediaPipe ops convert since branch s7-attention)
    Path model = CliTestSupport.unknownCustomOpModel(tmp, "NoSuchPortOp");
    Path dir = tmp.resolve("out");
    CliTestSupport.Run r = CliTestSupport.run("convert", model.toString(), "--to", "pytorch", "-o", dir.toString());
    assertThat(r.status()).isEqualTo(3);
    assertThat(r.err()).contains("NoSuchPortOp").doesNotContain("at dev.crossalign");
    assertThat(r.err().strip().lines().count()).isEqualTo(1);
    assertThat(dir).doesNotExist();
  }

  @Test
  void unknownFormatAndFileAsDirectoryAreInputErrors(@TempDir Path tmp) throws Exception {
    Path model = TestModels.require("hand_recrop.tflite");
    CliTestSupport.Run bad = CliTestSupport.run("convert", model.toString(), "--to", "keras", "-o", tmp.toString());
    assertThat(bad.status()).isEqualTo(2);
    assertThat(bad.err()).contains("--to must be onnx or pytorch");
    Path file = Files.writeString(tmp.resolve("a-file"), "x");
    CliTestSupport.Run onFile = CliTestSupport.run("convert", model.toString(), "--to", "pytorch", "-o", file.toString());
    assertThat(onFile.status()).isEqualTo(2);
    assertThat(onFile.err()).contains("is a file");
    CliTestSupport.Run badClass = CliTestSupport.run("convert", model.toString(), "--to", "pytorch", "-o",
        tmp.resolve("d").toString(), "--class-name", "1x");
    assertThat(badClass.status()).isEqualTo(2);
    assertThat(tmp.resolve("d")).doesNotExist();
  }

  @Test
  void writesTheFourFilesWithTheModuleNamedAsAsked(@TempDir Path tmp) throws Exception {
    Path model = TestModels.require("hand_recrop.tflite");
    Path dir = tmp.resolve("pkg");
    CliTestSupport.Run r = CliTestSupport.run("convert", model.toString(), "--to", "pytorch", "-o", dir.toString(),
        "--class-name", "HandRecrop", "--pytorch-layout", "nchw");
    assertThat(r.status()).as(r.err()).isZero();
    String py = Files.readString(dir.resolve("model.py"));
    assertThat(py).contains("class HandRecrop(nn.Module):").contains("def forward(self, input_1: Tensor, capture: bool = False)")
        .contains("# op ").doesNotContain("input_1.permute(0, 3, 1, 2)");
    // PK zip archives, as torch.load and torch.jit.load expect
    for (String f : new String[] {"weights.pth", "model.pt"}) {
      byte[] head = Files.readAllBytes(dir.resolve(f));
      assertThat(head[0]).isEqualTo((byte) 'P');
      assertThat(head[1]).isEqualTo((byte) 'K');
    }
    assertThat(Files.readString(dir.resolve("USAGE.md"))).contains("HandRecrop()").contains("torch.onnx.export");
  }

  /**
   * Two conversions of one model write the same bytes: model.pt's zip entries sit under "model/" (the archive's own
   * name, as torch.jit.save names them), not under the name of a temporary file.
   */
  @Test
  void twoConversionsWriteTheSameBytes(@TempDir Path tmp) throws Exception {
    Path model = TestModels.require("hand_recrop.tflite");
    for (String d : new String[] {"a", "b"}) {
      CliTestSupport.Run r = CliTestSupport.run("convert", model.toString(), "--to", "pytorch", "-o",
          tmp.resolve(d).toString());
      assertThat(r.status()).as(r.err()).isZero();
    }
    for (String f : new String[] {"model.py", "weights.pth", "model.pt", "USAGE.md"}) {
      assertThat(Files.readAllBytes(tmp.resolve("b").resolve(f))).as(f)
          .isEqualTo(Files.readAllBytes(tmp.resolve("a").resolve(f)));
    }
    try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(tmp.resolve("a").resolve("model.pt").toFile())) {
      assertThat(zip.stream().map(java.util.zip.ZipEntry::getName)).isNotEmpty().allMatch(n -> n.startsWith("model/"));
    }
  }
}
