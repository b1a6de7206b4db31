package dev.crossalign.backend.cudnn;

/**
 * One entry of cuDNN's forward algorithm list (cudnnConvolutionFwdAlgoPerf_t), from cudnnFindConvolutionForwardAlgorithmEx
 * (measured) or cudnnGetConvolutionForwardAlgorithm_v7 (heuristic; time is then -1).
 *
 * @param algorithm the algorithm (null when cuDNN returned an id this enum does not know: see algorithmId)
 * @param algorithmId the native id
 * @param status cudnnGetErrorString of the entry's status ("CUDNN_STATUS_SUCCESS" when it ran)
 * @param timeMs cuDNN's measured time in ms, or -1 when not measured
 * @param workspaceBytes workspace the algorithm needs
 * @param deterministic cuDNN's own claim (CUDNN_DETERMINISTIC)
 * @param mathType the math type it used or would use
 */
public record AlgoPerf(
    ConvAlgorithm algorithm,
    int algorithmId,
    String status,
    double timeMs,
    long workspaceBytes,
    boolean deterministic,
    MathType mathType) {

  public boolean ok() {
    return "CUDNN_STATUS_SUCCESS".equals(status);
  }

  public String name() {
    return algorithm == null ? "ALGO_" + algorithmId : algorithm.name();
  }
}
