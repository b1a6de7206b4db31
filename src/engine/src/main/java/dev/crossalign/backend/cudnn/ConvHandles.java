package dev.crossalign.backend.cudnn;

import static dev.crossalign.backend.cudnn.Cudnn.check;
import static dev.crossalign.backend.cudnn.Cudnn.checkCuda;
import static org.bytedeco.cuda.global.cudart.cudaFree;
import static org.bytedeco.cuda.global.cudart.cudaMalloc;
import static org.bytedeco.cuda.global.cudart.cudaMemcpy;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyHostToDevice;
import static org.bytedeco.cuda.global.cudnn.CUDNN_CROSS_CORRELATION;
import static org.bytedeco.cuda.global.cudnn.CUDNN_DATA_FLOAT;
import static org.bytedeco.cuda.global.cudnn.CUDNN_TENSOR_NCHW;
import static org.bytedeco.cuda.global.cudnn.cudnnCreateConvolutionDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnCreateFilterDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnCreateTensorDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnDestroy;
import static org.bytedeco.cuda.global.cudnn.cudnnDestroyConvolutionDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnDestroyFilterDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnDestroyTensorDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnGetConvolution2dForwardOutputDim;
import static org.bytedeco.cuda.global.cudnn.cudnnSetConvolution2dDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnSetConvolutionGroupCount;
import static org.bytedeco.cuda.global.cudnn.cudnnSetFilter4dDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnSetTensor4dDescriptor;

import dev.crossalign.CrossalignException;
import dev.crossalign.CrossalignException.Kind;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.cuda.cudnn.cudnnContext;
import org.bytedeco.cuda.cudnn.cudnnConvolutionStruct;
import org.bytedeco.cuda.cudnn.cudnnFilterStruct;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * Everything native one {@link CudnnConv} holds: the cuDNN handle, the four descriptors and the device buffers,
 * created in this order ({@link #describe}, then {@link #allocate}) and freed in reverse by {@link #close()}, which
 * still frees the rest when one free fails. Owned by one CudnnConv; not thread-safe.
 */
final class ConvHandles {
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

  /**
   * Creates the x, filter, convolution and y descriptors for the padded input (TF's pre-pad on the host, cuDNN's
   * symmetric pad), and checks cuDNN's output size against TF's.
   */
  void describe(ConvGeometry g, PaddingPlan p) {
    int paddedH = paddedH(g, p);
    int paddedW = paddedW(g, p);
    xDesc = new cudnnTensorStruct();
    check("cudnnCreateTensorDescriptor(x)", cudnnCreateTensorDescriptor(xDesc));
    check("cudnnSetTensor4dDescriptor(x)", cudnnSetTensor4dDescriptor(
        xDesc, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, g.n(), g.inC(), paddedH, paddedW));
    wDesc = new cudnnFilterStruct();
    check("cudnnCreateFilterDescriptor", cudnnCreateFilterDescriptor(wDesc));
    check("cudnnSetFilter4dDescriptor", cudnnSetFilter4dDescriptor(
        wDesc, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, g.outC(), g.filterC(), g.kh(), g.kw()));
    convDesc = new cudnnConvolutionStruct();
    check("cudnnCreateConvolutionDescriptor", cudnnCreateConvolutionDescriptor(convDesc));
    check("cudnnSetConvolution2dDescriptor", cudnnSetConvolution2dDescriptor(
        convDesc, p.symH(), p.symW(), g.strideH(), g.strideW(), g.dilationH(), g.dilationW(),
        CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    check("cudnnSetConvolutionGroupCount", cudnnSetConvolutionGroupCount(convDesc, g.groups()));
    int[] n = new int[1];
    int[] c = new int[1];
    int[] oh = new int[1];
    int[] ow = new int[1];
    check("cudnnGetConvolution2dForwardOutputDim",
        cudnnGetConvolution2dForwardOutputDim(convDesc, xDesc, wDesc, n, c, oh, ow));
    if (n[0] != g.n() || c[0] != g.outC() || oh[0] != p.outH() || ow[0] != p.outW()) {
      throw new CrossalignException(
          Kind.INTERNAL,
          "cuDNN computes output " + n[0] + "x" + c[0] + "x" + oh[0] + "x" + ow[0] + " for " + g + ", TF padding gives "
              + g.n() + "x" + g.outC() + "x" + p.outH() + "x" + p.outW());
    }
    yDesc = new cudnnTensorStruct();
    check("cudnnCreateTensorDescriptor(y)", cudnnCreateTensorDescriptor(yDesc));
    check("cudnnSetTensor4dDescriptor(y)", cudnnSetTensor4dDescriptor(
        yDesc, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, g.n(), g.outC(), p.outH(), p.outW()));
  }

  /** Allocates the device buffers for the padded input, the filter and the output, and uploads the filter. */
  void allocate(ConvGeometry g, PaddingPlan p, float[] filterKcrs) {
    long xBytes = (long) g.n() * g.inC() * paddedH(g, p) * paddedW(g, p) * Float.BYTES;
    x = deviceAlloc("cudaMalloc(x)", xBytes);
    w = deviceAlloc("cudaMalloc(w)", g.filterElements() * Float.BYTES);
    y = deviceAlloc("cudaMalloc(y)", g.outputElements() * Float.BYTES);
    try (FloatPointer hostW = new FloatPointer(filterKcrs)) {
      checkCuda("cudaMemcpy(w, host)", cudaMemcpy(w, hostW, g.filterElements() * Float.BYTES, cudaMemcpyHostToDevice));
    }
  }

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

  /** The input's height after the host pre-pad. */
  private static int paddedH(ConvGeometry g, PaddingPlan p) {
    return g.inH() + p.preTop() + p.preBottom();
  }

  /** The input's width after the host pre-pad. */
  private static int paddedW(ConvGeometry g, PaddingPlan p) {
    return g.inW() + p.preLeft() + p.preRight();
  }

  static Pointer deviceAlloc(String call, long bytes) {
    try (PointerPointer<Pointer> pp = new PointerPointer<>(1)) {
      checkCuda(call + " of " + bytes + " bytes", cudaMalloc(pp, Math.max(bytes, 1)));
      Pointer p = pp.get(0);
      if (p == null || p.isNull()) {
        throw new CrossalignException(Kind.INTERNAL, call + " returned NULL");
      }
      return p;
    }
  }
}
