package dev.crossalign.backend.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.crossalign.onnx.OnnxModel;
import dev.crossalign.onnx.OnnxValueInfo;
import dev.crossalign.port.onnx.ExportOptions;
import dev.crossalign.port.onnx.Exporter;
import dev.crossalign.testutil.TestModels;
import dev.crossalign.tflite.TfliteModel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;

/**
 * A session whose weights are external initializers on native memory (OrtWeights) runs a real exported model to the
 * same bits as a session of the self-contained protobuf (the oracle: ONNX Runtime on the model as written), every
 * intermediate fetched; the protobuf handed over no longer carries the weights; closing the handles frees them.
 */
class OrtWeightsTest {
  private static final OrtOptions CAPTURE = OrtOptions.DEFAULT;

  private static OnnxModel exported() {
    TfliteModel tflite = TfliteModel.read(TestModels.require(TestModels.SHORT_RANGE));
    return Exporter.export(tflite, ExportOptions.DEFAULT).model();
  }

  @Test
  void externalWeightsGiveTheEmbeddedSessionsOutputsBitForBit() throws OrtException {
    OnnxModel model = exported();
    OrtEnvironment env = OrtSessions.environment();
    Map<String, byte[]> embedded;
    Map<String, byte[]> external;
    OrtSessions.Handles oracle = OrtSessions.create(env, model, CAPTURE, Long.MAX_VALUE);
    try {
      assertThat(oracle.weights().bytes()).isZero();
      embedded = runAll(env, oracle.session(), model);
    } finally {
      OrtSessions.closeQuietly(oracle);
    }
    OrtSessions.Handles h = OrtSessions.create(env, model, CAPTURE);
    try {
      long initializerBytes = model.proto().getGraph().getInitializerList().stream()
          .mapToLong(t -> t.getRawData().size()).sum();
      // nearly all of the model's weights are held outside (only tensors under 1 KiB stay in)
      assertThat(h.weights().bytes()).isGreaterThan(initializerBytes * 9 / 10);
      external = runAll(env, h.session(), model);
    } finally {
      OrtSessions.closeQuietly(h);
    }
    // every node output of the model (95 on this one), not only the graph's outputs
    assertThat(embedded.keySet()).hasSizeGreaterThan(50);
    assertThat(external.keySet()).containsExactlyElementsOf(embedded.keySet());
    embedded.forEach((name, bytes) -> assertThat(Arrays.equals(external.get(name), bytes)).as(name).isTrue());
  }

  @Test
  void theProtobufHandedOverCarriesNoLargeInitializerData() {
    OnnxModel model = exported();
    OrtWeights.Split split = OrtWeights.split(OrtSessions.environment(), model.proto(), OrtWeights.MIN_BYTES);
    try (OrtWeights w = split.weights()) {
      assertThat(split.proto().getSerializedSize()).isLessThan(model.proto().getSerializedSize() / 5);
      for (TensorProto t : split.proto().getGraph().getInitializerList()) {
        boolean external = w.byName().containsKey(t.getName());
        assertThat(external).as(t.getName()).isEqualTo(
            model.proto().getGraph().getInitializerList().stream().filter(o -> o.getName().equals(t.getName()))
                .findFirst().orElseThrow().getRawData().size() >= OrtWeights.MIN_BYTES);
        if (external) {
          assertThat(t.getRawData().isEmpty()).isTrue();
          assertThat(t.getDataLocation()).isEqualTo(TensorProto.DataLocation.EXTERNAL);
        }
      }
    }
  }

  @Test
  void closingTheHandlesFreesTheWeightsAtOnce() {
    OnnxModel model = exported();
    OrtEnvironment env = OrtSessions.environment();
    OrtSessions.Handles h = OrtSessions.create(env, model, CAPTURE);
    long held = h.weights().bytes();
    assertThat(held).isGreaterThan(100_000);
    long open = Pointer.totalBytes();
    assertThat(h.weights().isClosed()).isFalse();
    assertThat(OrtSessions.closeQuietly(h)).isNull();
    assertThat(h.weights().isClosed()).isTrue();
    // JavaCPP's count of live native bytes drops by the weights on close, not at some later GC (other tests may
    // allocate meanwhile, hence at least)
    assertThat(open - Pointer.totalBytes()).isGreaterThanOrEqualTo(held);
    h.weights().close(); // idempotent
  }

  /** Every output of a run with fixed pseudo-random inputs, as the bytes ONNX Runtime wrote. */
  private static Map<String, byte[]> runAll(OrtEnvironment env, OrtSession s, OnnxModel model) throws OrtException {
    Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
    Random r = new Random(11);
    try {
      for (OnnxValueInfo in : model.inputs()) {
        long[] shape = in.shape();
        int n = (int) Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
          v[i] = r.nextFloat() * 2 - 1;
        }
        feeds.put(in.name(), OnnxTensor.createTensor(env, FloatBuffer.wrap(v), shape));
      }
      Map<String, byte[]> out = new LinkedHashMap<>();
      try (OrtSession.Result res = s.run(feeds)) {
        for (Map.Entry<String, OnnxValue> e : res) {
          ByteBuffer b = ((OnnxTensor) e.getValue()).getByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
          byte[] bytes = new byte[b.remaining()];
          b.get(bytes);
          out.put(e.getKey(), bytes);
        }
      }
      return out;
    } finally {
      feeds.values().forEach(OnnxTensor::close);
    }
  }
}
