package dev.crossalign.backend.tflite;

import static dev.crossalign.backend.tflite.InterpreterFactory.nativeWhy;
import static dev.crossalign.backend.tflite.NativeTensors.dimsOf;
import static dev.crossalign.backend.tflite.NativeTensors.printable;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.TfLiteVersion;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteOk;

import dev.crossalign.CrossalignException;
import dev.crossalign.CrossalignException.Kind;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.NativeLog;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tflite.TfliteModel;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.tensorflowlite.Interpreter;
import org.bytedeco.tensorflowlite.RegistrationNodePair;

/**
 * The reference backend: TensorFlow Lite's own interpreter (bytedeco tensorflow-lite 2.20.0 preset) with every
 * tensor preserved, so that each op output can be read after a run. With the XNNPACK delegate TFLite cannot preserve
 * tensors (it then skips its default delegates), so only graph inputs and outputs are captured.
 *
 * <p>Native objects (model buffer, flatbuffer model, op resolver, interpreter: {@link TfliteHandles}, built by
 * {@link InterpreterFactory}) are owned here and freed once, in their order, by {@link #close()}. Not thread-safe: one
 * backend per worker. The graph is read by {@link ExecutionPlan}, tensors are copied by {@link NativeTensors}, and
 * {@link PlaceholderReach} says where placeholder kernels' zeros went.
 *
 * <p>TFLite writes its own diagnostics (verifier, kernel Prepare errors) to the process's stderr through its default
 * ErrorReporter; the preset gives Java no way to subclass that reporter. Where {@link NativeLog} captures descriptor 2
 * (the CLI, unless --verbose), the exceptions thrown here carry TFLite's ERROR lines in their one-line message;
 * otherwise they point at stderr.
 */
// "try": PointerScope is opened for its side effect (it frees every native temporary created inside), never read.
@SuppressWarnings("try")
public final class TfliteBackend implements dev.crossalign.backend.ReferenceBackend {
  /**
   * Custom op codes the reference runs with a real kernel rather than a placeholder: TFLite's own (its XNNPACK
   * delegate's, {@link DelegateBackedKernels}) or crossalign's transcription of MediaPipe's ({@link MediaPipeKernels}).
   */
  public static final Set<String> CUSTOM_OPS_WITH_KERNEL = java.util.stream.Stream.concat(
      DelegateBackedKernels.CODES.stream(), dev.crossalign.tflite.MediaPipeTransforms.CODES.stream())
      .collect(java.util.stream.Collectors.toUnmodifiableSet());

  private final String label;
  private final TfliteOptions options;
  private final AtomicReference<TfliteHandles> handles;
  private final List<InputSpec> inputSpecs;
  private final int[] outputIndices;
  /** Capture name of each tensor index: the TFLite name, t<index> when it has none, name#index when it repeats. */
  private final String[] tensorNames;
  /** Custom ops served by placeholder kernels, and the tensors they reach. */
  private final PlaceholderReach placeholders;

  /**
   * A node of the model whose custom op has no kernel here and ran as a placeholder: its outputs hold zeros at their
   * declared shapes.
   *
   * @param customCode the op's custom_code in the model
   * @param nodeIndex the node's index in the interpreter
   * @param outputs capture names of the tensors it wrote
   */
  public record PlaceholderOp(String customCode, int nodeIndex, List<String> outputs) {
    public PlaceholderOp {
      outputs = List.copyOf(outputs);
    }
  }

  private TfliteBackend(String label, TfliteOptions options, TfliteHandles h) {
    this.label = label;
    this.options = options;
    this.handles = new AtomicReference<>(h);
    Interpreter interp = h.interpreter();
    int nTensors = Math.toIntExact(interp.tensors_size());
    this.tensorNames = NativeTensors.nameTensors(interp, nTensors);
    this.inputSpecs = List.copyOf(InputSpec.read(interp, nTensors, tensorNames, label));
    this.outputIndices = NativeTensors.readIndices(interp.outputs(), nTensors, label, "output");
    this.placeholders = PlaceholderReach.of(interp, h.placeholders(), tensorNames);
  }

  /**
   * Nodes whose custom op has no TFLite kernel and ran as a zero-writing placeholder (empty unless the options asked
   * for placeholders and the model needed them).
   */
  public List<PlaceholderOp> placeholderOps() {
    requireOpen();
    return placeholders.ops();
  }

  @Override
  public List<String> placeholderCustomCodes() {
    return placeholderOps().stream().map(PlaceholderOp::customCode).toList();
  }

  /** Capture names of the tensors written by placeholders: zeros, not the custom op's result. */
  @Override
  public Set<String> placeholderOutputs() {
    requireOpen();
    return namesOf(placeholders.outputs());
  }

  /**
   * Capture names of the tensors computed, directly or through other ops, from a placeholder's zeros (placeholder
   * outputs themselves excluded): real kernels ran there, but on invented inputs, so only a per-op (isolated)
   * comparison of them means anything.
   */
  @Override
  public Set<String> downstreamOfPlaceholders() {
    requireOpen();
    return namesOf(placeholders.downstream());
  }

  private Set<String> namesOf(Set<Integer> indices) {
    Set<String> out = new LinkedHashSet<>();
    indices.forEach(i -> out.add(tensorNames[i]));
    return Collections.unmodifiableSet(out);
  }

  /**
   * Loads a .tflite model from its bytes through TFLite's flatbuffer verifier and builds an interpreter with all
   * tensors preserved.
   *
   * @param modelBytes the whole .tflite file
   * @param modelLabel how messages name the model (usually the file name)
   * @throws CrossalignException INPUT when TFLite refuses the model (empty, not a flatbuffer, verifier or tensor
   *     allocation failure); UNSUPPORTED when the model uses ops the builtin resolver lacks (custom ops)
   */
  public static TfliteBackend open(byte[] modelBytes, String modelLabel, TfliteOptions opts) {
    return open(modelBytes, modelLabel, opts, null);
  }

  /**
   * As {@link #open(byte[], String, TfliteOptions)} for a model the pure-Java reader has already read (its bytes are
   * not parsed twice).
   */
  public static TfliteBackend open(TfliteModel model, TfliteOptions opts) {
    Objects.requireNonNull(model, "model");
    return open(model.bytes(), model.label(), opts, model);
  }

  private static TfliteBackend open(byte[] modelBytes, String modelLabel, TfliteOptions opts, TfliteModel parsed) {
    String label = modelLabel == null || modelLabel.isBlank() ? "<model>" : modelLabel;
    TfliteHandles h = InterpreterFactory.build(modelBytes, label, opts, parsed);
    try {
      return new TfliteBackend(label, opts, h);
    } catch (RuntimeException | Error e) {
      // reading the graph failed (an input of an unmapped type, a bad index): nothing owns the handles yet
      h.close();
      throw e;
    }
  }

  @Override
  public String name() {
    return dev.crossalign.backend.BackendKind.TFLITE.id();
  }

  public TfliteOptions options() {
    return options;
  }

  /** Names of the graph inputs, in the model's order. */
  public List<String> inputNames() {
    return inputSpecs.stream().map(InputSpec::name).toList();
  }

  /** Names of the graph outputs, in the model's order. */
  public List<String> outputNames() {
    return Arrays.stream(outputIndices).mapToObj(i -> tensorNames[i]).toList();
  }

  /** The current shape of a graph input (after the last resize). */
  public int[] inputShape(String inputName) {
    InputSpec s = spec(inputName);
    try (PointerScope scope = new PointerScope()) {
      return dimsOf(requireOpen().tensor(s.tensorIndex()), s.name());
    }
  }

  /** The dtype of a graph input. */
  public DType inputDType(String inputName) {
    return spec(inputName).dtype();
  }

  /**
   * Reads any tensor by TFLite index (constants included), e.g. a conv's weights. Meant for tests and oracles; run()
   * is the capture path.
   *
   * @throws CrossalignException INPUT when the index is out of range or the tensor has no data or an unmapped dtype
   */
  public HostTensor tensorAt(int index) {
    Interpreter interp = requireOpen();
    if (index < 0 || index >= tensorNames.length) {
      throw CrossalignException.input(
          "tensor index " + index + " out of range [0, " + tensorNames.length + ") in model " + label);
    }
    try (PointerScope scope = new PointerScope()) {
      HostTensor t = NativeTensors.copyOut(interp.tensor(index), tensorNames[index]);
      if (t == null) {
        throw CrossalignException.input("tensor " + tensorNames[index] + " (index " + index + ") has no readable data");
      }
      return t;
    }
  }

  /** The interpreter's execution plan: one entry per node, in the order Invoke runs them. */
  public List<OpNode> executionPlan() {
    return ExecutionPlan.nodes(requireOpen());
  }

  /**
   * The execution-plan nodes that a delegate took over (their TfLiteNode has a delegate; TFLite names their op
   * DELEGATE). Empty with no delegate, or with one that claimed no nodes.
   */
  public List<OpNode> delegatePartitions() {
    return ExecutionPlan.delegated(requireOpen());
  }

  /** Capture name of a TFLite tensor index (the name run() files it under). */
  public String tensorName(int index) {
    requireOpen();
    if (index < 0 || index >= tensorNames.length) {
      throw CrossalignException.input(
          "tensor index " + index + " out of range [0, " + tensorNames.length + ") in model " + label);
    }
    return tensorNames[index];
  }

  /** Number of tensors in the primary subgraph. */
  public int tensorCount() {
    requireOpen();
    return tensorNames.length;
  }

  @Override
  public Activations run(Map<String, HostTensor> inputs) {
    Activations.Builder b = Activations.builder(name());
    run(inputs, b).forEach(b::output);
    return b.build();
  }

  @Override
  public List<String> run(Map<String, HostTensor> inputs, dev.crossalign.backend.TensorSink sink) {
    Objects.requireNonNull(inputs, "inputs");
    Interpreter interp = requireOpen();
    for (String given : inputs.keySet()) {
      if (inputSpecs.stream().noneMatch(s -> s.name().equals(given))) {
        throw CrossalignException.input(
            "unknown input '" + given + "' for model " + label + ", expected " + inputNames());
      }
    }
    NativeLog.Mark log = NativeLog.mark();
    try (PointerScope scope = new PointerScope()) {
      boolean resized = false;
      for (InputSpec s : inputSpecs) {
        HostTensor h = inputs.get(s.name());
        if (h == null) {
          throw CrossalignException.input(
              "missing input '" + s.name() + "' for model " + label + ", expected " + inputNames());
        }
        if (h.dtype() != s.dtype()) {
          throw CrossalignException.input(
              "input '" + s.name() + "' is " + h.dtype() + ", model " + label + " expects " + s.dtype());
        }
        int[] current = dimsOf(interp.tensor(s.tensorIndex()), s.name());
        int[] given = h.shape();
        if (!Arrays.equals(current, given)) {
          s.checkResizable(current, given, label);
          if (interp.ResizeInputTensor(s.tensorIndex(), given) != kTfLiteOk) {
            throw CrossalignException.input(
                "TFLite refused to resize input '" + s.name() + "' to " + Arrays.toString(given));
          }
          resized = true;
        }
      }
      if (resized && interp.AllocateTensors() != kTfLiteOk) {
        throw CrossalignException.input(
            "TFLite could not allocate model " + label + " for the given input shapes" + nativeWhy(log));
      }
      for (InputSpec s : inputSpecs) {
        NativeTensors.copyIn(interp.tensor(s.tensorIndex()), inputs.get(s.name()), s.name());
      }
      if (interp.Invoke() != kTfLiteOk) {
        throw new CrossalignException(
            Kind.INTERNAL, "TFLite Invoke failed on model " + label + nativeWhy(log));
      }
      return ActivationCapture.capture(sink, interp, inputSpecs, outputIndices, tensorNames,
          options.delegate() != TfliteOptions.Delegate.XNNPACK);
    }
  }

  private InputSpec spec(String inputName) {
    return inputSpecs.stream()
        .filter(s -> s.name().equals(inputName))
        .findFirst()
        .orElseThrow(() -> CrossalignException.input(
            "unknown input '" + inputName + "' for model " + label + ", expected " + inputNames()));
  }

  @Override
  public Map<String, String> info() {
    Interpreter interp = requireOpen();
    Map<String, String> m = new LinkedHashMap<>();
    m.put("tflite.version", tfliteVersion());
    m.put("model", label);
    m.put("threads", Integer.toString(options.threads()));
    m.put("delegate", options.delegate().name());
    if (options.external() != null) {
      m.put("delegate.library", options.external().toString());
    }
    int delegated = 0;
    long planSize;
    try (PointerScope scope = new PointerScope()) {
      IntPointer plan = interp.execution_plan();
      planSize = ExecutionPlan.size(plan);
      for (long p = 0; p < planSize; p++) {
        RegistrationNodePair pair = ExecutionPlan.nodeAt(interp, plan.get(p));
        if (pair != null && ExecutionPlan.isDelegated(pair)) {
          delegated++;
        }
      }
    }
    m.put("nodes", Long.toString(planSize));
    if (!placeholders.ops().isEmpty()) {
      StringBuilder ph = new StringBuilder();
      for (PlaceholderOp op : placeholders.ops()) {
        ph.append(ph.length() == 0 ? "" : "; ").append("custom op ").append(printable(op.customCode()))
            .append(" (node ").append(op.nodeIndex()).append(") wrote zeros to ").append(op.outputs());
      }
      m.put("placeholders", ph.toString());
      m.put("placeholders.downstream_tensors", Integer.toString(placeholders.downstream().size()));
    }
    DelegateBackedKernels kernels = handles.get().kernels();
    if (kernels != null && !kernels.nodes().isEmpty()) {
      m.put("xnnpack_kernels", "nodes " + kernels.nodes() + " (custom ops " + String.join(", ",
          new java.util.TreeSet<>(DelegateBackedKernels.CODES)) + ") ran on TFLite's XNNPACK delegate kernel (fp32)"
          + " in one-op interpreters");
    }
    if (handles.get().mediapipe() != null) {
      m.put("mediapipe_kernels", "custom ops " + String.join(", ", new java.util.TreeSet<>(
          dev.crossalign.tflite.MediaPipeTransforms.CODES)) + " (version 2) ran on crossalign's Java transcription of"
          + " MediaPipe's TFLite kernels (mediapipe/util/tflite/operations), not a compiled MediaPipe kernel");
    }
    m.put(
        "intermediates",
        options.delegate() == TfliteOptions.Delegate.NONE
            ? "all op outputs"
            : options.delegate() == TfliteOptions.Delegate.EXTERNAL
            ? "all outputs of builtin-kernel nodes; " + delegated + " of " + planSize + " nodes are delegate partitions"
            : "graph inputs and outputs only: " + delegated + " of " + planSize + " nodes are delegate partitions"
                + " and tensors are not preserved");
    return Collections.unmodifiableMap(m);
  }

  /** TFLite's runtime version string (TfLiteVersion()). */
  public static String tfliteVersion() {
    BytePointer v = TfLiteVersion();
    return v == null || v.isNull() ? "unknown" : v.getString();
  }

  private Interpreter requireOpen() {
    TfliteHandles h = handles.get();
    if (h == null) {
      throw new IllegalStateException("TFLite backend for " + label + " is closed");
    }
    return h.interpreter();
  }

  @Override
  public void close() {
    TfliteHandles h = handles.getAndSet(null);
    if (h != null) {
      h.close();
    }
  }
}
