package dev.crossalign.port;

/**
 * The torch port's own settings in a {@link dev.crossalign.backend.BackendSpec}: the precision it computes in. A spec
 * without options opens the float32 port validate, bench and determinism run; {@link #FLOAT64} opens the float64
 * truth of the truth lab (the same per-op lowerings in double, on the CPU, isolated runs only: its outputs come back as
 * FLOAT64 host tensors).
 *
 * @param precision what the port's tensors hold
 */
public record PortOptions(Precision precision) implements dev.crossalign.backend.NativeOptions {
  /** The float32 port: TorchScript where the model allows it, else the eager lowerings (see {@link PortBackend}). */
  public static final PortOptions FLOAT32 = new PortOptions(Precision.FLOAT32);

  /** The float64 truth: the eager lowerings in double on the CPU, for isolated runs. */
  public static final PortOptions FLOAT64 = new PortOptions(Precision.FLOAT64);

  /** What the port computes in. */
  public enum Precision {
    FLOAT32,
    FLOAT64
  }

  public PortOptions {
    java.util.Objects.requireNonNull(precision, "precision");
  }
}
