package dev.crossalign.backend.tflite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.crossalign.CrossalignException;
import dev.crossalign.CrossalignException.Kind;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.testutil.TestModels;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Models TFLite must refuse with a one-line INPUT error, never a JVM crash. */
class TfliteBackendBadModelTest {

  static void assertRefused(byte[] model, String... parts) {
    assertThatThrownBy(() -> TfliteBackend.open(model, "bad.tflite", TfliteOptions.defaults()).close())
        .isInstanceOfSatisfying(CrossalignException.class, e -> {
          assertThat(e.kind()).isEqualTo(Kind.INPUT);
          assertThat(e.getMessage()).doesNotContain("\n").contains("bad.tflite");
          for (String p : parts) {
            assertThat(e.getMessage()).contains(p);
          }
        });
  }

  @Test
  void emptyAndTinyArrays() {
    assertRefused(new byte[0], "empty (0 bytes)");
    assertRefused(new byte[] {1, 2, 3}, "3 bytes");
  }

  @Test
  void garbageBytes() {
    byte[] g = new byte[4096];
    new Random(1).nextBytes(g);
    assertRefused(g, "verifier rejected");
    assertRefused("this is not a tflite model, just text".getBytes(StandardCharsets.UTF_8), "verifier rejected");
    // Right identifier, nonsense body.
    byte[] id = new byte[64];
    System.arraycopy("TFL3".getBytes(StandardCharsets.US_ASCII), 0, id, 4, 4);
    assertRefused(id, "verifier rejected");
  }

  @Test
  void truncatedRealModels() {
    for (String name : new String[] {TestModels.SHORT_RANGE, TestModels.FULL_RANGE, TestModels.FULL_RANGE_SPARSE}) {
      byte[] m = TestModels.bytes(name);
      assertRefused(Arrays.copyOf(m, m.length / 2), "verifier rejected");
      assertRefused(Arrays.copyOf(m, 100), "verifier rejected");
    }
  }

  enum Outcome {
    REJECTED_BY_VERIFIER,
    REJECTED_BY_BUILDER_OR_ALLOCATION,
    UNSUPPORTED,
    RAN
  }

  /**
   * Bit flips over 50 seeds, one bit and sixteen bits each. Flips that land in weight bytes give a valid model that
   * runs (no verifier can tell); flips in the structure must be refused as INPUT or UNSUPPORTED. Any native crash
   * would kill this JVM, so reaching the asserts at all is the main evidence.
   */
  @Test
  void bitFlippedModelsAreRefusedOrRunNeverCrash() {
    byte[] good = TestModels.bytes(TestModels.SHORT_RANGE);
    for (int flips : new int[] {1, 16}) {
      Map<Outcome, Integer> count = new EnumMap<>(Outcome.class);
      for (int seed = 0; seed < 50; seed++) {
        Random r = new Random(seed);
        byte[] m = good.clone();
        for (int k = 0; k < flips; k++) {
          m[r.nextInt(m.length)] ^= (byte) (1 << r.nextInt(8));
        }
        Outcome o;
        try (TfliteBackend b = TfliteBackend.open(m, "flip" + seed, TfliteOptions.defaults())) {
          String in = b.inputNames().get(0);
          int[] shape = b.inputShape(in);
          b.run(Map.of(in, HostTensor.ofFloats(shape, Layout.NHWC, new float[(int) HostTensor.numel(shape)])));
          o = Outcome.RAN;
        } catch (CrossalignException e) {
          assertThat(e.getMessage()).doesNotContain("\n");
          assertThat(e.kind()).as("seed %d: %s", seed, e.getMessage()).isIn(Kind.INPUT, Kind.UNSUPPORTED);
          o = e.kind() == Kind.UNSUPPORTED
              ? Outcome.UNSUPPORTED
              : e.getMessage().contains("verifier") ? Outcome.REJECTED_BY_VERIFIER : Outcome.REJECTED_BY_BUILDER_OR_ALLOCATION;
        }
        count.merge(o, 1, Integer::sum);
      }
      System.out.println("bit flips x" + flips + " over 50 seeds: " + count);
      assertThat(count.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(50);
      if (flips == 16) {
        // Sixteen flips nearly always hit some structure: the refusals must show up.
        assertThat(count.getOrDefault(Outcome.REJECTED_BY_VERIFIER, 0)).isGreaterThan(5);
        assertThat(count.getOrDefault(Outcome.REJECTED_BY_BUILDER_OR_ALLOCATION, 0)).isGreaterThan(0);
      }
    }
  }
}
