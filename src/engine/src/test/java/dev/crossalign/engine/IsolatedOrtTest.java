package dev.crossalign.engine;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.CapturedTensor;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.backend.onnx.OrtBackend;
import dev.crossalign.backend.onnx.OrtOptions;
import dev.crossalign.backend.tflite.TfliteBackend;
import dev.crossalign.backend.tflite.TfliteOptions;
import dev.crossalign.onnx.GraphParts;
import dev.crossalign.onnx.OnnxModel;
import dev.crossalign.port.onnx.ExportOptions;
import dev.crossalign.port.onnx.Exporter;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.testutil.TestModels;
import dev.crossalign.tflite.IsolatedForm;
import dev.crossalign.tflite.TfliteModel;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Isolated mode on ONNX Runtime run in parts (one session per part, fed only its inputs, rank 4 in NCHW) gives exactly
 * what one session over the whole isolated form with TFLite's NHWC inputs gives (the oracle: the run before parts and
 * NCHW feeds), tensor for tensor, in the same order with the same producing ops, less the oracle's input Transposes;
 * and the parts partition the graph: every node in one part, no value crossing
 * parts, each part's inputs its own.
 */
class IsolatedOrtTest {
  private static final DeterminismConfig CONFIG = DeterminismConfig.DETERMINISTIC;

  @Test
  void partsGiveTheOneSessionRunByteForByte() {
    TfliteModel model = TfliteModel.read(TestModels.require("face_detection_short_range.tflite"));
    Activations ref;
    try (TfliteBackend tflite = Reference.open(model, TfliteOptions.defaults())) {
      ref = tflite.run(InputGenerator.inputs(model, 7, -1, 1, Map.of()));
    }
    // the oracle: TFLite's NHWC inputs, each transposed in ONNX Runtime (the export before NCHW feeds), one session
    Activations oracle = oneSession(model, ref, CONFIG);
    // 64 KiB of inputs per part: dozens of parts on this model
    Activations parts = IsolatedOrt.run(model, ref, Device.CPU, CONFIG, 64 << 10);
    List<String> transposes = oracle.tensors().stream().filter(t -> t.op().equals("Transpose")
        && t.name().endsWith(IsolatedForm.SUFFIX + "/nchw")).map(CapturedTensor::name).toList();
    assertThat(transposes).hasSizeGreaterThan(50);
    assertThat(parts.tensors()).extracting(CapturedTensor::name).containsExactlyElementsOf(oracle.tensors().stream()
        .map(CapturedTensor::name).filter(n -> !transposes.contains(n)).toList());
    assertThat(parts.outputNames()).isEqualTo(oracle.outputNames());
    Map<String, Integer> nodeIndex = nodeIndexes(model);
    for (CapturedTensor p : parts.tensors()) {
      CapturedTensor t = oracle.get(p.name());
      HostTensor got = p.tensor();
      if (t.op().equals("INPUT")) {
        // fed NCHW: the reference's tensor permuted, exactly
        assertThat(got.layout()).as(p.name()).isEqualTo(got.rank() == 4 ? Layout.NCHW : t.tensor().layout());
        got = got.rank() == 4 ? got.permute(Layout.nchwToNhwc(), Layout.NHWC) : got;
      } else {
        assertThat(List.of(p.op(), p.tensor().layout())).as(p.name()).isEqualTo(List.of(t.op(), t.tensor().layout()));
        assertThat(p.index()).as(p.name()).isEqualTo(nodeIndex.get(p.name()));
      }
      assertThat(got.shape()).as(p.name()).isEqualTo(t.tensor().shape());
      assertThat(got.data()).as(p.name()).isEqualTo(t.tensor().data());
    }
    assertThat(oracle.size() - transposes.size()).isGreaterThan(150);
  }

  /** Each node output of the isolated export validate runs, with its producing node's index. */
  private static Map<String, Integer> nodeIndexes(TfliteModel model) {
    Map<String, Integer> index = new HashMap<>();
    for (dev.crossalign.onnx.OnnxNode n : Exporter.export(IsolatedForm.of(model).model(), IsolatedOrt.EXPORT).model()
        .nodes()) {
      n.outputs().forEach(o -> index.putIfAbsent(o, n.index()));
    }
    return index;
  }

  @Test
  void partsPartitionTheGraphWithoutSharedValues() {
    TfliteModel model = TfliteModel.read(TestModels.require("face_detection_short_range.tflite"));
    ModelProto whole = Exporter.export(IsolatedForm.of(model).model(), ExportOptions.DEFAULT).model().proto();
    List<ModelProto> parts = GraphParts.of(whole, name -> 4096, 64 << 10);
    assertThat(parts.size()).isGreaterThan(5);
    Map<String, Integer> writtenIn = new HashMap<>();
    int nodes = 0;
    Set<String> inputs = new HashSet<>();
    for (int p = 0; p < parts.size(); p++) {
      for (NodeProto n : parts.get(p).getGraph().getNodeList()) {
        nodes++;
        for (String o : n.getOutputList()) {
          assertThat(writtenIn.put(o, p)).as("%s written once", o).isNull();
        }
      }
      parts.get(p).getGraph().getInputList().forEach(v -> assertThat(inputs.add(v.getName()))
          .as("input %s in one part only", v.getName()).isTrue());
      assertThat(parts.get(p).getOpsetImportList()).isEqualTo(whole.getOpsetImportList());
      assertThat(parts.get(p).getMetadataPropsList()).isEqualTo(whole.getMetadataPropsList());
    }
    assertThat(nodes).isEqualTo(whole.getGraph().getNodeCount());
    for (int p = 0; p < parts.size(); p++) {
      for (NodeProto n : parts.get(p).getGraph().getNodeList()) {
        for (String in : n.getInputList()) {
          Integer w = writtenIn.get(in);
          assertThat(w == null || w == p).as("%s read in part %d, written in %s", in, p, w).isTrue();
        }
      }
    }
    assertThat(GraphParts.of(whole, name -> 4096, Long.MAX_VALUE)).containsExactly(whole);
  }

  /** The isolated form in one ONNX Runtime session, fed every reference tensor it reads (the run before parts). */
  static Activations oneSession(TfliteModel model, Activations ref, DeterminismConfig config) {
    IsolatedForm.Result iso = IsolatedForm.of(model);
    Map<String, HostTensor> feeds = new HashMap<>();
    iso.inputFor().forEach((in, original) -> {
      HostTensor t = ref.tensor(original);
      feeds.put(in, t.layout() == Layout.NCHW && t.rank() == 4 ? t.permute(Layout.nchwToNhwc(), Layout.NHWC) : t);
    });
    OnnxModel onnx = Exporter.export(iso.model(), ExportOptions.DEFAULT).model();
    try (OrtBackend ort = OrtBackend.open(onnx, OrtOptions.from(config, Device.CPU))) {
      return ort.run(feeds);
    }
  }
}
