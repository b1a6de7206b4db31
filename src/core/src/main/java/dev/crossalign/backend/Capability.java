package dev.crossalign.backend;

/**
 * What a {@link BackendProvider#probe} found.
 *
 * @param reason why the backend cannot run on the device, or null when it can
 */
public record Capability(BackendKind kind, Device device, String reason) {
  public static Capability available(BackendKind kind, Device device) {
    return new Capability(kind, device, null);
  }

  public static Capability unavailable(BackendKind kind, Device device, String reason) {
    return new Capability(kind, device, reason == null ? "unavailable" : reason);
  }

  public boolean available() {
    return reason == null;
  }

  @Override
  public String toString() {
    return kind.id() + " on " + device + ": " + (available() ? "available" : reason);
  }
}
