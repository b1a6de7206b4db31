package dev.crossalign.engine;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.CapturedTensor;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.backend.SelectiveCapture;
import dev.crossalign.backend.TensorSink;
import dev.crossalign.onnx.GraphParts;
import dev.crossalign.onnx.OnnxModel;
import dev.crossalign.onnx.OnnxNode;
import dev.crossalign.onnx.OnnxValueInfo;
import dev.crossalign.port.onnx.ExportOptions;
import dev.crossalign.port.onnx.Exporter;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.IsolatedForm;
import dev.crossalign.tflite.TfliteModel;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Isolated mode on ONNX Runtime: the model's isolated form (every op reading its run-time inputs from graph inputs of
 * its own) exported and fed the reference's tensors, so each ONNX op's error is its own. The exported form is run in
 * parts that share no value ({@link GraphParts}), one session each, fed only that part's inputs: ONNX Runtime holds one
 * part's inputs and outputs at a time (pose_landmark_heavy: about 16 MB instead of the model's 194 MB of inputs plus as
 * much of outputs). Used by the validation's ONNX leg and by the numerics lab; sessions are opened through ONNX
 * Runtime's provider.
 */
public final class IsolatedOrt {
  /** Graph-input bytes per part of the isolated form (each part one session, fed and fetched in one run). */
  static final long PART_INPUT_BYTES = 16L << 20;

  /**
   * The isolated form's export: rank-4 inputs NCHW, fed permuted by {@link NchwFeeds}. With TFLite's NHWC inputs every
   * op would start with an ONNX Transpose of its own (141 on pose_landmark_full): a second copy of all the inputs, in
   * fresh memory, that cost a third of the isolated run's CPU (benchmarks/README.md, "ONNX side of validate").
   */
  static final ExportOptions EXPORT = new ExportOptions(ExportOptions.InputLayout.NCHW);

  private IsolatedOrt() {}

  /**
   * The isolated run's tensors (the isolated form's inputs, then every node output in the exported model's node order),
   * or null when the reference lacks a tensor an op reads (a placeholder's output).
   */
  public static Activations run(TfliteModel model, Activations reference, Device device, DeterminismConfig config) {
    return run(model, reference, device, config, PART_INPUT_BYTES);
  }

  /** As {@link #run(TfliteModel, Activations, Device, DeterminismConfig)} in parts of {@code partInputBytes}. */
  static Activations run(TfliteModel model, Activations reference, Device device, DeterminismConfig config,
      long partInputBytes) {
    Map<String, CapturedTensor> got = new HashMap<>();
    Order order = runParts(model, reference, device, config, name -> true, t -> got.put(t.name(), t),
        partInputBytes);
    if (order == null) {
      return null;
    }
    Activations.Builder b = Activations.builder(dev.crossalign.backend.onnx.OrtBackend.NAME);
    Set<String> added = new HashSet<>();
    for (List<String> names : List.of(order.inputs(), order.nodeOutputs(), order.outputs())) {
      for (String name : names) {
        if (got.containsKey(name) && added.add(name)) {
          b.add(got.get(name));
        }
      }
    }
    order.outputs().forEach(b::output);
    return b.build();
  }

  /**
   * The whole exported model's tensor names as a run lists them: its graph inputs, every node output in node order,
   * its graph outputs (the names only: the exported model itself goes part by part as its sessions are made).
   */
  private record Order(List<String> inputs, List<String> nodeOutputs, List<String> outputs) {
    static Order of(OnnxModel whole) {
      List<String> nodeOutputs = new java.util.ArrayList<>();
      for (OnnxNode n : whole.nodes()) {
        nodeOutputs.addAll(n.outputs());
      }
      return new Order(whole.inputs().stream().map(OnnxValueInfo::name).toList(), nodeOutputs,
          whole.outputs().stream().map(OnnxValueInfo::name).toList());
    }
  }

  /**
   * The isolated run with each fetched tensor {@code keep} accepts handed to {@code sink} as it comes off its part's
   * session (named, with producing op and node index as in the whole exported model), none kept; false (and nothing
   * run) when the reference lacks a tensor an op reads.
   */
  static boolean run(TfliteModel model, Activations reference, Device device, DeterminismConfig config,
      Predicate<String> keep, TensorSink sink) {
    return runParts(model, reference, device, config, keep, sink, PART_INPUT_BYTES) != null;
  }

  /**
   * Runs the parts; the whole exported model's order of names, or null when the reference lacks a tensor an op reads.
   * Each part's protobuf (its initializers: the weights, pose_landmark_heavy 52 MB over all parts) is let go once its
   * session holds them, and the whole exported model once it is cut into parts, so the heap holds the weights of the
   * parts still to run, not the whole model's for the whole isolated run.
   */
  private static Order runParts(TfliteModel model, Activations reference, Device device, DeterminismConfig config,
      Predicate<String> keep, TensorSink sink, long partInputBytes) {
    IsolatedForm.Result iso = IsolatedForm.of(model);
    for (String original : iso.inputFor().values()) {
      if (reference.tensor(original) == null) {
        return null;
      }
    }
    OnnxModel whole = Exporter.export(iso.model(), EXPORT).model();
    Order order = Order.of(whole);
    Map<String, OnnxNode> producer = new HashMap<>();
    for (OnnxNode n : whole.nodes()) {
      for (String o : n.outputs()) {
        producer.putIfAbsent(o, n);
      }
    }
    // a part's node indexes are its own: tensors are named as the whole model names them
    TensorSink named = t -> {
      OnnxNode n = producer.get(t.name());
      sink.accept(n == null ? t : new CapturedTensor(t.name(), n.opType(), n.index(), t.tensor()));
    };
    java.util.ArrayList<ModelProto> parts = new java.util.ArrayList<>(GraphParts.of(whole.proto(), name -> {
      HostTensor t = reference.tensor(iso.inputFor().getOrDefault(name, name));
      return t == null ? 0 : t.data().remaining();
    }, partInputBytes));
    OnnxModel single = parts.size() == 1 ? whole : null;
    whole = null; // from here on only the parts not yet run hold the weights
    for (int i = 0; i < parts.size(); i++) {
      OnnxModel onnx = single != null ? single : OnnxModel.of(parts.get(i));
      parts.set(i, null);
      single = null;
      Map<String, HostTensor> feeds = feeds(iso, reference, onnx);
      try (SelectiveCapture ort = OnnxLeg.openOrt(model, onnx, device, config)) {
        onnx = null; // its session holds the part's weights natively (and its backend the graph alone)
        ort.run(feeds, keep, named);
      }
    }
    return order;
  }

  /** What {@code onnx}'s graph inputs are fed: the reference's tensors, rank 4 in NCHW ({@link #EXPORT}). */
  private static Map<String, HostTensor> feeds(IsolatedForm.Result iso, Activations reference, OnnxModel onnx) {
    Map<String, HostTensor> feeds = new LinkedHashMap<>();
    for (OnnxValueInfo in : onnx.inputs()) {
      HostTensor t = reference.tensor(iso.inputFor().getOrDefault(in.name(), in.name()));
      if (t != null) {
        feeds.put(in.name(), onnx.layoutOf(in.name(), t.rank()) == Layout.NCHW ? NchwFeeds.of(t) : t);
      }
    }
    return feeds;
  }
}
