package dev.crossalign.backend.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.TensorInfo;
import dev.crossalign.backend.CapturedTensor;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The isolated run's outputs fetched in batches: the cut follows the declared sizes, and a batched run hands over the
 * same tensors, in the same order, with the same bytes as one run of the same session.
 */
class FetchBatchesTest {
  static NodeInfo floats(String name, long... shape) throws Exception {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return new NodeInfo(name, TensorInfo.constructFromBuffer(FloatBuffer.allocate((int) n), shape,
        OnnxJavaType.FLOAT));
  }

  @Test
  void cutsInSessionOrderByDeclaredBytes() throws Exception {
    Map<String, NodeInfo> outs = new LinkedHashMap<>();
    outs.put("a", floats("a", 1, 10)); // 40 bytes
    outs.put("b", floats("b", 1, 10)); // 40
    outs.put("skip", floats("skip", 1000)); // not kept
    outs.put("c", floats("c", 30)); // 120: larger than the budget, a batch of its own
    outs.put("d", floats("d", 5)); // 20
    outs.put("e", floats("e", 5)); // 20
    List<Set<String>> batches = FetchBatches.of(outs, n -> !n.equals("skip"), 100);
    assertThat(batches).extracting(s -> List.copyOf(s))
        .containsExactly(List.of("a", "b"), List.of("c"), List.of("d", "e"));
    assertThat(FetchBatches.of(outs, n -> true, Long.MAX_VALUE)).hasSize(1);
    assertThat(FetchBatches.bytesOf(outs.get("c"))).isEqualTo(120);
  }

  static List<CapturedTensor> captured(OrtBackend b, Map<String, HostTensor> feeds, long batchBytes) {
    List<CapturedTensor> got = new ArrayList<>();
    b.run(feeds, n -> true, got::add, batchBytes);
    return got;
  }

  @Test
  void batchedRunHandsOverWhatOneRunDoes() {
    int c = OrtBackendMemoryTest.C;
    int hw = OrtBackendMemoryTest.HW;
    float[] x = new float[c * hw * hw];
    for (int i = 0; i < x.length; i++) {
      x[i] = (i % 89) / 89f - 0.5f;
    }
    Map<String, HostTensor> feeds = Map.of("x", HostTensor.ofFloats(new int[] {1, c, hw, hw}, Layout.NCHW, x));
    try (OrtBackend b = OrtBackend.open(OrtBackendMemoryTest.midSize(), OrtOptions.DEFAULT)) {
      List<CapturedTensor> one = captured(b, feeds, Long.MAX_VALUE);
      // one layer's output is 256 KiB: a 1-byte budget makes every output a run of its own, 600 KiB two per run
      for (long budget : new long[] {1, 600 << 10}) {
        List<CapturedTensor> batched = captured(b, feeds, budget);
        assertThat(batched).extracting(CapturedTensor::name)
            .containsExactlyElementsOf(one.stream().map(CapturedTensor::name).toList());
        assertThat(one).hasSizeGreaterThan(2 * OrtBackendMemoryTest.LAYERS);
        for (int i = 0; i < one.size(); i++) {
          assertThat(batched.get(i).op()).isEqualTo(one.get(i).op());
          assertThat(batched.get(i).tensor().data()).isEqualTo(one.get(i).tensor().data());
        }
      }
    }
  }
}
