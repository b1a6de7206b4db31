package dev.crossalign.port.codegen;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.port.OpRegistry;
import dev.crossalign.testutil.TestModels;
import dev.crossalign.tflite.TfliteModel;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The float32-range clamps of the JVM's TorchScript form run in place on the op's fresh result (one pass less per
 * conv / add / pool), never on a variable another op could still read; the model.py the user keeps has none of them.
 * The numbers of that form against the interpreter are TorchScriptPathTest's and XnnpackBackendTest's.
 */
class InPlaceClampTest {
  private static final Pattern IN_PLACE = Pattern.compile("torch\\.hardtanh_\\(([^,(]*)[,(]");

  @Test
  void overflowClampsAreInPlaceOnFreshResultsOnly() {
    TfliteModel model = TfliteModel.read(TestModels.require("face_detection_short_range.tflite"));
    GeneratedModel jvm = PyGenerator.generate(model, OpRegistry.load(), "Model", PyGenerator.Boundary.NHWC, true);
    String ts = jvm.torchScript();
    assertThat(ts).doesNotContain("torch.hardtanh(");
    Matcher m = IN_PLACE.matcher(ts);
    int n = 0;
    while (m.find()) {
      // the clamped value is a call or a parenthesized expression, not a bare tensor name
      assertThat(m.group(1)).as("argument of in-place clamp #" + n).matches("torch\\.\\w+|F\\.\\w+|");
      n++;
    }
    assertThat(n).as("in-place clamps (37 convs + 15 adds + ...)").isGreaterThanOrEqualTo(50);

    GeneratedModel kept = PyGenerator.generate(model, OpRegistry.load(), "Model", PyGenerator.Boundary.NHWC, false);
    assertThat(kept.source()).doesNotContain("hardtanh_").doesNotContain("3.4028234663852886e38");
  }
}
