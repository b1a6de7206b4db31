package dev.crossalign.backend.cudnn;

import static dev.crossalign.backend.cudnn.Cudnn.check;
import static dev.crossalign.backend.cudnn.Cudnn.checkCuda;
import static org.bytedeco.cuda.global.cudart.cudaDeviceSynchronize;
import static org.bytedeco.cuda.global.cudart.cudaEventCreate;
import static org.bytedeco.cuda.global.cudart.cudaEventDestroy;
import static org.bytedeco.cuda.global.cudart.cudaEventElapsedTime;
import static org.bytedeco.cuda.global.cudart.cudaEventRecord;
import static org.bytedeco.cuda.global.cudart.cudaEventSynchronize;
import static org.bytedeco.cuda.global.cudart.cudaFree;
import static org.bytedeco.cuda.global.cudart.cudaMemcpy;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyDeviceToHost;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyHostToDevice;
import static org.bytedeco.cuda.global.cudart.cudaMemset;
import static org.bytedeco.cuda.global.cudart.cudaSetDevice;
import static org.bytedeco.cuda.global.cudnn.CUDNN_DETERMINISTIC;
import static org.bytedeco.cuda.global.cudnn.cudnnConvolutionForward;
import static org.bytedeco.cuda.global.cudnn.cudnnCreate;
import static org.bytedeco.cuda.global.cudnn.cudnnFindConvolutionForwardAlgorithmEx;
import static org.bytedeco.cuda.global.cudnn.cudnnGetConvolutionForwardAlgorithmMaxCount;
import static org.bytedeco.cuda.global.cudnn.cudnnGetConvolutionForwardAlgorithm_v7;
import static org.bytedeco.cuda.global.cudnn.cudnnGetConvolutionForwardWorkspaceSize;
import static org.bytedeco.cuda.global.cudnn.cudnnSetConvolutionMathType;

import dev.crossalign.CrossalignException;
import dev.crossalign.CrossalignException.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.bytedeco.cuda.cudart.CUevent_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.cudnn.cudnnContext;
import org.bytedeco.cuda.cudnn.cudnnConvolutionFwdAlgoPerf_t;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.SizeTPointer;

/**
 * One TFLite convolution (CONV_2D or DEPTHWISE_CONV_2D, float32) run directly on cuDNN: descriptors, device buffers
 * and the filter are set up once; {@link #forward} runs it with a chosen algorithm and math type. TF's asymmetric SAME
 * padding is reproduced by a host pre-pad plus cuDNN's symmetric pad ({@link PaddingPlan}).
 *
 * <p>Bias and the fused activation are not applied here: the caller adds them on the host, so that what is compared
 * between algorithms is exactly cuDNN's convolution.
 *
 * <p>One owner; {@link #close()} frees every descriptor and device buffer once, and still frees the rest when one free
 * fails. Not thread-safe.
 */
public final class CudnnConv implements AutoCloseable {
  /** Most workspace we hand an algorithm; larger requests are reported as skipped, not allocated. */
  static final long MAX_WORKSPACE = 1L << 30;

  private final ConvGeometry g;
  private final PaddingPlan plan;
  private final AtomicReference<ConvHandles> handles;

  private CudnnConv(ConvGeometry g, PaddingPlan plan, ConvHandles h) {
    this.g = g;
    this.plan = plan;
    this.handles = new AtomicReference<>(h);
  }

  /**
   * Sets up the convolution on CUDA device {@code device}.
   *
   * @param filterKcrs the filter in cuDNN's KCRS order ({@link HostLayouts#convFilterToKcrs} or {@link
   *     HostLayouts#depthwiseFilterToKcrs}), exactly {@link ConvGeometry#filterElements()} floats
   * @throws CrossalignException ENVIRONMENT without a usable GPU; INTERNAL naming the failing call otherwise
   */
  public static CudnnConv create(ConvGeometry g, float[] filterKcrs, int device) {
    return create(g, g.plan(), filterKcrs, device);
  }

  /**
   * As {@link #create(ConvGeometry, float[], int)} with another padding than TF's: the GPU check times the conv with
   * the symmetric pad a framework's {@code padding=k//2} gives, to show what TF's asymmetric SAME costs. The plan must
   * give the geometry's output size (cuDNN's own output size is checked against it).
   */
  public static CudnnConv create(ConvGeometry g, PaddingPlan plan, float[] filterKcrs, int device) {
    Cudnn.require();
    checkArguments(g, plan, filterKcrs);
    ConvHandles h = new ConvHandles();
    boolean ok = false;
    try {
      checkCuda("cudaSetDevice(" + device + ")", cudaSetDevice(device));
      h.handle = new cudnnContext();
      check("cudnnCreate", cudnnCreate(h.handle));
      h.describe(g, plan);
      h.allocate(g, plan, filterKcrs);
      CudnnConv conv = new CudnnConv(g, plan, h);
      ok = true;
      return conv;
    } finally {
      if (!ok) {
        try {
          h.close();
        } catch (RuntimeException e) {
          // The first failure is the one to report.
        }
      }
    }
  }

  private static void checkArguments(ConvGeometry g, PaddingPlan plan, float[] filterKcrs) {
    PaddingPlan tf = g.plan();
    if (plan == null || plan.outH() != tf.outH() || plan.outW() != tf.outW()) {
      throw new CrossalignException(
          Kind.INTERNAL, "padding plan " + plan + " does not give TF's output " + tf.outH() + "x" + tf.outW() + " for " + g);
    }
    if (filterKcrs == null || filterKcrs.length != g.filterElements()) {
      throw new CrossalignException(
          Kind.INTERNAL,
          "filter for " + g + " has " + (filterKcrs == null ? "no" : filterKcrs.length) + " floats, needs "
              + g.filterElements());
    }
  }

  public ConvGeometry geometry() {
    return g;
  }

  /** The padding this conv runs with (TF's unless created with another plan). */
  public PaddingPlan plan() {
    return plan;
  }

  /**
   * Runs every forward algorithm through cudnnFindConvolutionForwardAlgorithmEx on the given input (cuDNN measures
   * each), with the math type set first (FMA forbids TF32; DEFAULT lets cuDNN use TF32 tensor cores on Ampere+).
   *
   * @param inputNhwc the TFLite input activation, NHWC, {@link ConvGeometry#inputElements()} floats
   */
  public List<AlgoPerf> find(float[] inputNhwc, MathType math) {
    ConvHandles h = requireOpen();
    upload(h, inputNhwc);
    check("cudnnSetConvolutionMathType", cudnnSetConvolutionMathType(h.convDesc, math.id()));
    int max = maxAlgorithms(h);
    ensureWorkspace(h, maxWorkspace(h));
    int[] returned = new int[1];
    try (cudnnConvolutionFwdAlgoPerf_t perf = new cudnnConvolutionFwdAlgoPerf_t(max)) {
      check("cudnnFindConvolutionForwardAlgorithmEx", cudnnFindConvolutionForwardAlgorithmEx(
          h.handle, h.xDesc, h.x, h.wDesc, h.w, h.convDesc, h.yDesc, h.y, max, returned, perf,
          h.workspace, h.workspaceBytes));
      return perfList(perf, returned[0], max, true);
    }
  }

  /** cuDNN's heuristic ranking (cudnnGetConvolutionForwardAlgorithm_v7): no timing, just the order and claims. */
  public List<AlgoPerf> heuristics(MathType math) {
    ConvHandles h = requireOpen();
    check("cudnnSetConvolutionMathType", cudnnSetConvolutionMathType(h.convDesc, math.id()));
    int max = maxAlgorithms(h);
    int[] returned = new int[1];
    try (cudnnConvolutionFwdAlgoPerf_t perf = new cudnnConvolutionFwdAlgoPerf_t(max)) {
      check("cudnnGetConvolutionForwardAlgorithm_v7", cudnnGetConvolutionForwardAlgorithm_v7(
          h.handle, h.xDesc, h.wDesc, h.convDesc, h.yDesc, max, returned, perf));
      return perfList(perf, returned[0], max, false);
    }
  }

  /**
   * One forward pass with this algorithm and math type; returns the output in NHWC (TFLite's layout), before bias and
   * activation.
   */
  public float[] forward(float[] inputNhwc, ConvAlgorithm algo, MathType math) {
    ConvHandles h = requireOpen();
    upload(h, inputNhwc);
    long ws = prepare(h, algo, math);
    checkCuda("cudaMemset(y)", cudaMemset(h.y, 0, g.outputElements() * Float.BYTES));
    launch(h, algo, math, ws);
    checkCuda("cudaDeviceSynchronize", cudaDeviceSynchronize());
    PaddingPlan p = plan;
    long outN = g.outputElements();
    float[] nchw = new float[Math.toIntExact(outN)];
    try (FloatPointer host = new FloatPointer(outN)) {
      checkCuda("cudaMemcpy(host, y)", cudaMemcpy(host, h.y, outN * Float.BYTES, cudaMemcpyDeviceToHost));
      host.get(nchw);
    }
    return HostLayouts.nchwToNhwc(nchw, g.n(), g.outC(), p.outH(), p.outW());
  }

  /**
   * Kernel time of this algorithm: uploads the input once, runs {@code warmup} forward calls, then {@code iterations}
   * between two CUDA events on the default stream (no host copies inside), and returns milliseconds per call.
   */
  public double kernelMs(float[] inputNhwc, ConvAlgorithm algo, MathType math, int warmup, int iterations) {
    if (warmup < 0 || iterations < 1) {
      throw new CrossalignException(Kind.INTERNAL, "kernelMs needs warmup >= 0 and iterations >= 1");
    }
    ConvHandles h = requireOpen();
    upload(h, inputNhwc);
    long ws = prepare(h, algo, math);
    for (int i = 0; i < warmup; i++) {
      launch(h, algo, math, ws);
    }
    checkCuda("cudaDeviceSynchronize", cudaDeviceSynchronize());
    CUevent_st start = new CUevent_st();
    CUevent_st stop = new CUevent_st();
    boolean startMade = false;
    boolean stopMade = false;
    try {
      checkCuda("cudaEventCreate(start)", cudaEventCreate(start));
      startMade = true;
      checkCuda("cudaEventCreate(stop)", cudaEventCreate(stop));
      stopMade = true;
      checkCuda("cudaEventRecord(start)", cudaEventRecord(start, (CUstream_st) null));
      for (int i = 0; i < iterations; i++) {
        launch(h, algo, math, ws);
      }
      checkCuda("cudaEventRecord(stop)", cudaEventRecord(stop, (CUstream_st) null));
      checkCuda("cudaEventSynchronize(stop)", cudaEventSynchronize(stop));
      float[] ms = new float[1];
      checkCuda("cudaEventElapsedTime", cudaEventElapsedTime(ms, start, stop));
      return ms[0] / iterations;
    } finally {
      if (stopMade) {
        cudaEventDestroy(stop);
      }
      if (startMade) {
        cudaEventDestroy(start);
      }
    }
  }

  /** Sets the math type and the workspace for this algorithm; returns the workspace size it needs. */
  private long prepare(ConvHandles h, ConvAlgorithm algo, MathType math) {
    check("cudnnSetConvolutionMathType", cudnnSetConvolutionMathType(h.convDesc, math.id()));
    long ws;
    try (SizeTPointer sz = new SizeTPointer(1)) {
      check("cudnnGetConvolutionForwardWorkspaceSize(" + algo + ")", cudnnGetConvolutionForwardWorkspaceSize(
          h.handle, h.xDesc, h.wDesc, h.convDesc, h.yDesc, algo.id(), sz));
      ws = sz.get(0);
    }
    if (ws > MAX_WORKSPACE) {
      throw CrossalignException.unsupported(
          "cuDNN algorithm " + algo + " wants " + ws + " bytes of workspace for " + g + ", more than the cap of "
              + MAX_WORKSPACE);
    }
    ensureWorkspace(h, ws);
    return ws;
  }

  private void launch(ConvHandles h, ConvAlgorithm algo, MathType math, long ws) {
    try (FloatPointer alpha = new FloatPointer(1f);
        FloatPointer beta = new FloatPointer(0f)) {
      check("cudnnConvolutionForward(" + algo + ", " + math + ")", cudnnConvolutionForward(
          h.handle, alpha, h.xDesc, h.x, h.wDesc, h.w, h.convDesc, algo.id(), h.workspace, ws, beta, h.yDesc, h.y));
    }
  }

  private void upload(ConvHandles h, float[] inputNhwc) {
    if (inputNhwc == null || inputNhwc.length != g.inputElements()) {
      throw new CrossalignException(
          Kind.INTERNAL,
          "input for " + g + " has " + (inputNhwc == null ? "no" : inputNhwc.length) + " floats, needs "
              + g.inputElements());
    }
    float[] nchw = HostLayouts.nhwcToNchw(inputNhwc, g.n(), g.inH(), g.inW(), g.inC());
    float[] padded = HostLayouts.prePad(nchw, g.n(), g.inC(), g.inH(), g.inW(), plan);
    try (FloatPointer host = new FloatPointer(padded)) {
      checkCuda("cudaMemcpy(x, host)", cudaMemcpy(h.x, host, (long) padded.length * Float.BYTES, cudaMemcpyHostToDevice));
    }
  }

  private static int maxAlgorithms(ConvHandles h) {
    int[] max = new int[1];
    check("cudnnGetConvolutionForwardAlgorithmMaxCount", cudnnGetConvolutionForwardAlgorithmMaxCount(h.handle, max));
    if (max[0] < 1 || max[0] > 64) {
      throw new CrossalignException(Kind.INTERNAL, "cuDNN reports " + max[0] + " forward algorithms");
    }
    return max[0];
  }

  /** The largest workspace any algorithm asks for, capped; algorithms that do not support this conv are ignored. */
  private long maxWorkspace(ConvHandles h) {
    long most = 0;
    try (SizeTPointer sz = new SizeTPointer(1)) {
      for (ConvAlgorithm a : ConvAlgorithm.values()) {
        int st = cudnnGetConvolutionForwardWorkspaceSize(h.handle, h.xDesc, h.wDesc, h.convDesc, h.yDesc, a.id(), sz);
        if (st == org.bytedeco.cuda.global.cudnn.CUDNN_STATUS_SUCCESS && sz.get(0) <= MAX_WORKSPACE) {
          most = Math.max(most, sz.get(0));
        }
      }
    }
    return most;
  }

  private static void ensureWorkspace(ConvHandles h, long bytes) {
    if (bytes <= h.workspaceBytes && h.workspace != null) {
      return;
    }
    if (h.workspace != null) {
      checkCuda("cudaFree(workspace)", cudaFree(h.workspace));
      h.workspace = null;
      h.workspaceBytes = 0;
    }
    h.workspace = ConvHandles.deviceAlloc("cudaMalloc(workspace)", bytes);
    h.workspaceBytes = bytes;
  }

  private static List<AlgoPerf> perfList(cudnnConvolutionFwdAlgoPerf_t perf, int returned, int max, boolean timed) {
    if (returned < 0 || returned > max) {
      throw new CrossalignException(Kind.INTERNAL, "cuDNN returned " + returned + " algorithms of at most " + max);
    }
    List<AlgoPerf> out = new ArrayList<>(returned);
    for (int i = 0; i < returned; i++) {
      cudnnConvolutionFwdAlgoPerf_t e = perf.getPointer(i);
      int id = e.algo();
      out.add(new AlgoPerf(
          ConvAlgorithm.fromId(id),
          id,
          Cudnn.cudnnError(e.status()),
          timed ? e.time() : -1,
          e.memory(),
          e.determinism() == CUDNN_DETERMINISTIC,
          MathType.fromId(e.mathType())));
    }
    return List.copyOf(out);
  }

  private ConvHandles requireOpen() {
    ConvHandles h = handles.get();
    if (h == null) {
      throw new IllegalStateException("cuDNN conv " + g + " is closed");
    }
    return h;
  }

  @Override
  public void close() {
    ConvHandles h = handles.getAndSet(null);
    if (h != null) {
      h.close();
    }
  }
}
