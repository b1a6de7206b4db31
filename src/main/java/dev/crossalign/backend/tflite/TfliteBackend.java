package dev.crossalign.backend.tflite;

import static org.bytedeco.tensorflowlite.global.tensorflowlite.GetOpNameByRegistration;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.TfLiteVersion;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteBool;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteDynamic;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteFloat16;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteFloat32;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteFloat64;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteInt16;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteInt32;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteInt64;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteInt8;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteMmapRo;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteOk;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteUInt8;

import dev.crossalign.CrossalignException;
import dev.crossalign.CrossalignException.Kind;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.Backend;
import dev.crossalign.backend.NativeLog;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.NativeSafety;
import dev.crossalign.tflite.TfliteModel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.tensorflowlite.BuiltinOpResolver;
import org.bytedeco.tensorflowlite.BuiltinOpResolverWithXNNPACK;
import org.bytedeco.tensorflowlite.BuiltinOpResolverWithoutDefaultDelegates;
import org.bytedeco.tensorflowlite.FlatBufferModel;
import org.bytedeco.tensorflowlite.Interpreter;
import org.bytedeco.tensorflowlite.InterpreterBuilder;
import org.bytedeco.tensorflowlite.InterpreterOptions;
import org.bytedeco.tensorflowlite.RegistrationNodePair;
import org.bytedeco.tensorflowlite.TfLiteIntArray;
import org.bytedeco.tensorflowlite.TfLiteNode;
import org.bytedeco.tensorflowlite.TfLiteRegistration;
import org.bytedeco.tensorflowlite.TfLiteTensor;

/**
 * The reference backend: TensorFlow Lite's own interpreter (bytedeco tensorflow-lite 2.20.0 preset) with every
 * tensor preserved, so that each op output can be read after a run. With the XNNPACK delegate TFLite cannot preserve
 * tensors (it then skips its default delegates), so only graph inputs and outputs are captured.
 *
 * <p>Native objects (model buffer, flatbuffer model, op resolver, interpreter) are owned here and freed once by
 * {@link #close()}. Not thread-safe: one backend per worker.
 *
 * <p>TFLite writes its own diagnostics (verifier, kernel Prepare errors) to the process's stderr through its default
 * ErrorReporter; the preset gives Java no way to subclass that reporter. Where {@link NativeLog} captures descriptor 2
 * (the CLI, unless --verbose), the exceptions thrown here carry TFLite's ERROR lines in their one-line message;
 * otherwise they point at stderr.
 */
// "try": PointerScope is opened for its side effect (it frees every native temporary created inside), never read.
@SuppressWarnings("try")
public final class TfliteBackend implements Backend {
  /** Most dims a TFLite tensor may have that we accept (TFLite itself has no fixed cap; 16 is far above real use). */
  private static final int MAX_RANK = 16;

  private final String label;
  private final TfliteOptions options;
  private final AtomicReference<Handles> handles;
  private final List<InputSpec> inputSpecs;
  private final int[] outputIndices;
  /** Capture name of each tensor index: the TFLite name, t<index> when it has none, name#index when it repeats. */
  private final String[] tensorNames;

  /** Custom ops served by placeholder kernels, and the tensors they reach (TFLite indices). */
  private final List<PlaceholderOp> placeholderOps;
  private final Set<Integer> placeholderOutputIdx;
  private final Set<Integer> downstreamIdx;

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

  /** Everything native this backend owns, freed in reverse order of creation. */
  private record Handles(
      BytePointer modelBuffer,
      FlatBufferModel model,
      BuiltinOpResolver resolver,
      Interpreter interpreter,
      ExternalDelegate external,
      PlaceholderKernels placeholders) {
    void close() {
      // The interpreter holds pointers into the model, its buffer and the resolver's registrations: free it first.
      closeQuietly(interpreter);
      // A delegate must outlive the interpreter that it was applied to.
      if (external != null) {
        try {
          external.close();
        } catch (RuntimeException e) {
          // As for closeQuietly: the remaining handles still get freed.
        }
      }
      closeQuietly(model);
      closeQuietly(resolver);
      closeQuietly(modelBuffer);
      // Last: the resolver and the interpreter's nodes point at the placeholders' custom-op name strings.
      if (placeholders != null) {
        try {
          placeholders.close();
        } catch (RuntimeException e) {
          // As closeQuietly: nothing a caller could do.
        }
      }
    }
  }

  /** What a graph input expects; shapeSignature has -1 on the axes that may be resized (empty when unknown). */
  private record InputSpec(String name, int tensorIndex, DType dtype, int[] shapeSignature) {}

  private TfliteBackend(String label, TfliteOptions options, Handles h) {
    this.label = label;
    this.options = options;
    this.handles = new AtomicReference<>(h);
    Interpreter interp = h.interpreter();
    int nTensors = Math.toIntExact(interp.tensors_size());
    this.tensorNames = nameTensors(interp, nTensors);
    this.inputSpecs = List.copyOf(readInputs(interp, nTensors, tensorNames, label));
    this.outputIndices = readIndices(interp.outputs(), nTensors, label, "output");
    List<PlaceholderOp> ops = new ArrayList<>();
    Set<Integer> phOut = new LinkedHashSet<>();
    Set<Integer> down = new LinkedHashSet<>();
    if (h.placeholders() != null) {
      Set<String> served = new HashSet<>();
      h.placeholders().codes().forEach(c -> served.add(c.customCode()));
      try (PointerScope scope = new PointerScope()) {
        // Execution-plan order is topological: one pass marks every tensor computed from a placeholder's zeros.
        for (OpNode n : executionPlanOf(interp)) {
          String custom = customNameOf(interp, n.nodeIndex());
          if (custom != null && served.contains(custom)) {
            ops.add(new PlaceholderOp(
                custom, n.nodeIndex(), Arrays.stream(n.outputs()).filter(i -> i >= 0).mapToObj(i -> tensorNames[i]).toList()));
            Arrays.stream(n.outputs()).filter(i -> i >= 0).forEach(phOut::add);
          } else if (Arrays.stream(n.inputs()).anyMatch(i -> i >= 0 && (phOut.contains(i) || down.contains(i)))) {
            Arrays.stream(n.outputs()).filter(i -> i >= 0 && !phOut.contains(i)).forEach(down::add);
          }
        }
      }
    }
    this.placeholderOps = List.copyOf(ops);
    this.placeholderOutputIdx = Collections.unmodifiableSet(phOut);
    this.downstreamIdx = Collections.unmodifiableSet(down);
  }

  /** The custom_code of a node's registration, or null for a builtin. */
  private static String customNameOf(Interpreter interp, int nodeIndex) {
    RegistrationNodePair pair = nodeAt(interp, nodeIndex);
    if (pair == null) {
      return null;
    }
    TfLiteRegistration reg = pair.second();
    if (reg == null || reg.isNull() || reg.builtin_code() != OperatorCodes.CUSTOM) {
      return null;
    }
    BytePointer name = reg.custom_name();
    return name == null || name.isNull() ? null : name.getString();
  }

  /**
   * Placeholders need a fully static output shape (the model's declared shape, every dim > 0, no -1 in the shape
   * signature): they cannot compute a shape. Checked before AllocateTensors runs their Prepare.
   */
  private static void checkPlaceholderShapes(Interpreter interp, PlaceholderKernels placeholders, String label) {
    Set<String> served = new HashSet<>();
    placeholders.codes().forEach(c -> served.add(c.customCode()));
    int nTensors = Math.toIntExact(interp.tensors_size());
    try (PointerScope scope = new PointerScope()) {
      for (OpNode n : executionPlanOf(interp)) {
        String custom = customNameOf(interp, n.nodeIndex());
        if (custom == null || !served.contains(custom)) {
          continue;
        }
        for (int idx : n.outputs()) {
          if (idx < 0) {
            continue;
          }
          if (idx >= nTensors) {
            throw CrossalignException.input("model " + label + ": node " + n.nodeIndex() + " names tensor " + idx
                + ", it has " + nTensors + " tensors");
          }
          TfLiteTensor t = interp.tensor(idx);
          TfLiteIntArray sig = t.dims_signature();
          int[] shape = intArray(t.dims());
          int[] signature = sig == null || sig.isNull() ? new int[0] : intArray(sig);
          boolean dynamic = Arrays.stream(shape).anyMatch(d -> d <= 0) || Arrays.stream(signature).anyMatch(d -> d < 0)
              || t.allocation_type() == kTfLiteDynamic;
          if (dynamic) {
            throw CrossalignException.unsupported(
                "custom op '" + printable(custom) + "' is not supported by the TFLite interpreter (model " + label
                    + ") and cannot run as a placeholder: its output '" + printable(nameOf(t, idx)) + "' has no"
                    + " static shape (shape " + Arrays.toString(shape) + ", signature "
                    + (signature.length == 0 ? "none" : Arrays.toString(signature)) + ")");
          }
          if (dtypeOf(t.type()) == null) {
            throw CrossalignException.unsupported(
                "custom op '" + printable(custom) + "' is not supported by the TFLite interpreter (model " + label
                    + ") and cannot run as a placeholder: its output '" + printable(nameOf(t, idx))
                    + "' has TFLite type " + t.type() + ", which crossalign does not map");
          }
        }
      }
    }
  }

  private static String nameOf(TfLiteTensor t, int idx) {
    BytePointer bp = t == null || t.isNull() ? null : t.name();
    String nm = bp == null || bp.isNull() ? "" : bp.getString();
    return nm.isEmpty() ? "t" + idx : nm;
  }

  /**
   * Nodes whose custom op has no TFLite kernel and ran as a zero-writing placeholder (empty unless the options asked
   * for placeholders and the model needed them).
   */
  public List<PlaceholderOp> placeholderOps() {
    requireOpen();
    return placeholderOps;
  }

  /** Capture names of the tensors written by placeholders: zeros, not the custom op's result. */
  public Set<String> placeholderOutputs() {
    requireOpen();
    return namesOf(placeholderOutputIdx);
  }

  /**
   * Capture names of the tensors computed, directly or through other ops, from a placeholder's zeros (placeholder
   * outputs themselves excluded): real kernels ran there, but on invented inputs, so only a per-op (isolated)
   * comparison of them means anything.
   */
  public Set<String> downstreamOfPlaceholders() {
    requireOpen();
    return namesOf(downstreamIdx);
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

  /**
   * Every interpreter is built here, after TFLite's verifier (safe on any bytes), the pure-Java reader (unless the
   * caller read the model already) and {@link NativeSafety}'s per-op checks: what a kernel would crash on never reaches
   * it.
   */
  private static TfliteBackend open(byte[] modelBytes, String modelLabel, TfliteOptions opts, TfliteModel parsed) {
    Objects.requireNonNull(modelBytes, "modelBytes");
    Objects.requireNonNull(opts, "opts");
    String label = modelLabel == null || modelLabel.isBlank() ? "<model>" : modelLabel;
    if (modelBytes.length == 0) {
      throw CrossalignException.input("model " + label + " is empty (0 bytes), expected a .tflite flatbuffer");
    }
    if (modelBytes.length < 8) {
      throw CrossalignException.input(
          "model " + label + " has " + modelBytes.length + " bytes, too short for a .tflite flatbuffer");
    }
    NativeLog.Mark log = NativeLog.mark();
    BytePointer buffer = null;
    FlatBufferModel model = null;
    BuiltinOpResolver resolver = null;
    Interpreter interpreter = null;
    PlaceholderKernels placeholders = null;
    ExternalDelegate external = null;
    boolean ok = false;
    try {
      // The flatbuffer model does not copy: this buffer must live as long as the model (it is one of our handles).
      buffer = new BytePointer(modelBytes.length);
      buffer.put(modelBytes, 0, modelBytes.length);
      model = FlatBufferModel.VerifyAndBuildFromBuffer(buffer, modelBytes.length);
      if (model == null || model.isNull() || !model.initialized()) {
        throw CrossalignException.input(
            "model " + label + " (" + modelBytes.length + " bytes) is not a valid .tflite file: TFLite's flatbuffer"
                + " verifier rejected it" + nativeWhy(log));
      }
      // The verifier checks the flatbuffer, not the graph: a required op input of -1 or a paddings tensor of the
      // wrong rank passes it and crashes a kernel's Prepare. Refuse those before any interpreter exists.
      NativeSafety.check(parsed != null ? parsed : TfliteModel.read(modelBytes, label));
      // EXTERNAL: builtin kernels without default delegates; the plug-in is applied explicitly below.
      resolver = opts.delegate() == TfliteOptions.Delegate.XNNPACK
          ? new BuiltinOpResolverWithXNNPACK(true)
          : new BuiltinOpResolverWithoutDefaultDelegates();
      // The verifier passed, so operator_codes can be read safely from the bytes it checked (the native copy, a
      // direct view); name missing ops before TFLite stumbles on them.
      List<OperatorCodes.Code> codes = OperatorCodes.read(buffer.position(0).asByteBuffer());
      if (opts.placeholderCustomOps()) {
        placeholders = registerPlaceholders(codes, resolver, label);
      }
      checkOpsResolvable(codes, resolver, label);

      interpreter = new Interpreter((Pointer) null);
      try (InterpreterOptions io = new InterpreterOptions()) {
        // InterpreterBuilder copies the options when it is constructed: set them first, or arena memory is reused
        // and captured intermediates hold whatever a later op wrote there.
        // TFLite skips its default (lazy) delegates, XNNPACK included, when all tensors are preserved; with XNNPACK
        // the arena is reused and only the graph's inputs and outputs are trustworthy after a run.
        io.SetPreserveAllTensors(opts.delegate() != TfliteOptions.Delegate.XNNPACK);
        buildInto(interpreter, model, resolver, io, opts, label, log);
      }
      if (placeholders != null) {
        checkPlaceholderShapes(interpreter, placeholders, label);
      }
      if (opts.delegate() == TfliteOptions.Delegate.EXTERNAL) {
        external = ExternalDelegate.load(opts.external());
        if (interpreter.ModifyGraphWithDelegate(external.tfLiteDelegate()) != kTfLiteOk) {
          throw CrossalignException.input(
              "TFLite could not apply the external delegate " + opts.external() + " to model " + label
                  + " (its Prepare or a delegated kernel failed)" + nativeWhy(log));
        }
      }
      if (interpreter.AllocateTensors() != kTfLiteOk) {
        throw CrossalignException.input(
            "TFLite could not allocate the tensors of model " + label + " (a kernel's Prepare failed)"
                + nativeWhy(log));
      }
      Handles h = new Handles(buffer, model, resolver, interpreter, external, placeholders);
      TfliteBackend b = new TfliteBackend(label, opts, h);
      ok = true;
      return b;
    } finally {
      if (!ok) {
        new Handles(buffer, model, resolver, interpreter, external, placeholders).close();
      }
    }
  }

  private static void buildInto(
      Interpreter interpreter,
      FlatBufferModel model,
      BuiltinOpResolver resolver,
      InterpreterOptions io,
      TfliteOptions opts,
      String label,
      NativeLog.Mark log) {
    try (InterpreterBuilder builder = new InterpreterBuilder(model, resolver, io)) {
      if (builder.SetNumThreads(opts.threads()) != kTfLiteOk) {
        throw CrossalignException.input("TFLite refused " + opts.threads() + " threads for model " + label);
      }
      int status = builder.apply(interpreter);
      if (status != kTfLiteOk || interpreter.isNull()) {
        throw CrossalignException.input(
            "TFLite could not build an interpreter for model " + label + nativeWhy(log));
      }
    }
  }

  /**
   * What TFLite itself reported since the mark (its ERROR lines, captured by {@link NativeLog} when the CLI installed
   * it), for the one-line message; otherwise a pointer to stderr, where TFLite printed it.
   */
  private static String nativeWhy(NativeLog.Mark log) {
    String e = NativeLog.errorsSince(log);
    return e != null ? ": TFLite reports: " + e : " (details on stderr)";
  }

  /** A placeholder for each custom op code (name, version) the resolver lacks; null when none is needed. */
  private static PlaceholderKernels registerPlaceholders(
      List<OperatorCodes.Code> codes, BuiltinOpResolver resolver, String label) {
    Set<PlaceholderKernels.Code> missing = new LinkedHashSet<>();
    for (OperatorCodes.Code c : codes) {
      if (!c.isCustom() || c.customCode() == null) {
        continue; // builtins and nameless custom codes keep their refusal in checkOpsResolvable
      }
      if (c.customCode().isEmpty() || c.customCode().indexOf('\0') >= 0) {
        throw CrossalignException.input(
            "model " + label + " has a custom op code with an empty or NUL-containing name '"
                + printable(c.customCode()) + "'");
      }
      TfLiteRegistration r = resolver.FindOp(c.customCode(), c.version());
      if (r == null || r.isNull()) {
        missing.add(new PlaceholderKernels.Code(c.customCode(), c.version()));
      }
    }
    return missing.isEmpty() ? null : PlaceholderKernels.register(resolver, List.copyOf(missing));
  }

  private static void checkOpsResolvable(
      List<OperatorCodes.Code> codes, BuiltinOpResolver resolver, String label) {
    List<String> missing = new ArrayList<>();
    for (OperatorCodes.Code c : codes) {
      TfLiteRegistration r;
      if (c.isCustom()) {
        if (c.customCode() == null) {
          throw CrossalignException.input("model " + label + " has a CUSTOM operator code without a custom_code name");
        }
        r = resolver.FindOp(c.customCode(), c.version());
        if (r == null || r.isNull()) {
          missing.add("custom op '" + printable(c.customCode()) + "'");
        }
      } else {
        r = resolver.FindOp(c.builtinCode(), c.version());
        if (r == null || r.isNull()) {
          missing.add("builtin op code " + c.builtinCode() + " version " + c.version());
        }
      }
    }
    if (!missing.isEmpty()) {
      throw CrossalignException.unsupported(
          String.join(", ", new LinkedHashSet<>(missing)) + (missing.size() == 1 ? " is" : " are")
              + " not supported by the TFLite interpreter (model " + label + ")");
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
      HostTensor t = copyOut(interp.tensor(index), index);
      if (t == null) {
        throw CrossalignException.input("tensor " + tensorNames[index] + " (index " + index + ") has no readable data");
      }
      return t;
    }
  }

  /** The interpreter's execution plan: one entry per node, in the order Invoke runs them. */
  public List<OpNode> executionPlan() {
    return executionPlanOf(requireOpen());
  }

  private static List<OpNode> executionPlanOf(Interpreter interp) {
    List<OpNode> nodes = new ArrayList<>();
    try (PointerScope scope = new PointerScope()) {
      IntPointer plan = interp.execution_plan();
      long planSize = plan == null ? 0 : plan.limit() - plan.position();
      for (long p = 0; p < planSize; p++) {
        int nodeIndex = plan.get(p);
        RegistrationNodePair pair = nodeAt(interp, nodeIndex);
        if (pair != null) {
          TfLiteNode node = pair.first();
          nodes.add(new OpNode(nodeIndex, opName(pair.second()), intArray(node.inputs()), intArray(node.outputs())));
        }
      }
    }
    return List.copyOf(nodes);
  }

  /**
   * The execution-plan nodes that a delegate took over (their TfLiteNode has a delegate; TFLite names their op
   * DELEGATE). Empty with no delegate, or with one that claimed no nodes.
   */
  public List<OpNode> delegatePartitions() {
    Interpreter interp = requireOpen();
    List<OpNode> nodes = new ArrayList<>();
    try (PointerScope scope = new PointerScope()) {
      IntPointer plan = interp.execution_plan();
      long planSize = plan == null ? 0 : plan.limit() - plan.position();
      for (long p = 0; p < planSize; p++) {
        int nodeIndex = plan.get(p);
        RegistrationNodePair pair = nodeAt(interp, nodeIndex);
        if (pair != null && pair.first().delegate() != null && !pair.first().delegate().isNull()) {
          TfLiteNode node = pair.first();
          nodes.add(new OpNode(nodeIndex, opName(pair.second()), intArray(node.inputs()), intArray(node.outputs())));
        }
      }
    }
    return List.copyOf(nodes);
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

  private static RegistrationNodePair nodeAt(Interpreter interp, int nodeIndex) {
    if (nodeIndex < 0 || nodeIndex >= interp.nodes_size()) {
      throw new CrossalignException(Kind.INTERNAL, "execution plan names node " + nodeIndex + " out of range");
    }
    RegistrationNodePair pair = interp.node_and_registration(nodeIndex);
    return pair == null || pair.isNull() ? null : pair;
  }

  @Override
  public Activations run(Map<String, HostTensor> inputs) {
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
          checkResizable(s, current, given);
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
        copyIn(interp.tensor(s.tensorIndex()), inputs.get(s.name()), s.name());
      }
      if (interp.Invoke() != kTfLiteOk) {
        throw new CrossalignException(
            Kind.INTERNAL, "TFLite Invoke failed on model " + label + nativeWhy(log));
      }
      return capture(interp);
    }
  }

  private void checkResizable(InputSpec s, int[] current, int[] given) {
    String where = "input '" + s.name() + "' of model " + label;
    if (given.length != current.length) {
      throw CrossalignException.input(
          where + " has rank " + current.length + " " + Arrays.toString(current) + ", got rank " + given.length
              + " " + Arrays.toString(given));
    }
    int[] sig = s.shapeSignature();
    for (int a = 0; a < given.length; a++) {
      if (given[a] != current[a] && (sig.length != given.length || sig[a] != -1)) {
        throw CrossalignException.input(
            where + " expects shape " + Arrays.toString(current) + " (signature "
                + (sig.length == 0 ? "fixed" : Arrays.toString(sig)) + "), got " + Arrays.toString(given)
                + ": axis " + a + " is not resizable");
      }
    }
  }

  private void copyIn(TfLiteTensor t, HostTensor h, String name) {
    long need = h.numel() * h.dtype().byteSize();
    long have = t.bytes();
    if (have != need) {
      throw new CrossalignException(
          Kind.INTERNAL, "input '" + name + "' has " + need + " bytes, the TFLite tensor holds " + have);
    }
    if (need == 0) {
      return;
    }
    BytePointer raw = t.data().raw();
    if (raw == null || raw.isNull()) {
      throw new CrossalignException(Kind.INTERNAL, "input '" + name + "' has no TFLite buffer after allocation");
    }
    ByteBuffer dst = raw.capacity(need).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    dst.put(h.data());
  }

  /** Graph inputs, then every node's outputs in execution-plan order; constants are not captured. */
  private Activations capture(Interpreter interp) {
    Activations.Builder b = Activations.builder(name());
    boolean preserveAll = options.delegate() != TfliteOptions.Delegate.XNNPACK;
    Set<Integer> graphOutputs = new HashSet<>();
    for (int o : outputIndices) {
      graphOutputs.add(o);
    }
    Set<Integer> seen = new HashSet<>();
    for (InputSpec s : inputSpecs) {
      HostTensor t = copyOut(interp.tensor(s.tensorIndex()), s.tensorIndex());
      if (t != null && seen.add(s.tensorIndex())) {
        b.add(tensorNames[s.tensorIndex()], "INPUT", s.tensorIndex(), t);
      }
    }
    IntPointer plan = interp.execution_plan();
    long planSize = plan == null ? 0 : plan.limit() - plan.position();
    for (long p = 0; p < planSize; p++) {
      RegistrationNodePair pair = nodeAt(interp, plan.get(p));
      if (pair == null) {
        continue;
      }
      TfLiteNode node = pair.first();
      String op = opName(pair.second());
      int[] outs = intArray(node.outputs());
      for (int idx : outs) {
        if (idx < 0 || idx >= tensorNames.length || (!preserveAll && !graphOutputs.contains(idx))) {
          continue; // -1 is kTfLiteOptionalTensor; without preserved tensors only graph outputs hold their values
        }
        if (!seen.add(idx)) {
          continue;
        }
        TfLiteTensor tt = interp.tensor(idx);
        if (tt == null || tt.isNull() || tt.allocation_type() == kTfLiteMmapRo) {
          continue;
        }
        HostTensor t = copyOut(tt, idx);
        if (t != null) {
          b.add(tensorNames[idx], op, idx, t);
        }
      }
    }
    for (int o : outputIndices) {
      b.output(tensorNames[o]);
    }
    return b.build();
  }

  private static String opName(TfLiteRegistration reg) {
    if (reg == null || reg.isNull()) {
      return "UNKNOWN";
    }
    String n = GetOpNameByRegistration(reg);
    return n == null || n.isEmpty() ? "BUILTIN_" + reg.builtin_code() : n;
  }

  /** Copies a tensor's bytes to the heap; null when it has no data or a dtype crossalign does not map (string...). */
  private HostTensor copyOut(TfLiteTensor t, int index) {
    if (t == null || t.isNull()) {
      return null;
    }
    DType dt = dtypeOf(t.type());
    if (dt == null) {
      return null;
    }
    int[] shape = dimsOf(t, tensorNames[index]);
    long need = HostTensor.numel(shape) * dt.byteSize();
    long have = t.bytes();
    if (have != need) {
      throw new CrossalignException(
          Kind.INTERNAL,
          "TFLite tensor " + tensorNames[index] + " reports " + have + " bytes, shape " + Arrays.toString(shape)
              + " of " + dt + " needs " + need);
    }
    if (need > Integer.MAX_VALUE - 8) {
      throw new CrossalignException(Kind.INTERNAL, "tensor " + tensorNames[index] + " too large for the heap: " + need);
    }
    byte[] bytes = new byte[(int) need];
    if (need > 0) {
      BytePointer raw = t.data().raw();
      if (raw == null || raw.isNull()) {
        return null;
      }
      raw.capacity(need).get(bytes, 0, bytes.length);
    }
    Layout layout = shape.length == 4 ? Layout.NHWC : Layout.ANY;
    return HostTensor.wrap(dt, shape, layout, ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN));
  }

  static DType dtypeOf(int tfliteType) {
    if (tfliteType == kTfLiteFloat32) {
      return DType.FLOAT32;
    } else if (tfliteType == kTfLiteFloat16) {
      return DType.FLOAT16;
    } else if (tfliteType == kTfLiteFloat64) {
      return DType.FLOAT64;
    } else if (tfliteType == kTfLiteInt8) {
      return DType.INT8;
    } else if (tfliteType == kTfLiteUInt8) {
      return DType.UINT8;
    } else if (tfliteType == kTfLiteInt16) {
      return DType.INT16;
    } else if (tfliteType == kTfLiteInt32) {
      return DType.INT32;
    } else if (tfliteType == kTfLiteInt64) {
      return DType.INT64;
    } else if (tfliteType == kTfLiteBool) {
      return DType.BOOL;
    }
    return null;
  }

  private static int[] dimsOf(TfLiteTensor t, String name) {
    TfLiteIntArray dims = t.dims();
    if (dims == null || dims.isNull()) {
      return new int[0];
    }
    int rank = dims.size();
    if (rank < 0 || rank > MAX_RANK) {
      throw new CrossalignException(Kind.INTERNAL, "TFLite tensor " + name + " has rank " + rank);
    }
    int[] shape = new int[rank];
    for (int i = 0; i < rank; i++) {
      shape[i] = dims.data(i);
      if (shape[i] < 0) {
        throw new CrossalignException(
            Kind.INTERNAL, "TFLite tensor " + name + " has negative dimension " + shape[i] + " at axis " + i);
      }
    }
    return shape;
  }

  private static int[] intArray(TfLiteIntArray a) {
    if (a == null || a.isNull()) {
      return new int[0];
    }
    int n = a.size();
    if (n < 0 || n > 1 << 20) {
      throw new CrossalignException(Kind.INTERNAL, "TFLite int array of size " + n);
    }
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = a.data(i);
    }
    return out;
  }

  private static int[] readIndices(IntPointer p, int nTensors, String label, String what) {
    long n = p == null ? 0 : p.limit() - p.position();
    int[] out = new int[Math.toIntExact(n)];
    for (int i = 0; i < out.length; i++) {
      out[i] = p.get(i);
      if (out[i] < 0 || out[i] >= nTensors) {
        throw CrossalignException.input(
            "model " + label + " names " + what + " tensor " + out[i] + ", it has " + nTensors + " tensors");
      }
    }
    return out;
  }

  private static String[] nameTensors(Interpreter interp, int n) {
    String[] names = new String[n];
    Set<String> used = new HashSet<>();
    try (PointerScope scope = new PointerScope()) {
      for (int i = 0; i < n; i++) {
        TfLiteTensor t = interp.tensor(i);
        BytePointer bp = t == null || t.isNull() ? null : t.name();
        String nm = bp == null || bp.isNull() ? "" : bp.getString();
        if (nm.isEmpty()) {
          nm = "t" + i;
        }
        if (!used.add(nm)) {
          nm = nm + "#" + i;
          used.add(nm);
        }
        names[i] = nm;
      }
    }
    return names;
  }

  private static List<InputSpec> readInputs(Interpreter interp, int nTensors, String[] names, String label) {
    List<InputSpec> specs = new ArrayList<>();
    try (PointerScope scope = new PointerScope()) {
      for (int idx : readIndices(interp.inputs(), nTensors, label, "input")) {
        TfLiteTensor t = interp.tensor(idx);
        DType dt = dtypeOf(t.type());
        if (dt == null) {
          throw CrossalignException.unsupported(
              "input '" + names[idx] + "' of model " + label + " has TFLite type " + t.type()
                  + ", which crossalign does not map");
        }
        TfLiteIntArray sig = t.dims_signature();
        int[] signature = sig == null || sig.isNull() ? new int[0] : intArray(sig);
        specs.add(new InputSpec(names[idx], idx, dt, signature));
      }
    }
    return specs;
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
      planSize = plan == null ? 0 : plan.limit() - plan.position();
      for (long p = 0; p < planSize; p++) {
        RegistrationNodePair pair = nodeAt(interp, plan.get(p));
        if (pair != null && pair.first().delegate() != null && !pair.first().delegate().isNull()) {
          delegated++;
        }
      }
    }
    m.put("nodes", Long.toString(planSize));
    if (!placeholderOps.isEmpty()) {
      StringBuilder ph = new StringBuilder();
      for (PlaceholderOp op : placeholderOps) {
        ph.append(ph.length() == 0 ? "" : "; ").append("custom op ").append(printable(op.customCode()))
            .append(" (node ").append(op.nodeIndex()).append(") wrote zeros to ").append(op.outputs());
      }
      m.put("placeholders", ph.toString());
      m.put("placeholders.downstream_tensors", Integer.toString(downstreamIdx.size()));
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
    Handles h = handles.get();
    if (h == null) {
      throw new IllegalStateException("TFLite backend for " + label + " is closed");
    }
    return h.interpreter();
  }

  @Override
  public void close() {
    Handles h = handles.getAndSet(null);
    if (h != null) {
      h.close();
    }
  }

  /** Closes one handle; a failure there must not keep the others open. */
  private static void closeQuietly(Pointer p) {
    if (p != null) {
      try {
        p.close();
      } catch (RuntimeException e) {
        // Nothing a caller could do; the remaining handles still get freed.
      }
    }
  }

  /** Names from the file go into one-line messages: control characters become '?', long names are cut. */
  static String printable(String s) {
    StringBuilder b = new StringBuilder(Math.min(s.length(), 120));
    for (int i = 0; i < s.length() && i < 120; i++) {
      char c = s.charAt(i);
      b.append(Character.isISOControl(c) ? '?' : c);
    }
    return s.length() > 120 ? b.append("...").toString() : b.toString();
  }
}
