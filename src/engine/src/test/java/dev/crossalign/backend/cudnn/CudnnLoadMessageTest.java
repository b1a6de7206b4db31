package dev.crossalign.backend.cudnn;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The one line a machine without the CUDA libraries gets: the dynamic linker's reason, not JavaCPP's wrapper. */
class CudnnLoadMessageTest {
  @Test
  void rootCauseNamesTheMissingLibrary() {
    // what JavaCPP 1.5.13 throws on this machine (no driver): the reason is in the cause
    UnsatisfiedLinkError cause = new UnsatisfiedLinkError("/root/.javacpp/cache/cuda.jar/org/bytedeco/cuda/linux-x86_64/"
        + "libjnicudart.so: libcuda.so.1: cannot open shared object file: No such file or directory");
    UnsatisfiedLinkError outer = new UnsatisfiedLinkError("no jnicudart in java.library.path: /usr/lib:/lib");
    outer.initCause(cause);
    assertThat(Cudnn.rootCause(outer))
        .isEqualTo("libjnicudart.so: libcuda.so.1: cannot open shared object file: No such file or directory");
    assertThat(Cudnn.rootCause(new UnsatisfiedLinkError("plain\nsecond line"))).isEqualTo("plain");
  }
}
