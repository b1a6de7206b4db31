package dev.crossalign.engine.compare;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.align.InputChecks;
import dev.crossalign.align.Verdict;
import dev.crossalign.onnx.OnnxModel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An ONNX conversion whose first conv expects BGR where the TFLite model takes RGB: compare says so. */
class ChannelOrderTest {
  @TempDir Path dir;

  @Test
  void aModelThatExpectsSwappedChannelsIsNamedInTheNotes() throws Exception {
    Path a = Files.write(dir.resolve("chain.tflite"), CompareFixtures.chainTflite());
    // W1 is OHWI [4,3,3,3]: swapping its input channels makes the ONNX model compute, on BGR, what TFLite does on RGB
    OnnxModel bgr = CompareFixtures.replaceInitializer(CompareFixtures.chainOnnx(CompareFixtures.W2),
        "W1", InputChecks.swapChannels(CompareFixtures.W1).permute(new int[] {0, 3, 1, 2}, dev.crossalign.tensor.Layout.ANY));
    Path b = dir.resolve("bgr.onnx");
    bgr.write(b);
    Comparer.Outcome o = Comparer.compare(CompareRequest.of(a, b));
    assertThat(o.result().verdict()).isEqualTo(Verdict.MISALIGNED);
    assertThat(o.result().notes()).anyMatch(n -> n.startsWith("channel order: with the image channels swapped"));

    Path same = dir.resolve("rgb.onnx");
    CompareFixtures.chainOnnx(CompareFixtures.W2).write(same);
    Comparer.Outcome ok = Comparer.compare(CompareRequest.of(a, same));
    assertThat(ok.result().verdict()).isEqualTo(Verdict.ALIGNED);
    assertThat(ok.result().notes()).noneMatch(n -> n.startsWith("channel order"));
  }
}
