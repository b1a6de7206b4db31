package dev.crossalign.engine.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.backend.cudnn.MathType;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How the cuDNN leg names the fastest, heuristic and deterministic algorithm of a layer (closed forms). */
class CudnnLegPicksTest {
  static CudnnLeg.AlgoResult algo(String name, boolean det, double ms, boolean repeatable, String error) {
    return new CudnnLeg.AlgoResult(name, "FMA", det, ms, ms, 0, 1e-6, 1e-7, 1e-6, repeatable, 5, error);
  }

  @Test
  void fastestHeuristicAndDeterministicPicks() {
    List<CudnnLeg.AlgoResult> algos = List.of(
        algo("FFT", false, 0.010, true, null), // fastest, not claimed deterministic
        algo("WINOGRAD", true, 0.020, false, null), // claimed deterministic, yet differed here: not a pick
        algo("IMPLICIT_GEMM", true, 0.030, true, null),
        algo("GEMM", true, 0.001, true, "CUDNN_STATUS_NOT_SUPPORTED")); // did not run
    CudnnLeg.MathResult m = CudnnLeg.mathResult(MathType.FMA, List.of("GEMM/FMA", "IMPLICIT_GEMM/FMA"), algos);
    assertThat(m.fastest()).isEqualTo("FFT");
    assertThat(m.fastestMs()).isEqualTo(0.010);
    assertThat(m.heuristicPick()).isEqualTo("IMPLICIT_GEMM"); // GEMM is first but did not run
    assertThat(m.deterministicPick()).isEqualTo("IMPLICIT_GEMM");
    assertThat(m.deterministicMs()).isEqualTo(0.030);
    assertThat(m.tf32Allowed()).isFalse();
    assertThat(CudnnLeg.mathResult(MathType.DEFAULT, List.of(), algos).tf32Allowed()).isTrue();
  }

  @Test
  void summaryCountsNonRepeatableRunsAndSumsTimes() {
    CudnnLeg.MathResult fma = CudnnLeg.mathResult(MathType.FMA, List.of("FFT/FMA"),
        List.of(algo("FFT", false, 0.5, false, null), algo("GEMM", true, 1.0, true, null)));
    CudnnLeg.LayerResult l = new CudnnLeg.LayerResult("m", 3, "CONV_2D", "y", "g", false, 1e-7, List.of(fma), null,
        null);
    CudnnLeg.ModelSummary s = CudnnLeg.summaries(List.of(l, l)).get(0);
    assertThat(s.layers()).isEqualTo(2);
    assertThat(s.algorithmRuns()).isEqualTo(4);
    assertThat(s.notRepeatable()).isEqualTo(2);
    assertThat(s.fmaFastestMsSum()).isEqualTo(1.0);
    assertThat(s.fmaDeterministicMsSum()).isEqualTo(2.0);
    assertThat(s.deterministicAlgorithms()).containsExactly("GEMM");
    assertThat(s.nonDeterministicAlgorithms()).containsExactly("FFT");
  }
}
