package dev.crossalign.backend.tflite;

import dev.crossalign.backend.Backend;
import dev.crossalign.backend.BackendKind;
import dev.crossalign.backend.BackendProvider;
import dev.crossalign.backend.BackendSpec;
import dev.crossalign.backend.Capability;
import dev.crossalign.backend.Device;

/**
 * The TFLite interpreter with its builtin kernels, as validate's reference runs it. TFLite computes on the CPU
 * whatever the device: the probe asks only whether the native library loads.
 */
public final class TfliteProvider implements BackendProvider {
  @Override
  public BackendKind kind() {
    return BackendKind.TFLITE;
  }

  @Override
  public Capability probe(Device device) {
    return probe(kind(), device);
  }

  static Capability probe(BackendKind kind, Device device) {
    try {
      org.bytedeco.javacpp.Loader.load(org.bytedeco.tensorflowlite.global.tensorflowlite.class);
      return Capability.available(kind, device);
    } catch (UnsatisfiedLinkError | NoClassDefFoundError | ExceptionInInitializerError e) {
      return Capability.unavailable(kind, device, "cannot load the TFLite natives: " + e.getMessage());
    }
  }

  @Override
  public Class<TfliteOptions> optionsType() {
    return TfliteOptions.class;
  }

  @Override
  public Backend open(BackendSpec spec) {
    return TfliteBackend.open(spec.model(), options(spec));
  }

  /**
   * The spec's own TfliteOptions when it carries them; else threads from the config and, for captures, placeholders
   * for custom ops without a kernel (their outputs skipped).
   */
  static TfliteOptions options(BackendSpec spec) {
    java.util.Optional<TfliteOptions> given = spec.options(TfliteOptions.class);
    if (given.isPresent()) {
      return given.get();
    }
    TfliteOptions o = TfliteOptions.defaults().withThreads(spec.threads());
    return spec.purpose() == BackendSpec.Purpose.CAPTURE ? o.withPlaceholderCustomOps(true) : o;
  }
}
