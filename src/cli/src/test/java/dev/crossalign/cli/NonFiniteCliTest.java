package dev.crossalign.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * NaN on both sides is not ALIGNED: SQRT of inputs in [-1, 1) is NaN wherever the input is negative, in TFLite and
 * in the port alike. By default that fails (exit 1, counted in the headline); with --accept-nonfinite the matching NaNs
 * pass.
 */
class NonFiniteCliTest {
  @TempDir Path dir;

  private Path sqrtModel() throws Exception {
    TfliteWriter w = new TfliteWriter();
    int x = w.input("x", TensorType.FLOAT32, 1, 64);
    int y = w.tensor("y", TensorType.FLOAT32, 1, 64);
    w.op(BuiltinOp.SQRT, new OpOptions.None(), new int[] {x}, new int[] {y});
    w.outputs(y);
    Path p = dir.resolve("sqrt.tflite");
    Files.write(p, w.build());
    return p;
  }

  @Test
  void compareOfNaNOnBothSidesIsNotAlignedUnlessAccepted() throws Exception {
    Path m = sqrtModel();
    Path json = dir.resolve("c.json");
    CliTestSupport.Run r = CliTestSupport.run("compare", m.toString(), m.toString(), "--json", json.toString());
    assertThat(r.status()).as(r.out() + r.err()).isEqualTo(1);
    assertThat(r.out().strip().lines().reduce((a, b) -> b).orElseThrow()).startsWith("MISALIGNED: 1 of 2")
        .contains("1 comparison with NaN/Inf (1 failing)");
    assertThat(r.out()).contains("not accepted (--accept-nonfinite)");
    JsonNode n = new ObjectMapper().readTree(json.toFile());
    assertThat(n.get("verdict").asText()).isEqualTo("misaligned");
    assertThat(n.get("counts").get("nonfinite_failing").asInt()).isPositive();

    CliTestSupport.Run ok = CliTestSupport.run("compare", m.toString(), m.toString(), "--accept-nonfinite", "--json",
        json.toString());
    assertThat(ok.status()).as(ok.out() + ok.err()).isZero();
    JsonNode a = new ObjectMapper().readTree(json.toFile());
    assertThat(a.get("tolerance").get("accept_nonfinite").asBoolean()).isTrue();
    assertThat(a.get("counts").get("nonfinite").asInt()).isPositive();
    assertThat(a.get("counts").get("nonfinite_failing").asInt()).isZero();
  }

  @Test
  void validateOfNaNOnBothSidesFailsByDefault() throws Exception {
    Path m = sqrtModel();
    CliTestSupport.Run r = CliTestSupport.run("validate", m.toString(), "--backends", "tflite,torch", "--mode",
        "chained");
    assertThat(r.status()).as(r.out() + r.err()).isEqualTo(1);
    assertThat(r.out()).contains("with NaN/Inf");
    CliTestSupport.Run ok = CliTestSupport.run("validate", m.toString(), "--backends", "tflite,torch", "--mode",
        "chained", "--accept-nonfinite");
    assertThat(ok.status()).as(ok.out() + ok.err()).isZero();
  }
}
