package dev.crossalign.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.align.AlignmentResult;
import dev.crossalign.backend.BackendKind;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * validate's report config says which code the torch port's isolated run took ({@code torch.isolated_path}, set by
 * the torch leg once the run is made) next to the chained path ({@code torch.path}): the demo model, every op with
 * code generation, runs isolated through its per-op TorchScript methods; a run without an isolated leg has no such
 * entry.
 */
class IsolatedPathConfigTest {
  @ParameterizedTest
  @EnumSource(ValidationRequest.RunMode.class)
  void theConfigNamesTheIsolatedPathWhenAnIsolatedRunWasMade(ValidationRequest.RunMode mode) {
    ValidationRequest d = ValidationRequest.defaults(null);
    ValidationRequest req = new ValidationRequest(null, List.of(BackendKind.TFLITE, BackendKind.TORCH), mode, d.run(),
        null);
    AlignmentResult result = Validator.validate(req).result();
    assertThat(result.config()).containsEntry("torch.path", "torchscript");
    if (mode.isolated()) {
      assertThat(result.config()).containsEntry("torch.isolated_path", "torchscript");
      assertThat(result.comparisons()).anyMatch(c -> c.mode() == dev.crossalign.align.Mode.ISOLATED);
    } else {
      assertThat(result.config()).doesNotContainKey("torch.isolated_path");
    }
  }
}
