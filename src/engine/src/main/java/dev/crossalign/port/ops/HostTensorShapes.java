package dev.crossalign.port.ops;

/** Element counts of TFLite shapes. */
final class HostTensorShapes {
  private HostTensorShapes() {}

  static long numel(int[] shape) {
    long n = 1;
    for (int d : shape) {
      n *= d;
    }
    return n;
  }
}
