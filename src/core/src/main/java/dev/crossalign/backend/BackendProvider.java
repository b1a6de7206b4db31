package dev.crossalign.backend;

/**
 * A backend package's entry point, found through {@link java.util.ServiceLoader} (one line per provider in
 * META-INF/services/dev.crossalign.backend.BackendProvider), so that the use cases open any backend alike and a new
 * one is a new package plus a line there. Implementations are stateless and cheap to construct.
 */
public interface BackendProvider {
  /** Which backend this opens. */
  BackendKind kind();

  /**
   * Whether this backend can run on {@code device} here: loads its native library and asks it (CUDA present, an
   * execution provider built in) instead of assuming. Never throws for an unusable backend; says why instead.
   */
  Capability probe(Device device);

  /**
   * The class of the {@link NativeOptions} this backend understands in a {@link BackendSpec}, or null when it takes
   * none: {@link Backends#open} refuses a spec whose options are of another class.
   */
  default Class<? extends NativeOptions> optionsType() {
    return null;
  }

  /** Opens {@code spec}'s model on this backend; the caller owns (and closes) the result. */
  Backend open(BackendSpec spec);
}
