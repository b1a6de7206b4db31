package dev.crossalign.tflite;

import dev.crossalign.ModelFormatException;
import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.testutil.TestModels;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Hostile files against the pure-Java reader: every bit-flipped, truncated or byte-smashed variant of a real model
 * either reads or fails with a ModelFormatException; nothing else (no IndexOutOfBounds, no NegativeArraySize, no OOM).
 */
class ReaderFuzzTest {
  @Test
  void mutatedRealModelsNeverEscapeAsOtherExceptions() throws Exception {
    byte[] orig = Files.readAllBytes(TestModels.require("face_detection_short_range.tflite"));
    SplittableRandom rnd = new SplittableRandom(42);
    int rejected = 0;
    int accepted = 0;
    for (int i = 0; i < 3000; i++) {
      byte[] b = orig.clone();
      switch (i % 3) {
        case 0 -> {
          for (int k = 0; k < 1 + rnd.nextInt(4); k++) {
            int pos = rnd.nextInt(Math.min(b.length, 40_000)); // the flatbuffer tables sit before the big buffers
            b[pos] ^= (byte) (1 << rnd.nextInt(8));
          }
        }
        case 1 -> b = Arrays.copyOf(b, rnd.nextInt(b.length));
        default -> {
          int pos = rnd.nextInt(Math.min(b.length - 4, 40_000));
          int v = rnd.nextInt();
          b[pos] = (byte) v;
          b[pos + 1] = (byte) (v >> 8);
          b[pos + 2] = (byte) (v >> 16);
          b[pos + 3] = (byte) (v >> 24);
        }
      }
      try {
        TfliteModel.read(b, "fuzz" + i);
        accepted++;
      } catch (ModelFormatException e) {
        assertThat(e.getMessage()).doesNotContain("\n");
        rejected++;
      }
    }
    assertThat(rejected).isPositive();
    assertThat(accepted + rejected).isEqualTo(3000);
  }
}
