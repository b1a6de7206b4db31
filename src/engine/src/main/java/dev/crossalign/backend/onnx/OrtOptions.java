package dev.crossalign.backend.onnx;

import dev.crossalign.CrossalignException;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import java.util.Locale;

/**
 * How an ONNX Runtime session is set up. {@code intraOpThreads}/{@code interOpThreads} 0 = ORT's default. The
 * defaults ({@link #DEFAULT}) aim at a faithful capture: no graph optimization (so that every node of the file runs
 * as written and its output can be fetched), every intermediate captured, one thread, deterministic compute.
 *
 * @param cudnnConvAlgoSearch CUDA only: how cuDNN picks convolution algorithms
 * @param useTf32 CUDA only: allow TF32 math in cuBLAS/cuDNN (off = full fp32)
 */
public record OrtOptions(
    int intraOpThreads,
    int interOpThreads,
    OptLevel optLevel,
    boolean captureIntermediates,
    Device device,
    ConvAlgoSearch cudnnConvAlgoSearch,
    boolean useTf32,
    boolean deterministicCompute) {

  /** Mirrors ORT's GraphOptimizationLevel. */
  public enum OptLevel {
    DISABLE_ALL,
    BASIC,
    EXTENDED,
    ALL
  }

  /** Mirrors the CUDA execution provider's cudnn_conv_algo_search option. */
  public enum ConvAlgoSearch {
    EXHAUSTIVE,
    HEURISTIC,
    DEFAULT
  }

  public static final OrtOptions DEFAULT =
      new OrtOptions(1, 1, OptLevel.DISABLE_ALL, true, Device.CPU, ConvAlgoSearch.HEURISTIC, false, true);

  public OrtOptions {
    if (intraOpThreads < 0 || interOpThreads < 0) {
      throw CrossalignException.input("thread counts must be >= 0 (0 = ORT default), got intra " + intraOpThreads
          + ", inter " + interOpThreads);
    }
    if (optLevel == null || device == null || cudnnConvAlgoSearch == null) {
      throw new NullPointerException("optLevel, device and cudnnConvAlgoSearch must not be null");
    }
  }

  /** The options a {@link DeterminismConfig} implies for ONNX Runtime on {@code device}. */
  public static OrtOptions from(DeterminismConfig cfg, Device device) {
    ConvAlgoSearch search;
    try {
      search = ConvAlgoSearch.valueOf(cfg.ortConvAlgoSearch().trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw CrossalignException.input("ortConvAlgoSearch must be EXHAUSTIVE, HEURISTIC or DEFAULT, got '"
          + cfg.ortConvAlgoSearch() + "'");
    }
    return new OrtOptions(cfg.intraOpThreads(), 1, OptLevel.DISABLE_ALL, true, device, search,
        cfg.allowTf32Cudnn() || cfg.allowTf32Cublas(), cfg.ortDeterministicCompute());
  }

  public OrtOptions withDevice(Device d) {
    return new OrtOptions(intraOpThreads, interOpThreads, optLevel, captureIntermediates, d, cudnnConvAlgoSearch,
        useTf32, deterministicCompute);
  }

  public OrtOptions withOptLevel(OptLevel level) {
    return new OrtOptions(intraOpThreads, interOpThreads, level, captureIntermediates, device, cudnnConvAlgoSearch,
        useTf32, deterministicCompute);
  }

  public OrtOptions withCaptureIntermediates(boolean capture) {
    return new OrtOptions(intraOpThreads, interOpThreads, optLevel, capture, device, cudnnConvAlgoSearch, useTf32,
        deterministicCompute);
  }

  public OrtOptions withThreads(int intra, int inter) {
    return new OrtOptions(intra, inter, optLevel, captureIntermediates, device, cudnnConvAlgoSearch, useTf32,
        deterministicCompute);
  }
}
