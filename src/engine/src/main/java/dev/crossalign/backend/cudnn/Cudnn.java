package dev.crossalign.backend.cudnn;

import dev.crossalign.CrossalignException;
import dev.crossalign.CrossalignException.Kind;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;

/**
 * Loads the CUDA runtime and cuDNN bindings once and turns every status code into a one-line {@link
 * CrossalignException} naming the call.
 *
 * <p>The default build carries the cuda jar without its linux-x86_64 natives, so loading fails there by design; the
 * -Pgpu build adds them, and the machine must still have an NVIDIA driver and the CUDA 13 / cuDNN 9 libraries.
 */
public final class Cudnn {
  /** The message every environment failure starts with (tests and scripts match on it). */
  public static final String NEEDS_GPU = "cuDNN backend needs a GPU build (-Pgpu) and an NVIDIA driver";

  private static volatile String loadFailure;
  private static volatile boolean loaded;

  private Cudnn() {}

  /**
   * Loads the natives and checks that at least one CUDA device is visible.
   *
   * @throws CrossalignException ENVIRONMENT with {@link #NEEDS_GPU} and the reason otherwise
   */
  public static synchronized void require() {
    if (loaded) {
      return;
    }
    if (loadFailure != null) {
      throw new CrossalignException(Kind.ENVIRONMENT, NEEDS_GPU + " (" + loadFailure + ")");
    }
    try {
      Loader.load(org.bytedeco.cuda.global.cudart.class);
      Loader.load(org.bytedeco.cuda.global.cudnn.class);
    } catch (UnsatisfiedLinkError | NoClassDefFoundError | ExceptionInInitializerError e) {
      loadFailure = "cannot load the CUDA/cuDNN natives: " + rootCause(e);
      throw new CrossalignException(Kind.ENVIRONMENT, NEEDS_GPU + " (" + loadFailure + ")");
    }
    int[] count = new int[1];
    int st = org.bytedeco.cuda.global.cudart.cudaGetDeviceCount(count);
    if (st != org.bytedeco.cuda.global.cudart.cudaSuccess || count[0] < 1) {
      loadFailure = st != org.bytedeco.cuda.global.cudart.cudaSuccess
          ? "cudaGetDeviceCount: " + cudaError(st)
          : "no CUDA device visible";
      throw new CrossalignException(Kind.ENVIRONMENT, NEEDS_GPU + " (" + loadFailure + ")");
    }
    loaded = true;
  }

  /** Throws INTERNAL "cuDNN call X failed: STRING (status N)" unless status is CUDNN_STATUS_SUCCESS. */
  static void check(String call, int status) {
    if (status != org.bytedeco.cuda.global.cudnn.CUDNN_STATUS_SUCCESS) {
      throw new CrossalignException(
          Kind.INTERNAL, "cuDNN call " + call + " failed: " + cudnnError(status) + " (status " + status + ")");
    }
  }

  /** As {@link #check} for CUDA runtime calls (cudaMalloc, cudaMemcpy, ...). */
  static void checkCuda(String call, int status) {
    if (status != org.bytedeco.cuda.global.cudart.cudaSuccess) {
      Kind kind = status == 2 ? Kind.ENVIRONMENT : Kind.INTERNAL; // 2 = cudaErrorMemoryAllocation
      throw new CrossalignException(
          kind, "CUDA call " + call + " failed: " + cudaError(status) + " (error " + status + ")");
    }
  }

  static String cudnnError(int status) {
    BytePointer s = org.bytedeco.cuda.global.cudnn.cudnnGetErrorString(status);
    return s == null || s.isNull() ? "unknown cuDNN status" : s.getString();
  }

  static String cudaError(int status) {
    BytePointer s = org.bytedeco.cuda.global.cudart.cudaGetErrorString(status);
    return s == null || s.isNull() ? "unknown CUDA error" : s.getString();
  }

  /** cuDNN, CUDA runtime and driver versions, for reports; requires {@link #require()}. */
  public static String versions() {
    require();
    int[] rt = new int[1];
    int[] drv = new int[1];
    org.bytedeco.cuda.global.cudart.cudaRuntimeGetVersion(rt);
    org.bytedeco.cuda.global.cudart.cudaDriverGetVersion(drv);
    return "cudnn " + org.bytedeco.cuda.global.cudnn.cudnnGetVersion() + ", cuda runtime " + rt[0] + ", driver " + drv[0];
  }

  /**
   * The device and library versions as numbers, for the GPU check's JSON.
   *
   * @param name the device name (cudaGetDeviceProperties)
   * @param computeCapability major.minor
   * @param cudnnVersion cudnnGetVersion(), e.g. 91900 for 9.19.0
   * @param cudaRuntime cudaRuntimeGetVersion(), e.g. 13010
   * @param cudaDriver cudaDriverGetVersion(): the newest CUDA the driver supports, e.g. 13000
   */
  public record DeviceInfo(
      int device, String name, String computeCapability, long cudnnVersion, int cudaRuntime, int cudaDriver) {}

  /** What {@link #versions()} says, as a record, plus the device's name and compute capability. */
  public static DeviceInfo deviceInfo(int device) {
    require();
    int[] rt = new int[1];
    int[] drv = new int[1];
    checkCuda("cudaRuntimeGetVersion", org.bytedeco.cuda.global.cudart.cudaRuntimeGetVersion(rt));
    checkCuda("cudaDriverGetVersion", org.bytedeco.cuda.global.cudart.cudaDriverGetVersion(drv));
    try (org.bytedeco.cuda.cudart.cudaDeviceProp prop = new org.bytedeco.cuda.cudart.cudaDeviceProp()) {
      checkCuda("cudaGetDeviceProperties(" + device + ")",
          org.bytedeco.cuda.global.cudart.cudaGetDeviceProperties(prop, device));
      return new DeviceInfo(device, prop.name().getString().strip(), prop.major() + "." + prop.minor(),
          org.bytedeco.cuda.global.cudnn.cudnnGetVersion(), rt[0], drv[0]);
    }
  }

  /**
   * Which JavaCPP cuda preset is on the class path (its jar's implementation version), for reports: the GPU check runs
   * with the CUDA 13.1 or the CUDA 12.9 bindings. Loads no native library.
   */
  public static String bindings() {
    Package p = org.bytedeco.cuda.global.cudart.class.getPackage();
    String v = p == null ? null : p.getImplementationVersion();
    return "org.bytedeco cuda " + (v == null ? "(version unknown)" : v);
  }

  /**
   * The first line of the innermost cause: JavaCPP's "no jnicudart in java.library.path" hides the dynamic linker's
   * reason ("libjnicudart.so: libcuda.so.1: cannot open shared object file") in its cause; the path before the library
   * name is cut.
   */
  static String rootCause(Throwable e) {
    Throwable c = e;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    String m = oneLine(c);
    int colon = m.indexOf(": ");
    if (m.startsWith("/") && colon > 0) {
      String path = m.substring(0, colon);
      m = path.substring(path.lastIndexOf('/') + 1) + m.substring(colon);
    }
    return m;
  }

  static String oneLine(Throwable e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().strip();
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }
}
