package dev.crossalign.tensor;

/** Element types that cross package lines. Byte sizes are the host (little-endian) storage sizes. */
public enum DType {
  FLOAT32(4, true),
  FLOAT16(2, true),
  FLOAT64(8, true),
  INT8(1, false),
  UINT8(1, false),
  INT16(2, false),
  INT32(4, false),
  INT64(8, false),
  BOOL(1, false);

  private final int byteSize;
  private final boolean floating;

  DType(int byteSize, boolean floating) {
    this.byteSize = byteSize;
    this.floating = floating;
  }

  public int byteSize() {
    return byteSize;
  }

  public boolean isFloating() {
    return floating;
  }
}
