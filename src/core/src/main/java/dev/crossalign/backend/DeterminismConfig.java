package dev.crossalign.backend;

/**
 * One immutable set of knobs applied to every backend of a run, so that "same model, seed and config" means the same
 * thing everywhere. The defaults are the deterministic profile.
 */
public record DeterminismConfig(
    long seed,
    boolean cudnnDeterministic,
    boolean cudnnBenchmark,
    boolean deterministicAlgorithms,
    boolean deterministicWarnOnly,
    boolean allowTf32Cudnn,
    boolean allowTf32Cublas,
    String cublasWorkspaceConfig,
    int intraOpThreads,
    String ortConvAlgoSearch,
    boolean ortDeterministicCompute) {

  public static final DeterminismConfig DETERMINISTIC =
      new DeterminismConfig(0L, true, false, true, false, false, false, ":4096:8", 1, "HEURISTIC", true);

  public DeterminismConfig withSeed(long newSeed) {
    return new DeterminismConfig(
        newSeed,
        cudnnDeterministic,
        cudnnBenchmark,
        deterministicAlgorithms,
        deterministicWarnOnly,
        allowTf32Cudnn,
        allowTf32Cublas,
        cublasWorkspaceConfig,
        intraOpThreads,
        ortConvAlgoSearch,
        ortDeterministicCompute);
  }

  public DeterminismConfig withIntraOpThreads(int threads) {
    return new DeterminismConfig(
        seed,
        cudnnDeterministic,
        cudnnBenchmark,
        deterministicAlgorithms,
        deterministicWarnOnly,
        allowTf32Cudnn,
        allowTf32Cublas,
        cublasWorkspaceConfig,
        threads,
        ortConvAlgoSearch,
        ortDeterministicCompute);
  }
}
