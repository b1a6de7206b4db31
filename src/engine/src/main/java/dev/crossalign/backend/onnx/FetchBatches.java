package dev.crossalign.backend.onnx;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.TensorInfo;
import dev.crossalign.tensor.DType;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * A session's outputs cut into batches for {@link OrtBackend#run(Map, Predicate, dev.crossalign.backend.TensorSink,
 * long)}: in the session's order, each batch's outputs together at most {@code maxBytes} by their declared shapes (a
 * single larger output is a batch of its own). An output of unknown size counts as {@link #UNKNOWN_BYTES}.
 */
final class FetchBatches {
  /** What an output whose shape or type the session does not declare is counted as. */
  static final long UNKNOWN_BYTES = 1L << 20;

  private FetchBatches() {}

  static List<Set<String>> of(Map<String, NodeInfo> outputs, Predicate<String> keep, long maxBytes) {
    List<Set<String>> batches = new ArrayList<>();
    Set<String> batch = new LinkedHashSet<>();
    long bytes = 0;
    for (Map.Entry<String, NodeInfo> e : outputs.entrySet()) {
      if (!keep.test(e.getKey())) {
        continue;
      }
      long size = bytesOf(e.getValue());
      if (!batch.isEmpty() && bytes + size > maxBytes) {
        batches.add(batch);
        batch = new LinkedHashSet<>();
        bytes = 0;
      }
      batch.add(e.getKey());
      bytes += size;
    }
    if (!batch.isEmpty()) {
      batches.add(batch);
    }
    return batches;
  }

  static long bytesOf(NodeInfo info) {
    if (!(info.getInfo() instanceof TensorInfo t)) {
      return UNKNOWN_BYTES;
    }
    DType dtype = OrtValues.dtypeOf(t.onnxType);
    long n = 1;
    for (long d : t.getShape()) {
      if (d < 0) {
        return UNKNOWN_BYTES;
      }
      n *= d;
    }
    return dtype == null ? UNKNOWN_BYTES : n * dtype.byteSize();
  }
}
