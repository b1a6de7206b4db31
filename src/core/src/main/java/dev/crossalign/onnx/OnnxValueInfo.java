package dev.crossalign.onnx;

import dev.crossalign.tensor.DType;
import java.util.List;
import java.util.Optional;

/**
 * A graph input or output as the model declares it. {@code elemType} is the ONNX TensorProto.DataType number (0 when
 * the model gives no type); {@code dims} is null when the rank is unknown, and holds -1 for each symbolic or unknown
 * dimension.
 */
public record OnnxValueInfo(String name, int elemType, List<Long> dims) {
  public OnnxValueInfo {
    dims = dims == null ? null : List.copyOf(dims);
  }

  /** The element type as a DType, empty when there is none or no DType holds it. */
  public Optional<DType> dtype() {
    return OnnxTypes.dtype(elemType);
  }

  public boolean hasType() {
    return elemType != 0;
  }

  public boolean hasShape() {
    return dims != null;
  }

  /** Dimensions as longs, -1 for unknown ones; null when the rank is unknown. */
  public long[] shape() {
    return dims == null ? null : dims.stream().mapToLong(Long::longValue).toArray();
  }

  @Override
  public String toString() {
    return name + ":" + (hasType() ? OnnxTypes.name(elemType) : "?") + (dims == null ? "[?]" : dims.toString());
  }
}
