package dev.crossalign.engine.gpu;

import dev.crossalign.CrossalignException;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.CapturedTensor;
import dev.crossalign.backend.tflite.TfliteBackend;
import dev.crossalign.backend.tflite.TfliteOptions;
import dev.crossalign.engine.InputGenerator;
import dev.crossalign.engine.Reference;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Npz;
import dev.crossalign.tflite.Operator;
import dev.crossalign.tflite.TfliteModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes one model's part of the GPU bundle (see {@link BundleManifest}): runs the TFLite reference on the seeded
 * inputs here, where the whole build is, so that the GPU machine needs TFLite only to re-check it.
 */
public final class BundleExport {
  private BundleExport() {}

  /** Low and high of the seeded inputs: the CLI's default --input-range. */
  public static final double LOW = -1;

  public static final double HIGH = 1;

  /**
   * Exports {@code model} into {@code bundle/models/NAME}.
   *
   * @return the manifest written
   */
  public static BundleManifest export(Path modelFile, String name, long seed, Path bundle) {
    if (!name.matches("[A-Za-z0-9_.-]+")) {
      throw CrossalignException.input("bundle model name '" + name + "': use letters, digits, '_', '-', '.'");
    }
    TfliteModel model = TfliteModel.read(modelFile);
    Path dir = bundle.resolve("models").resolve(name);
    Map<String, HostTensor> inputs = InputGenerator.inputs(model, seed, LOW, HIGH, Map.of());
    Map<String, HostTensor> reference = new LinkedHashMap<>();
    Map<String, HostTensor> weights = new LinkedHashMap<>();
    List<ConvSpec> convs = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    String version;
    List<String> outputs;
    try (TfliteBackend ref = Reference.open(model, TfliteOptions.defaults())) {
      version = TfliteBackend.tfliteVersion();
      outputs = ref.outputNames();
      Activations run = ref.run(inputs);
      for (CapturedTensor t : run.tensors()) {
        if (t.tensor().dtype() == DType.FLOAT32) {
          reference.put(t.name(), t.tensor());
        }
      }
      ConvLayers.Found found = ConvLayers.of(model, ref, run);
      for (ConvLayers.Layer l : found.layers()) {
        Operator op = model.main().operators().get(l.operator());
        int[] in = op.inputs();
        String input = ref.tensorName(in[0]);
        String filter = ref.tensorName(in[1]);
        String bias = in.length > 2 && in[2] >= 0 ? ref.tensorName(in[2]) : null;
        reference.putIfAbsent(input, ref.tensorAt(in[0]));
        reference.putIfAbsent(l.output(), ref.tensorAt(op.outputs()[0]));
        weights.putIfAbsent(filter, ref.tensorAt(in[1]));
        if (bias != null) {
          weights.putIfAbsent(bias, ref.tensorAt(in[2]));
        }
        convs.add(ConvSpec.of(l.operator(), l.op(), input, filter, bias, l.output(), l.geometry(), l.activation()));
      }
      for (ConvLayers.Skipped s : found.skipped()) {
        skipped.add(s.op() + " #" + s.operator() + " " + s.output() + ": " + s.reason());
      }
    }
    dev.crossalign.tensor.AtomicFiles.write(dir.resolve(BundleManifest.MODEL), model.bytes());
    Npz.write(dir.resolve(BundleManifest.INPUTS), inputs);
    Npz.write(dir.resolve(BundleManifest.REFERENCE), reference);
    Npz.write(dir.resolve(BundleManifest.WEIGHTS), weights);
    BundleManifest m = new BundleManifest(name, modelFile.getFileName().toString(), seed, LOW, HIGH, version,
        List.copyOf(inputs.keySet()), List.copyOf(outputs), List.copyOf(convs), List.copyOf(skipped));
    m.write(dir);
    return m;
  }
}
