package dev.crossalign.port;

/**
 * OMP_WAIT_POLICY=PASSIVE for libtorch's OpenMP runtime (the libgomp bundled with the presets), unless the user set
 * a policy. ATen's intra-op pool is OpenMP's; with the default policy its idle workers spin between parallel regions,
 * so with {@code --threads 2} on a busy 2-core machine every op waited for workers that the spinning ones kept off the
 * cores (face_detection_short_range: 4.7 s a run, against 1.0 s with PASSIVE; benchmarks/README.md). libgomp reads the
 * variable once, when it is loaded, and no API changes it later: so it is put into the C environment (setenv, not
 * Java's read-only copy) before libtorch loads. Called by the torch providers' probe and open and by {@link
 * TorchRuntime#configure}, whichever touches libtorch first; once libgomp is in, calling it changes nothing.
 */
final class OpenMpWaitPolicy {
  static final String VARIABLE = "OMP_WAIT_POLICY";

  static final String PASSIVE = "PASSIVE";

  /** What the first call found and did, for the backend's config. */
  private static volatile String state;

  private OpenMpWaitPolicy() {}

  /**
   * Sets OMP_WAIT_POLICY=PASSIVE in the process environment when it is unset and libgomp is not loaded yet. Returns
   * the state: "PASSIVE (set before libgomp loaded)", "VALUE (user's)", or why it was left alone.
   */
  static synchronized String passiveUnlessSet() {
    if (state != null) {
      return state;
    }
    try {
      String current = ProcessEnvironment.get(VARIABLE);
      if (current != null) {
        state = current + " (user's)";
      } else if (ProcessEnvironment.loaded("libgomp")) {
        state = "unset (libgomp was loaded before it could be set)";
      } else if (ProcessEnvironment.set(VARIABLE, PASSIVE)) {
        state = PASSIVE + " (set before libgomp loaded)";
      } else {
        state = "unset (setenv failed)";
      }
    } catch (UnsatisfiedLinkError | RuntimeException e) {
      state = "unset (" + e.getClass().getSimpleName() + ")";
    }
    return state;
  }

  /** The state of the first {@link #passiveUnlessSet} call; null before it. */
  static String state() {
    return state;
  }
}
