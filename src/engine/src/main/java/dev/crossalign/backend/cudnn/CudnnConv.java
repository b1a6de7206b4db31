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
import static org.bytedeco.cuda.global.cudart.cudaMalloc;
import static org.bytedeco.cuda.global.cudart.cudaMemcpy;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyDeviceToHost;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyHostToDevice;
import static org.bytedeco.cuda.global.cudart.cudaMemset;
import static org.bytedeco.cuda.global.cudart.cudaSetDevice;
import static org.bytedeco.cuda.global.cudnn.CUDNN_CROSS_CORRELATION;
import static org.bytedeco.cuda.global.cudnn.CUDNN_DATA_FLOAT;
import static org.bytedeco.cuda.global.cudnn.CUDNN_DETERMINISTIC;
import static org.bytedeco.cuda.global.cudnn.CUDNN_TENSOR_NCHW;
import static org.bytedeco.cuda.global.cudnn.cudnnConvolutionForward;
import static org.bytedeco.cuda.global.cudnn.cudnnCreate;
import static org.bytedeco.cuda.global.cudnn.cudnnCreateConvolutionDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnCreateFilterDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnCreateTensorDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnDestroy;
import static org.bytedeco.cuda.global.cudnn.cudnnDestroyConvolutionDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnDestroyFilterDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnDestroyTensorDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnFindConvolutionForwardAlgorithmEx;
import static org.bytedeco.cuda.global.cudnn.cudnnGetConvolution2dForwardOutputDim;
import static org.bytedeco.cuda.global.cudnn.cudnnGetConvolutionForwardAlgorithmMaxCount;
import static org.bytedeco.cuda.global.cudnn.cudnnGetConvolutionForwardAlgorithm_v7;
import static org.bytedeco.cuda.global.cudnn.cudnnGetConvolutionForwardWorkspaceSize;
import static org.bytedeco.cuda.global.cudnn.cudnnSetConvolution2dDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnSetConvolutionGroupCount;
import static org.bytedeco.cuda.global.cudnn.cudnnSetConvolutionMathType;
import static org.bytedeco.cuda.global.cudnn.cudnnSetFilter4dDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnSetTensor4dDescriptor;

import dev.crossalign.CrossalignException;
import dev.crossalign.CrossalignException.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.bytedeco.cuda.cudart.CUevent_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.cudnn.cudnnContext;
import org.bytedeco.cuda.cudnn.cudnnConvolutionFwdAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionStruct;
import org.bytedeco.cuda.cudnn.cudnnFilterStruct;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
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
  private final AtomicReference<Handles> handles;

  /** Everything native, created in this order and freed in reverse. */
  private static final class Handles {
    cudnnContext handle;
    cudnnTensorStruct xDesc;
    cudnnFilterStruct wDesc;
    cudnnConvolutionStruct convDesc;
    cudnnTensorStruct yDesc;
    Pointer x;
    Pointer w;
    Pointer y;
    Pointer workspace;
    long workspaceBytes;

    void close() {
      List<RuntimeException> errors = new ArrayList<>();
      run(errors, () -> freeDevice("cudaFree(workspace)", workspace));
      run(errors, () -> freeDevice("cudaFree(y)", y));
      run(errors, () -> freeDevice("cudaFree(w)", w));
      run(errors, () -> freeDevice("cudaFree(x)", x));
      if (yDesc != null) {
        run(errors, () -> check("cudnnDestroyTensorDescriptor(y)", cudnnDestroyTensorDescriptor(yDesc)));
      }
      if (convDesc != null) {
        run(errors, () -> check("cudnnDestroyConvolutionDescriptor", cudnnDestroyConvolutionDescriptor(convDesc)));
      }
      if (wDesc != null) {
        run(errors, () -> check("cudnnDestroyFilterDescriptor", cudnnDestroyFilterDescriptor(wDesc)));
      }
      if (xDesc != null) {
        run(errors, () -> check("cudnnDestroyTensorDescriptor(x)", cudnnDestroyTensorDescriptor(xDesc)));
      }
      if (handle != null) {
        run(errors, () -> check("cudnnDestroy", cudnnDestroy(handle)));
      }
      if (!errors.isEmpty()) {
        throw errors.get(0);
      }
    }

    private static void freeDevice(String call, Pointer p) {
      if (p != null && !p.isNull()) {
        checkCuda(call, cudaFree(p));
      }
    }

    private static void run(List<RuntimeException> errors, Runnable r) {
      try {
        r.run();
      } catch (RuntimeException e) {
        errors.add(e);
      }
    }
  }

  private CudnnConv(ConvGeometry g, PaddingPlan plan, Handles h) {
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
    Handles h = new Handles();
    boolean ok = false;
    try {
      checkCuda("cudaSetDevice(" + device + ")", cudaSetDevice(device));
      h.handle = new cudnnContext();
      check("cudnnCreate", cudnnCreate(h.handle));
      PaddingPlan p = plan;
      int paddedH = g.inH() + p.preTop() + p.preBottom();
      int paddedW = g.inW() + p.preLeft() + p.preRight();
      h.xDesc = new cudnnTensorStruct();
      check("cudnnCreateTensorDescriptor(x)", cudnnCreateTensorDescriptor(h.xDesc));
      check("cudnnSetTensor4dDescriptor(x)", cudnnSetTensor4dDescriptor(
          h.xDesc, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, g.n(), g.inC(), paddedH, paddedW));
      h.wDesc = new cudnnFilterStruct();
      check("cudnnCreateFilterDescriptor", cudnnCreateFilterDescriptor(h.wDesc));
      check("cudnnSetFilter4dDescriptor", cudnnSetFilter4dDescriptor(
          h.wDesc, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, g.outC(), g.filterC(), g.kh(), g.kw()));
      h.convDesc = new cudnnConvolutionStruct();
      check("cudnnCreateConvolutionDescriptor", cudnnCreateConvolutionDescriptor(h.convDesc));
      check("cudnnSetConvolution2dDescriptor", cudnnSetConvolution2dDescriptor(
          h.convDesc, p.symH(), p.symW(), g.strideH(), g.strideW(), g.dilationH(), g.dilationW(),
          CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
      check("cudnnSetConvolutionGroupCount", cudnnSetConvolutionGroupCount(h.convDesc, g.groups()));
      int[] n = new int[1];
      int[] c = new int[1];
      int[] oh = new int[1];
      int[] ow = new int[1];
      check("cudnnGetConvolution2dForwardOutputDim",
          cudnnGetConvolution2dForwardOutputDim(h.convDesc, h.xDesc, h.wDesc, n, c, oh, ow));
      if (n[0] != g.n() || c[0] != g.outC() || oh[0] != p.outH() || ow[0] != p.outW()) {
        throw new CrossalignException(
            Kind.INTERNAL,
            "cuDNN computes output " + n[0] + "x" + c[0] + "x" + oh[0] + "x" + ow[0] + " for " + g + ", TF padding gives "
                + g.n() + "x" + g.outC() + "x" + p.outH() + "x" + p.outW());
      }
      h.yDesc = new cudnnTensorStruct();
      check("cudnnCreateTensorDescriptor(y)", cudnnCreateTensorDescriptor(h.yDesc));
      check("cudnnSetTensor4dDescriptor(y)", cudnnSetTensor4dDescriptor(
          h.yDesc, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, g.n(), g.outC(), p.outH(), p.outW()));
      long xBytes = (long) g.n() * g.inC() * paddedH * paddedW * Float.BYTES;
      h.x = deviceAlloc("cudaMalloc(x)", xBytes);
      h.w = deviceAlloc("cudaMalloc(w)", g.filterElements() * Float.BYTES);
      h.y = deviceAlloc("cudaMalloc(y)", g.outputElements() * Float.BYTES);
      try (FloatPointer hostW = new FloatPointer(filterKcrs)) {
        checkCuda("cudaMemcpy(w, host)", cudaMemcpy(h.w, hostW, g.filterElements() * Float.BYTES, cudaMemcpyHostToDevice));
      }
      CudnnConv conv = new CudnnConv(g, p, h);
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

  private static Pointer deviceAlloc(String call, long bytes) {
    try (PointerPointer<Pointer> pp = new PointerPointer<>(1)) {
      checkCuda(call + " of " + bytes + " bytes", cudaMalloc(pp, Math.max(bytes, 1)));
      Pointer p = pp.get(0);
      if (p == null || p.isNull()) {
        throw new CrossalignException(Kind.INTERNAL, call + " returned NULL");
      }
      return p;
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
    Handles h = requireOpen();
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
    Handles h = requireOpen();
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
    Handles h = requireOpen();
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
    Handles h = requireOpen();
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
  private long prepare(Handles h, ConvAlgorithm algo, MathType math) {
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

  private void launch(Handles h, ConvAlgorithm algo, MathType math, long ws) {
    try (FloatPointer alpha = new FloatPointer(1f);
        FloatPointer beta = new FloatPointer(0f)) {
      check("cudnnConvolutionForward(" + algo + ", " + math + ")", cudnnConvolutionForward(
          h.handle, alpha, h.xDesc, h.x, h.wDesc, h.w, h.convDesc, algo.id(), h.workspace, ws, beta, h.yDesc, h.y));
    }
  }

  private void upload(Handles h, float[] inputNhwc) {
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

  private static int maxAlgorithms(Handles h) {
    int[] max = new int[1];
    check("cudnnGetConvolutionForwardAlgorithmMaxCount", cudnnGetConvolutionForwardAlgorithmMaxCount(h.handle, max));
    if (max[0] < 1 || max[0] > 64) {
      throw new CrossalignException(Kind.INTERNAL, "cuDNN reports " + max[0] + " forward algorithms");
    }
    return max[0];
  }

  /** The largest workspace any algorithm asks for, capped; algorithms that do not support this conv are ignored. */
  private long maxWorkspace(Handles h) {
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

  private static void ensureWorkspace(Handles h, long bytes) {
    if (bytes <= h.workspaceBytes && h.workspace != null) {
      return;
    }
    if (h.workspace != null) {
      checkCuda("cudaFree(workspace)", cudaFree(h.workspace));
      h.workspace = null;
      h.workspaceBytes = 0;
    }
    h.workspace = deviceAlloc("cudaMalloc(workspace)", bytes);
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

  private Handles requireOpen() {
    Handles h = handles.get();
    if (h == null) {
      throw new IllegalStateException("cuDNN conv " + g + " is closed");
    }
    return h;
  }

  @Override
  public void close() {
    Handles h = handles.getAndSet(null);
    if (h != null) {
      h.close();
    }
  }
}
