package dev.crossalign.port.codegen;

import dev.crossalign.CrossalignException;
import dev.crossalign.backend.torch.TorchTensors;
import dev.crossalign.port.PortValue;
import dev.crossalign.tensor.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.GenericDict;
import org.bytedeco.pytorch.GraphOptimizerEnabledGuard;
import org.bytedeco.pytorch.GenericDictEntryRef;
import org.bytedeco.pytorch.GenericDictIterator;
import org.bytedeco.pytorch.TupleElements;
import org.bytedeco.pytorch.ByteVector;
import org.bytedeco.pytorch.CompilationUnit;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.IValueVector;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.QualifiedName;
import org.bytedeco.pytorch.QualifiedNameOptional;
import org.bytedeco.pytorch.SimpleSelf;
import org.bytedeco.pytorch.StringVectorOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The generated module compiled by libtorch's TorchScript compiler from Java: the forward text of {@link
 * GeneratedModel#torchScript} defined on a TorchScript class whose parameters and buffers are the generated weights.
 * It saves as a TorchScript archive (model.pt) and writes the state_dict as Python's torch.save does (weights.pth).
 * One owner; {@link #close} frees the native module and tensors.
 */
public final class TorchScriptModule implements AutoCloseable {
  private final GeneratedModel model;
  private final CompilationUnit unit;
  private final JitModule module;
  /**
   * What {@link #run} calls: the module itself, or its frozen copy ({@link #compileFrozen}), whose weights are
   * constants of the graph and which this object owns too.
   */
  private JitModule runner;
  private final List<Tensor> owned = new ArrayList<>();
  private boolean closed;

  private TorchScriptModule(GeneratedModel model, boolean channelsLast) {
    this(model, channelsLast, model.torchScript());
  }

  private TorchScriptModule(GeneratedModel model, boolean channelsLast, String source) {
    this.unit = new CompilationUnit();
    String qualified = "__torch__." + model.className();
    this.module = new JitModule(new QualifiedName(qualified), unit, true);
    for (PyWeight w : model.weights()) {
      Tensor t = TorchTensors.toTorch(w.value());
      if (channelsLast && t.dim() == 4) {
        Tensor rowMajor = t;
        t = t.contiguous(torch.MemoryFormat.ChannelsLast);
        rowMajor.close(); // outside any PointerScope: the row-major copy would otherwise wait for a GC to go
      }
      owned.add(t);
      if (w.parameter()) {
        module.register_parameter(w.attribute(), t, false);
      } else {
        module.register_buffer(w.attribute(), t);
      }
    }
    this.model = model.withoutWeightValues(); // the module holds the weights now; the host copies may go
    try {
      define(unit, qualified, module, source);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
    module.eval();
    runner = module;
  }

  /** Compiles the generated forward; a compiler error is an INTERNAL error quoting libtorch's first lines. */
  public static TorchScriptModule compile(GeneratedModel model) {
    if (!model.complete()) {
      throw new IllegalArgumentException("the generated model has refused ops");
    }
    return new TorchScriptModule(model, false);
  }

  /**
   * As {@link #compile}, and runs are made by a frozen copy of the module (torch.jit.freeze with optimize_numerics
   * off: weights inlined as constants, no conv/batch-norm or conv/add folding, so the arithmetic is the generated
   * code's). Measured on face_detection_short_range at one thread: 3.9 ms against 7.1 ms unfrozen, outputs identical
   * to the eager port's; optimize_for_inference was rejected (rel_l2 0.31 on the same outputs).
   * {@link #archive} still saves the unfrozen module, whose weights a user can load and train.
   */
  public static TorchScriptModule compileFrozen(GeneratedModel model) {
    return compileFrozen(model, ModuleRewrite.NONE);
  }

  /**
   * As {@link #compileFrozen(GeneratedModel)}, with {@code rewrite} applied to the compiled module before freezing
   * and to the frozen copy after (torch-xnnpack's prepacked convolutions); the archive stays the plain module's.
   */
  public static TorchScriptModule compileFrozen(GeneratedModel model, ModuleRewrite rewrite) {
    if (!model.complete()) {
      throw new IllegalArgumentException("the generated model has refused ops");
    }
    // rank-4 weights (conv filters) in channels-last memory, as the eager port keeps them: ATen then takes its oneDNN
    // channels-last conv for every conv and keeps activations channels-last; with NCHW-contiguous filters small 1x1
    // and 3x3 convs at batch 1 fall to _slow_conv2d_forward (im2col + OpenBLAS gemm), which dominated
    // pose_landmark_full (3.9 s a run under load). Memory layout only: the archive of compile() is unchanged.
    TorchScriptModule m = new TorchScriptModule(model, true);
    try {
      JitModule target = rewrite == ModuleRewrite.NONE ? m.module : m.module.clone();
      rewrite.beforeFreeze(target);
      m.runner = torch.freeze(target, new StringVectorOptional(), false);
      if (target != m.module) {
        target.close();
      }
      rewrite.afterFreeze(m.runner);
    } catch (RuntimeException e) {
      m.close();
      if (e instanceof CrossalignException c) {
        throw c;
      }
      String msg = e.getMessage() == null ? e.toString() : e.getMessage();
      throw new CrossalignException(CrossalignException.Kind.INTERNAL,
          "libtorch could not freeze the generated module: " + msg.lines().findFirst().orElse(msg), e);
    }
    return m;
  }

  /**
   * The module's weights (channels-last as {@link #compileFrozen}'s) with only the per-op methods of {@link
   * OpMethods}, no forward: isolated runs of a model whose whole graph cannot be generated (some ops refused), each
   * generated op on its own.
   */
  public static TorchScriptModule opMethodsOnly(GeneratedModel model) {
    return new TorchScriptModule(model, true, OpMethods.source(model.ops()));
  }

  /**
   * Adds the per-op methods of {@link OpMethods} to this module (the unfrozen one, whose attributes are the weights
   * the frozen copy shares): one compilation for all ops, once; later calls do nothing.
   */
  public void defineOpMethods() {
    if (closed) {
      throw new IllegalStateException("module is closed");
    }
    if (!model.ops().isEmpty() && !module.find_method(OpMethods.name(model.ops().get(0).opIndex())).has_value()) {
      define(unit, "__torch__." + model.className(), module, OpMethods.source(model.ops()));
    }
  }

  /**
   * Runs op {@code opIndex}'s method of {@link OpMethods} on its run-time inputs (in {@link OpCode#inputs} order, rank
   * 4 NCHW); returns its outputs in TFLite's axes (views the caller copies to the host).
   */
  public List<Tensor> runOp(int opIndex, List<Tensor> inputs) {
    IValueVector args = new IValueVector();
    for (Tensor t : inputs) {
      args.push_back(new IValue(t));
    }
    IValue r;
    // the graph as written, interpreted once: no profiling run, no optimization passes at the second call (each
    // method runs once per isolated run, so the executor's profiling and optimizing would be spent on every op)
    try (GraphOptimizerEnabledGuard off = new GraphOptimizerEnabledGuard(false)) {
      r = module.get_method(OpMethods.name(opIndex)).apply(args);
    }
    if (r.isTensor()) {
      return List.of(r.toTensor());
    }
    TupleElements el = r.toTuple().elements();
    List<Tensor> out = new ArrayList<>();
    for (long k = 0; k < el.size(); k++) {
      out.add(el.get(k).toTensor());
    }
    return out;
  }

  private static void define(CompilationUnit unit, String qualified, JitModule module, String source) {
    try {
      unit.define(new QualifiedNameOptional(new QualifiedName(qualified)), source, torch.nativeResolver(),
          new SimpleSelf(module.type()));
    } catch (RuntimeException e) {
      String msg = e.getMessage() == null ? e.toString() : e.getMessage();
      throw new CrossalignException(CrossalignException.Kind.INTERNAL,
          "libtorch's TorchScript compiler refused the generated code: " + msg.lines().limit(12)
              .reduce((a, b) -> a + " | " + b).orElse(msg), e);
    }
  }

  public JitModule module() {
    return module;
  }

  /** Runs forward on the given inputs (at the module's boundary layout) with capture on or off. */
  public IValue forward(List<Tensor> inputs, boolean capture) {
    IValueVector args = new IValueVector();
    for (Tensor t : inputs) {
      args.push_back(new IValue(t));
    }
    args.push_back(new IValue(capture));
    return runner.forward(args);
  }

  /** Outputs by TFLite name and, with capture, every captured tensor by TFLite name; all in TFLite axes. */
  public record Run(Map<String, HostTensor> outputs, Map<String, HostTensor> captured) {}

  /**
   * Runs the whole graph in one native call. {@code inputs}: by TFLite input name, in TFLite axes (NHWC for rank 4),
   * whatever the module's boundary layout.
   */
  public Run run(Map<String, HostTensor> inputs, boolean capture) {
    try (PointerScope scope = new PointerScope()) {
      TupleElements el = forward(hostArgs(inputs), capture).toTuple().elements();
      Map<String, HostTensor> outs = outputs(el);
      Map<String, HostTensor> cap = new LinkedHashMap<>();
      if (capture) {
        GenericDict d = el.get(model.outputs().size()).toGenericDict();
        GenericDictIterator end = d.end();
        for (GenericDictIterator it = d.begin(); !it.equals(end); it = it.increment()) {
          GenericDictEntryRef e = it.access();
          Tensor t = e.value().toTensor();
          cap.put(e.key().toStringRef().getString(), TorchTensors.toHost(t, t.dim() == 4 ? Layout.NHWC : Layout.ANY));
        }
      }
      return new Run(outs, cap);
    }
  }

  /** The inputs as the module's arguments: by TFLite name, checked, converted to the module's boundary layout. */
  private List<Tensor> hostArgs(Map<String, HostTensor> inputs) {
    List<Tensor> args = new ArrayList<>();
    for (GeneratedModel.Port p : model.inputs()) {
      HostTensor h = inputs.get(p.tfliteName());
      if (h == null) {
        throw CrossalignException.input("missing input '" + p.tfliteName() + "'");
      }
      if (!Arrays.equals(h.shape(), model.boundary() == PyGenerator.Boundary.NCHW && p.rank() == 4
          ? new int[] {p.shape()[0], p.shape()[2], p.shape()[3], p.shape()[1]} : p.shape())) {
        throw CrossalignException.input("input '" + p.tfliteName() + "' has shape " + Arrays.toString(h.shape()));
      }
      Tensor t = TorchTensors.toTorch(h.dtype().isFloating() ? h.toFloat32() : h);
      if (p.rank() == 4 && model.boundary() == PyGenerator.Boundary.NCHW) {
        t = PortValue.toNchw(t).contiguous();
      }
      args.add(t);
    }
    return args;
  }

  /** The returned outputs on the host, by TFLite name, in TFLite axes. */
  private Map<String, HostTensor> outputs(TupleElements el) {
    Map<String, HostTensor> outs = new LinkedHashMap<>();
    for (int k = 0; k < model.outputs().size(); k++) {
      GeneratedModel.Port p = model.outputs().get(k);
      Tensor t = el.get(k).toTensor();
      if (p.rank() == 4 && model.boundary() == PyGenerator.Boundary.NCHW) {
        t = PortValue.toNhwc(t);
      }
      outs.put(p.tfliteName(), TorchTensors.toHost(t, p.rank() == 4 ? Layout.NHWC : Layout.ANY));
    }
    return outs;
  }

  /**
   * The whole graph in one native call with capture on, each tensor named in {@code order} handed to {@code each} (its
   * TFLite name and host copy, in TFLite axes) in that order: a model output's copy from the returned outputs, any
   * other name's from the capture, whose native tensor is let go right after its copy (and its conversion temporaries
   * with it). So the host holds one captured tensor at a time and the native capture shrinks as it is handed over,
   * where {@link #run} holds both whole. Names the capture lacks are skipped. Returns the outputs as {@link #run} does.
   */
  public Map<String, HostTensor> run(Map<String, HostTensor> inputs, List<String> order,
      java.util.function.BiConsumer<String, HostTensor> each) {
    try (PointerScope scope = new PointerScope()) {
      TupleElements el = forward(hostArgs(inputs), true).toTuple().elements();
      Map<String, HostTensor> outs = outputs(el);
      GenericDict cap = el.get(model.outputs().size()).toGenericDict();
      for (String name : order) {
        HostTensor h = outs.get(name);
        if (h == null) {
          h = takeCaptured(cap, name);
        }
        if (h != null) {
          each.accept(name, h);
        }
      }
      cap.clear();
      return outs;
    }
  }

  /** The captured tensor {@code name} copied to the host and erased from {@code cap}; null when it has none. */
  private static HostTensor takeCaptured(GenericDict cap, String name) {
    try (PointerScope one = new PointerScope()) {
      IValue key = new IValue(name);
      if (!cap.contains(key)) {
        return null;
      }
      Tensor t = cap.at(key).toTensor();
      HostTensor h = TorchTensors.toHost(t, t.dim() == 4 ? Layout.NHWC : Layout.ANY);
      cap.erase(key);
      return h;
    } // the dict's reference is gone; the scope frees this handle and toHost's temporaries, and so the storage
  }

  /**
   * The TorchScript archive (model.pt) as bytes. libtorch names the zip's top folder after the file it saves to, so
   * it saves to "model.pt" in a fresh temporary folder: the entries sit under "model/", the same from run to run.
   */
  public byte[] archive() {
    Path dir = null;
    Path file = null;
    try {
      dir = Files.createTempDirectory("crossalign-");
      file = dir.resolve("model.pt");
      module.save(file.toString());
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw CrossalignException.input("cannot write a temporary TorchScript archive: " + e.getMessage());
    } finally {
      try {
        if (file != null) {
          Files.deleteIfExists(file);
        }
        if (dir != null) {
          Files.deleteIfExists(dir);
        }
      } catch (IOException ignored) {
        // a leftover temp file is harmless
      }
    }
  }

  /**
   * The state_dict (attribute -> tensor, in registration order) in the zip format Python's torch.load reads:
   * libtorch's pickle_save of a Dict[str, Tensor] built by a TorchScript method of a throwaway module that shares
   * the tensors.
   */
  public byte[] stateDict() {
    try (CompilationUnit cu = new CompilationUnit();
        JitModule holder = new JitModule(new QualifiedName("__torch__.StateDict"), cu, true)) {
      return stateDict(cu, holder);
    }
  }

  private byte[] stateDict(CompilationUnit cu, JitModule holder) {
    StringBuilder src = new StringBuilder("def state(self) -> Dict[str, Tensor]:\n    d: Dict[str, Tensor] = {}\n");
    for (int i = 0; i < model.weights().size(); i++) {
      PyWeight w = model.weights().get(i);
      holder.register_buffer(w.attribute(), owned.get(i));
      src.append("    d[").append(Py.str(w.attribute())).append("] = self.").append(w.attribute()).append('\n');
    }
    src.append("    return d\n");
    define(cu, "__torch__.StateDict", holder, src.toString());
    IValue dict = holder.get_method("state").apply(new IValueVector());
    ByteVector bytes = torch.pickle_save(dict);
    long n = bytes.size();
    if (n > Integer.MAX_VALUE - 16) {
      throw CrossalignException.unsupported("weights of more than 2 GiB cannot be written as one weights.pth");
    }
    byte[] out = new byte[(int) n];
    for (int i = 0; i < out.length; i++) {
      out[i] = bytes.get(i);
    }
    return out;
  }

  /** Writes model.pt atomically. */
  public void saveArchive(Path target) {
    AtomicFiles.write(target, archive());
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (Tensor t : owned) {
      t.close();
    }
    owned.clear();
    if (runner != null && runner != module) { // null: the constructor failed before the module could run
      runner.close();
    }
    module.close();
    unit.close();
  }
}
