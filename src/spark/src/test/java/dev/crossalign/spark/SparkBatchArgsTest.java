package dev.crossalign.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.crossalign.CrossalignException;
import dev.crossalign.backend.BackendKind;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * SparkBatch's command line is checked before any Spark session starts (no session here): the partition count and the
 * backends, each bad value a one-line input error (exit 2) instead of a NumberFormatException's trace or a failure on
 * an executor.
 */
class SparkBatchArgsTest {
  @Test
  void goodArgumentsAreTyped() {
    SparkBatch.Args a = SparkBatch.Args.parse("m.csv", "out", "3", "tflite,torch,onnxruntime");
    assertThat(a.manifest()).isEqualTo(Path.of("m.csv"));
    assertThat(a.outDir()).isEqualTo("out");
    assertThat(a.partitions()).isEqualTo(3);
    assertThat(a.settings().options().backends())
        .containsExactly(BackendKind.TFLITE, BackendKind.TORCH, BackendKind.ONNXRUNTIME);
    assertThat(SparkBatch.Args.parse("m.csv", "out").partitions()).isZero();
  }

  @Test
  void badArgumentsAreOneLineInputErrors() {
    for (List<String> bad : List.of(List.of("m.csv"), List.of("m.csv", "out", "x"), List.of("m.csv", "out", "-1"),
        List.of("m.csv", "out", "2", "tflite,caffe"))) {
      assertThatThrownBy(() -> SparkBatch.Args.parse(bad.toArray(String[]::new))).as(bad.toString())
          .isInstanceOfSatisfying(CrossalignException.class,
              e -> assertThat(e.kind()).isEqualTo(CrossalignException.Kind.INPUT))
          .hasMessageNotContaining("\n");
    }
    assertThatThrownBy(() -> SparkBatch.Args.parse("m.csv", "out", "x"))
        .hasMessage("PARTITIONS must be a whole number, at least 0 (0: Spark's default parallelism), got 'x'");
    assertThatThrownBy(() -> SparkBatch.Args.parse("m.csv", "out", "2", "tflite,caffe"))
        .hasMessageContaining("unknown backend 'caffe'");
    assertThatThrownBy(() -> SparkBatch.Args.parse("m.csv")).hasMessageStartingWith("usage: SparkBatch");
  }
}
